import { AGENT_TOKEN_PREFIX } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { TunnelAgent, type TunnelAgentState } from './TunnelAgent';

const USAGE = `Usage:
  kubernetes-terminal-agent run [options]     dial the portal and relay its connections to the API server
  kubernetes-terminal-agent token --id ID     print a new agent token and the config that admits it

Options of run (each also read from the environment variable in brackets):
  --portal-url U     the portal's kubernetes-terminal URL, e.g. https://portal.example.com/api/kubernetes-terminal [AGENT_PORTAL_URL]
  --cluster NAME     this cluster's name in the portal's config [AGENT_CLUSTER]
  --token-file F     file holding the agent token (a mounted Secret) [AGENT_TOKEN_FILE]
                     (or the token itself in AGENT_TOKEN)
  --api-server H:P   the API server address to relay to (default: $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT) [AGENT_API_SERVER]
  --portal-ca-file F CA certificates (PEM) for the portal's TLS certificate, beyond the system's [AGENT_PORTAL_CA_FILE]
  --proxy-url U      an HTTP proxy to reach the portal through [AGENT_PROXY_URL, else HTTPS_PROXY / HTTP_PROXY
                     unless NO_PROXY names the portal's host]
  --health-port N    serve /healthz (alive) and /readyz (tunnel open) on this port; 0 = off (default 8080) [AGENT_HEALTH_PORT]
  -h, --help
`;

/** @public */
export function hashAgentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** @public */
export function newAgentToken(): string {
  return `${AGENT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

function version(): string {
  try {
    return require('../package.json').version;
  } catch {
    return 'unknown';
  }
}

function fail(message: string): never {
  throw Object.assign(new Error(message), { usage: true });
}

function logger() {
  const line = (level: string) => (message: string) =>
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, message })}\n`,
    );
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

function tokenCommand(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { id: { type: 'string' }, cluster: { type: 'string' } },
  });
  const id = values.id ?? `agent-${new Date().toISOString().slice(0, 10)}`;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
    fail('--id must be 1–64 letters, digits, dots, dashes or underscores');
  }
  const token = newAgentToken();
  const cluster = values.cluster ?? '<cluster name>';
  process.stdout.write(
    `${token}\n\n` +
      `# Give the token to the agent (a Secret), and add to the portal's app-config.yaml:\n` +
      `kubernetesTerminal:\n  clusters:\n    ${cluster}:\n      agent:\n        tokens:\n` +
      `          - id: ${id}\n            sha256: ${hashAgentToken(token)}\n`,
  );
}

