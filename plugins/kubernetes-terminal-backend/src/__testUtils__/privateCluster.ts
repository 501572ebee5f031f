import {
  TunnelAgent,
  hashAgentToken,
} from '@kubernetes-terminal/kubernetes-terminal-agent';
import type { JsonObject } from '@backstage/types';
import net from 'node:net';
import type { SandboxEndpoint } from './terminalBackend';

/**
 * The API server's in-cluster address: a private cluster's `url`, which nothing resolves here; only an
 * agent's dial (standing in for the cluster's DNS) reaches the sandbox.
 */
export const IN_CLUSTER = 'kubernetes.default.svc:443';

/** The cluster `private` of a test backend's `extraClusters`: the sandbox, reached only by its agent. */
export function privateCluster(sandbox: SandboxEndpoint): JsonObject {
  return {
    name: 'private',
    url: `https://${IN_CLUSTER}`,
    authProvider: 'serviceAccount',
    serviceAccountToken: 'sandbox-portal-token',
    caData: Buffer.from(sandbox.caCertificate!).toString('base64'),
  };
}

/** `kubernetesTerminal.clusters.private.agent`, admitting `token` under the id `ci`. */
export function privateAgentConfig(token: string): JsonObject {
  return {
    private: {
      agent: { tokens: [{ id: 'ci', sha256: hashAgentToken(token) }] },
    },
  };
}

/** An agent of cluster `private` dialling the backend at `base` (e.g. http://127.0.0.1:7007), started. */
export function startPrivateAgent(options: {
  base: string;
  sandbox: SandboxEndpoint;
  token: string;
  version?: string;
}): TunnelAgent {
  const agent = new TunnelAgent({
    portalUrl: `${options.base}/api/kubernetes-terminal`,
    cluster: 'private',
    token: options.token,
    apiServer: IN_CLUSTER,
    version: options.version ?? '1.0.0',
    dial: () =>
      net.connect(Number(new URL(options.sandbox.httpsUrl).port), '127.0.0.1'),
    initialBackoffMs: 50,
    maxBackoffMs: 200,
  });
  agent.start();
  return agent;
}
