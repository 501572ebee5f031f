import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Authenticator, randomToken } from './auth/authenticate';
import { bootstrapPolicy } from './auth/defaultRoles';
import { RbacAuthorizer } from './auth/rbac';
import { ServiceAccountTokens } from './auth/serviceAccountTokens';
import { EventRecorder } from './events';
import { renderKubeconfig } from './kubeconfig';
import { PodRuntime, START_DELAY_ANNOTATION } from './pods/PodRuntime';
import { sandboxNode } from './registry/sandboxNode';
import { Registry } from './registry/Registry';
import { resourceForKind } from './resources';
import { OidcAuthenticator, type SandboxOidcOptions } from './auth/oidc';
import { AuditLog, type SandboxAuditEvent } from './server/auditLog';
import { SandboxServer } from './server/SandboxServer';
import {
  imageTools,
  orderedObjects,
  parseSeed,
  podManifest,
  SeedObject,
} from './seed';
import { ApiError } from './status';
import { ObjectStore } from './store/ObjectStore';
import { KubeObject, SandboxLogger } from './types';

/** @public */
export interface StartSandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Loopback only: 127.0.0.1 (default), ::1 or localhost. */
  host?: string;
  /** A seed file path, or the seed itself. */
  seed?: string | SeedObject;
  /** Token of the `admin` user (group system:masters); random when absent. */
  adminToken?: string;
  /** How long API-created pods stay Pending; default 500 ms. Seeded pods start at once. */
  startDelayMs?: number;
  /** Where pod directories go; a fresh temporary directory (removed on close) by default. */
  stateDir?: string;
  logger?: SandboxLogger;
  /** Lowest TokenRequest expirationSeconds accepted; 600 like a real API server. Lower it in tests of expiry. */
  minTokenExpirationSeconds?: number;
  /** Trust an OpenID provider's ID tokens, as kube-apiserver's `--oidc-*` flags do. */
  oidc?: SandboxOidcOptions;
  /** PEM of a CA whose client certificates authenticate (CN the user, O the groups), as `--client-ca-file`. */
  clientCaPem?: string;
  /** Also write the audit log (audit.k8s.io/v1 Events, JSON lines) to this file, as `--audit-log-path`. */
  auditLogPath?: string;
}

/** A running sandbox cluster. @public */
export interface SandboxCluster {
  /** Plain-HTTP URL, e.g. for Backstage's kubernetes config or client-node. */
  readonly url: string;
  /** The same port over TLS; kubectl needs it (it sends no token over plain HTTP). */
  readonly httpsUrl: string;
  /** PEM of the sandbox's self-signed certificate (its own CA), for caData / certificate-authority-data. */
  readonly caCertificate: string;
  readonly port: number;
  readonly adminToken: string;
  readonly stateDir: string;
  /** Kubeconfig YAML (https URL and CA data) for a user with a static token (default `admin`). */
  kubeconfig(user?: string, options?: { namespace?: string }): string;
  writeKubeconfig(
    file: string,
    user?: string,
    options?: { namespace?: string },
  ): void;
  tokenFor(user: string): string;
  /** Adds (or replaces) a user with a static token; returns the token. */
  addUser(user: { name: string; token?: string; groups?: string[] }): string;
  /** Creates or replaces objects directly, bypassing authorization; returns them as stored. */
  apply(manifests: KubeObject | KubeObject[]): KubeObject[];
  get(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): KubeObject | undefined;
  delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): void;
  /** Moves a Pending pod to Running immediately. */
  startPod(namespace: string, name: string): void;
  /** Number of exec processes alive. */
  processCount(): number;
  /** The audit log's most recent entries (who made each request, and whom they impersonated). */
  auditEvents(): SandboxAuditEvent[];
  close(): Promise<void>;
}

const quietLogger: SandboxLogger = {
  info: () => undefined,
  warn: m => console.warn(`[kube-sandbox] ${m}`),
  error: m => console.error(`[kube-sandbox] ${m}`),
};

const DEFAULT_NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