async function runCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stopSignal: Promise<void>,
) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'portal-url': { type: 'string' },
      cluster: { type: 'string' },
      'token-file': { type: 'string' },
      'api-server': { type: 'string' },
      'portal-ca-file': { type: 'string' },
      'proxy-url': { type: 'string' },
      'health-port': { type: 'string' },
    },
  });
  const portalUrl = values['portal-url'] ?? env.AGENT_PORTAL_URL;
  const cluster = values.cluster ?? env.AGENT_CLUSTER;
  const tokenFile = values['token-file'] ?? env.AGENT_TOKEN_FILE;
  const token = (
    tokenFile ? fs.readFileSync(tokenFile, 'utf8') : env.AGENT_TOKEN ?? ''
  ).trim();
  const inCluster =
    env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT
      ? `${
          env.KUBERNETES_SERVICE_HOST.includes(':')
            ? `[${env.KUBERNETES_SERVICE_HOST}]`
            : env.KUBERNETES_SERVICE_HOST
        }:${env.KUBERNETES_SERVICE_PORT}`
      : undefined;
  const apiServer = values['api-server'] ?? env.AGENT_API_SERVER ?? inCluster;
  const caFile = values['portal-ca-file'] ?? env.AGENT_PORTAL_CA_FILE;
  const healthPort = Number(
    values['health-port'] ?? env.AGENT_HEALTH_PORT ?? 8080,
  );
  if (!portalUrl) fail('--portal-url (or AGENT_PORTAL_URL) is required');
  if (!cluster) fail('--cluster (or AGENT_CLUSTER) is required');
  if (!token.startsWith(AGENT_TOKEN_PREFIX)) {
    fail(
      `an agent token (starting with ${AGENT_TOKEN_PREFIX}) is required: --token-file, AGENT_TOKEN_FILE or AGENT_TOKEN`,
    );
  }
  if (!apiServer) {
    fail(
      '--api-server is required outside a cluster (in one, KUBERNETES_SERVICE_HOST/PORT give it)',
    );
  }
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) {
    fail('--health-port must be a port number, or 0 for none');
  }
  const proxyUrl =
    values['proxy-url'] ?? env.AGENT_PROXY_URL ?? proxyFromEnv(portalUrl, env);
  const log = logger();
  if (proxyUrl) {
    // Not the URL itself: it may hold the proxy's credentials.
    log.info(
      `reaching the portal through the proxy at ${new URL(proxyUrl).host}`,
    );
  }
  const agent = new TunnelAgent({
    portalUrl,
    cluster,
    token,
    apiServer,
    version: version(),
    ...(caFile && { portalCa: fs.readFileSync(caFile, 'utf8') }),
    ...(proxyUrl && { proxyUrl }),
    logger: log,
  });
  let state: TunnelAgentState = agent.state;
  agent.onState(s => {
    state = s;
  });
  const health =
    healthPort > 0
      ? http
          .createServer((req, res) => {
            const ready = state.status === 'connected';
            if (req.url === '/healthz') {
              res.writeHead(200).end('ok\n');
            } else if (req.url === '/readyz') {
              res
                .writeHead(ready ? 200 : 503, {
                  'content-type': 'application/json',
                })
                .end(`${JSON.stringify(state)}\n`);
            } else {
              res.writeHead(404).end();
            }
          })
          .listen(healthPort)
      : undefined;
  agent.start();
  await stopSignal;
  log.info('stopping');
  health?.close();
  await agent.stop();
}

/**
 * The proxy the usual environment names for the portal's URL: HTTPS_PROXY for https (and wss),
 * HTTP_PROXY for http; none when NO_PROXY lists the portal's host (exactly, as a domain suffix, or `*`).
 */
export function proxyFromEnv(
  portalUrl: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const url = new URL(portalUrl);
  const host = url.hostname.toLowerCase();
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map(entry => entry.trim().toLowerCase())
    .filter(Boolean);
  const excluded = noProxy.some(entry => {
    if (entry === '*') return true;
    const name = entry.replace(/^\*?\./, '').replace(/:\d+$/, '');
    return host === name || host.endsWith(`.${name}`);
  });
  if (excluded) return undefined;
  const secure = /^(https|wss):$/.test(url.protocol);
  const proxy = secure
    ? env.HTTPS_PROXY ?? env.https_proxy
    : env.HTTP_PROXY ?? env.http_proxy;
  return proxy || undefined;
}

/** SIGTERM (Kubernetes stopping the pod) or SIGINT. */
function signalled(): Promise<void> {
  return new Promise(resolve => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

/** @public */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  options: {
    /** `run` stops when this settles; SIGTERM or SIGINT by default. */
    stop?: Promise<void>;
  } = {},
): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === 'run') {
      await runCommand(rest, env, options.stop ?? signalled());
    } else if (command === 'token') {
      tokenCommand(rest);
    } else if (!command || command === '-h' || command === '--help') {
      process.stdout.write(USAGE);
    } else {
      fail(`unknown command '${command}'`);
    }
  } catch (error) {
    const e = error as Error & { usage?: boolean; code?: string };
    if (e.usage || e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(
        `kubernetes-terminal-agent: ${e.message}\n\n${USAGE}`,
      );
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
