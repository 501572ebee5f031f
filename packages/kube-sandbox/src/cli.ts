import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LOOPBACK_HOSTS } from './server/SandboxServer';
import { startSandbox } from './startSandbox';
import { SandboxLogger } from './types';

const USAGE = `Usage: kube-sandbox [options]

A Kubernetes-API-compatible sandbox cluster for development and demos. Not for production:
exec runs real processes on this machine as your user.

Options:
  --port N              port to listen on (default 7010; 0 picks a free one)
  --host H              127.0.0.1 (default), ::1 or localhost; nothing else is accepted
  --seed FILE           seed file (namespaces, pods, users, RBAC objects)
  --admin-token T       token of the "admin" user (system:masters); random if absent
  --state-dir DIR       where pod directories live (default: a temporary directory)
  --start-delay-ms N    how long API-created pods stay Pending (default 500)
  --kubeconfig-out F    write the admin kubeconfig to F (default: <state dir>/admin.kubeconfig)
  --audit-log-path F    append the audit log (audit.k8s.io/v1 Events, JSON lines) to F
  --client-ca-file F    client certificates signed by this CA authenticate (CN user, O groups)
  --oidc-issuer-url U   trust ID tokens of this OpenID provider (https, or http on loopback)
  --oidc-client-id C    the audience the ID tokens must have (required with an issuer)
  --oidc-username-claim C   claim holding the user name (default sub)
  --oidc-username-prefix P  prefix of user names (default "<issuer>#" unless the claim is email; - for none)
  --oidc-groups-claim C     claim holding the groups
  --oidc-groups-prefix P    prefix of group names
  --oidc-ca-file F      CA of the issuer's TLS certificate
  --verbose             log every exec
  -h, --help            show this help
`;

function fail(message: string): never {
  process.stderr.write(`kube-sandbox: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    fail(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        seed: { type: 'string' },
        'admin-token': { type: 'string' },
        'state-dir': { type: 'string' },
        'start-delay-ms': { type: 'string' },
        'kubeconfig-out': { type: 'string' },
        'audit-log-path': { type: 'string' },
        'client-ca-file': { type: 'string' },
        'oidc-issuer-url': { type: 'string' },
        'oidc-client-id': { type: 'string' },
        'oidc-username-claim': { type: 'string' },
        'oidc-username-prefix': { type: 'string' },
        'oidc-groups-claim': { type: 'string' },
        'oidc-groups-prefix': { type: 'string' },
        'oidc-ca-file': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) {
    fail(
      `--host must be a loopback address (${LOOPBACK_HOSTS.join(
        ', ',
      )}); "${host}" would expose a shell on this machine`,
    );
  }
  const log = (level: string) => (m: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${m}\n`);
  const logger: SandboxLogger = {
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    ...(values.verbose ? { debug: log('debug') } : {}),
  };

  const str = (name: string) => values[name] as string | undefined;
  const readFlagFile = (name: string) => {
    const file = str(name);
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(path.resolve(file), 'utf8');
    } catch (error) {
      return fail(`--${name}: ${(error as Error).message}`);
    }
  };
  const issuerUrl = str('oidc-issuer-url');
  const sandbox = await startSandbox({
    port: intFlag('port', values.port as string | undefined, 7010),
    host,
    seed: values.seed ? path.resolve(values.seed as string) : undefined,
    adminToken: values['admin-token'] as string | undefined,
    stateDir: values['state-dir'] as string | undefined,
    startDelayMs: intFlag(
      'start-delay-ms',
      values['start-delay-ms'] as string | undefined,
      500,
    ),
    logger,
    auditLogPath: str('audit-log-path'),
    clientCaPem: readFlagFile('client-ca-file'),
    oidc: issuerUrl
      ? {
          issuerUrl,
          clientId:
            str('oidc-client-id') ??
            fail('--oidc-client-id is required with --oidc-issuer-url'),
          usernameClaim: str('oidc-username-claim'),
          usernamePrefix: str('oidc-username-prefix'),
          groupsClaim: str('oidc-groups-claim'),
          groupsPrefix: str('oidc-groups-prefix'),
          caPem: readFlagFile('oidc-ca-file'),
        }
      : undefined,
  });

  // The admin token goes to a file only readable by this user, never to the terminal or a log.
  const out = path.resolve(
    (values['kubeconfig-out'] as string | undefined) ??
      path.join(sandbox.stateDir, 'admin.kubeconfig'),
  );
  sandbox.writeKubeconfig(out);
  process.stdout.write(
    [
      `kube-sandbox listening on ${sandbox.url} (also ${sandbox.httpsUrl}, self-signed; kubectl needs https)`,
      `kubeconfig (admin): ${out}  ->  KUBECONFIG=${out} kubectl get pods -A`,
      `state dir: ${sandbox.stateDir}`,
      'not for production: exec runs real processes on this machine as your user',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping, killing exec processes`);
    sandbox.close().then(
      () => process.exit(0),
      error => {
        logger.error(String(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch(error => {
    process.stderr.write(`kube-sandbox: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