/** Starts a sandbox cluster on a loopback port. @public */
export async function startSandbox(
  options: StartSandboxOptions = {},
): Promise<SandboxCluster> {
  const logger = options.logger ?? quietLogger;
  const seed = parseSeed(options.seed);
  const ownsStateDir = !options.stateDir;
  const stateDir = options.stateDir
    ? path.resolve(options.stateDir)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sandbox-'));
  fs.mkdirSync(stateDir, { recursive: true });

  const store = new ObjectStore({
    onListenerError: error =>
      logger.error(
        `store listener failed: ${(error as Error)?.stack ?? error}`,
      ),
  });
  const registry = new Registry(store);
  const serviceAccountTokens = new ServiceAccountTokens(store);
  const authenticator = new Authenticator(
    serviceAccountTokens,
    options.oidc ? new OidcAuthenticator(options.oidc, logger) : undefined,
  );
  const audit = new AuditLog(options.auditLogPath);
  const rbac = new RbacAuthorizer(store);
  const events = new EventRecorder(registry, error =>
    logger.debug?.(`event not recorded: ${error}`),
  );
  let url = '';
  let httpsUrl = '';
  let caCertificate = '';
  const runtime = new PodRuntime({
    store,
    events,
    tokens: serviceAccountTokens,
    stateDir,
    startDelayMs: options.startDelayMs ?? 500,
    images: imageTools(seed),
    logger,
    apiEndpoint: () => ({ server: httpsUrl, caCertificate }),
  });
  const server = new SandboxServer(
    {
      store,
      registry,
      rbac,
      authenticator,
      serviceAccountTokens,
      logger,
      minTokenExpirationSeconds: options.minTokenExpirationSeconds ?? 600,
      audit,
      openWatches: new Set(),
    },
    runtime,
    { clientCaPem: options.clientCaPem },
  );

  const resourceOf = (apiVersion: string, kind: string) => {
    const resource = resourceForKind(apiVersion, kind);
    if (!resource)
      throw new Error(`kube-sandbox does not serve ${apiVersion} ${kind}`);
    return resource;
  };

  const apply = (manifests: KubeObject | KubeObject[]): KubeObject[] =>
    (Array.isArray(manifests) ? manifests : [manifests]).map(m => {
      const resource = resourceOf(m.apiVersion, m.kind);
      const namespace = resource.namespaced
        ? m.metadata?.namespace ?? 'default'
        : undefined;
      try {
        return registry.create(resource, namespace, m);
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'AlreadyExists'))
          throw error;
        const body = structuredClone(m);
        delete body.metadata.resourceVersion;
        return registry.update(resource, namespace, m.metadata.name!, body);
      }
    });

  const addUser = (user: {
    name: string;
    token?: string;
    groups?: string[];
  }): string => {
    const token = user.token ?? randomToken();
    authenticator.addUser({
      name: user.name,
      token,
      groups: user.groups ?? [],
    });
    return token;
  };

  try {
    const address = await server.listen(
      options.host ?? '127.0.0.1',
      options.port ?? 0,
    );
    const hostPart =
      address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${hostPart}:${address.port}`;
    httpsUrl = `https://${hostPart}:${address.port}`;
    caCertificate = server.certificate;
    registry.rootCaCertificate = caCertificate;

    for (const name of DEFAULT_NAMESPACES)
      apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    apply(bootstrapPolicy());
    apply(sandboxNode());

    const seededAdmin = seed.users.find(u => u.name === 'admin');
    const adminToken =
      options.adminToken ?? seededAdmin?.token ?? randomToken();
    addUser({
      name: 'admin',
      token: adminToken,
      groups: [...new Set(['system:masters', ...(seededAdmin?.groups ?? [])])],
    });
    for (const user of seed.users.filter(u => u.name !== 'admin'))
      addUser(user);

    for (const ns of seed.namespaces) {
      const def = typeof ns === 'string' ? { name: ns } : ns;
      apply({ apiVersion: 'v1', kind: 'Namespace', metadata: def });
    }
    // Seed manifests may name their owners without a uid; the owner must come earlier in the seed.
    const withOwnerUids = (m: KubeObject): KubeObject => {
      for (const ref of m.metadata?.ownerReferences ?? []) {
        if (ref.uid) continue;
        const owner = store.get(
          resourceOf(ref.apiVersion, ref.kind),
          m.metadata.namespace ?? 'default',
          ref.name,
        );
        if (!owner) {
          throw new Error(
            `seed: ${m.kind} "${m.metadata.name}" names owner ${ref.kind} "${ref.name}", which is not (yet) in the seed`,
          );
        }
        ref.uid = owner.metadata.uid!;
      }
      return m;
    };
    const objects = orderedObjects(seed);
    for (const o of objects.filter(m => m.kind !== 'Pod'))
      apply(withOwnerUids(o));
    const pods = [
      ...objects.filter(o => o.kind === 'Pod'),
      ...seed.pods.map(podManifest),
    ].flatMap(p => apply(withOwnerUids(p)));
    for (const pod of pods) {
      if (pod.metadata.annotations?.[START_DELAY_ANNOTATION] === undefined) {
        runtime.startNow(pod.metadata.namespace!, pod.metadata.name!);
      }
    }

    const tokenFor = (user: string): string => {
      const found = authenticator.user(user);
      if (!found) throw new Error(`kube-sandbox has no user "${user}"`);
      return found.token;
    };
    const kubeconfig = (user = 'admin', o: { namespace?: string } = {}) =>
      renderKubeconfig({
        server: httpsUrl,
        caCertificate: server.certificate,
        user,
        token: tokenFor(user),
        namespace: o.namespace,
      });

    let closed = false;
    return {
      url,
      httpsUrl,
      caCertificate: server.certificate,
      port: address.port,
      adminToken,
      stateDir,
      kubeconfig,
      writeKubeconfig: (file, user, o) =>
        fs.writeFileSync(file, kubeconfig(user, o), { mode: 0o600 }),
      tokenFor,
      addUser,
      apply,
      get: (apiVersion, kind, name, namespace) =>
        store.get(resourceOf(apiVersion, kind), namespace, name),
      delete: (apiVersion, kind, name, namespace) => {
        registry.delete(resourceOf(apiVersion, kind), namespace, name);
      },
      startPod: (namespace, name) => runtime.startNow(namespace, name),
      processCount: () => runtime.processCount(),
      auditEvents: () => audit.events(),
      close: async () => {
        if (closed) return;
        closed = true;
        runtime.close();
        await server.close();
        audit.close();
        if (ownsStateDir)
          fs.rmSync(stateDir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
  } catch (error) {
    runtime.close();
    await server.close().catch(() => undefined);
    audit.close();
    if (ownsStateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}
