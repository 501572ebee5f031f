import type { Config } from '@backstage/config';
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';

/**
 * A cluster from the standard `kubernetes.clusterLocatorMethods` config (type `config`).
 *
 * @internal
 */
export interface TerminalClusterDetails {
  name: string;
  title?: string;
  url: string;
  authProvider: string;
  /** The cluster's CA (base64 PEM) from the config, when given. */
  caData?: string;
  /** Why the terminal cannot use this cluster, when it cannot (e.g. an unsupported auth provider). */
  unsupported?: string;
  kubeConfig?: KubeConfig;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Reads the clusters the Kubernetes plugin is configured with, and builds a client-node `KubeConfig`
 * for each one the terminal can act on with the backend's own credentials.
 *
 * @internal
 */
export class ClusterRegistry {
  private readonly clusters: Map<string, TerminalClusterDetails>;

  static fromConfig(config: Config): ClusterRegistry {
    const clusters = new Map<string, TerminalClusterDetails>();
    const methods =
      config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
    for (const method of methods) {
      if (method.getString('type') !== 'config') {
        continue;
      }
      for (const c of method.getOptionalConfigArray('clusters') ?? []) {
        const name = c.getString('name');
        if (clusters.has(name)) {
          throw new Error(`Duplicate cluster name '${name}'`);
        }
        const authProvider =
          c.getOptionalString('authProvider') ??
          c.getOptionalString('authMetadata.kubernetes.io/auth-provider') ??
          '';
        const details: TerminalClusterDetails = {
          name,
          title: c.getOptionalString('title'),
          url: c.getString('url'),
          authProvider,
          caData: c.getOptionalString('caData'),
        };
        if (authProvider !== 'serviceAccount') {
          details.unsupported = `the kubernetes-terminal plugin supports the 'serviceAccount' auth provider; cluster '${name}' uses '${
            authProvider || 'none'
          }'`;
        } else {
          details.kubeConfig = buildKubeConfig({
            name,
            url: details.url,
            token: c.getOptionalString('serviceAccountToken'),
            caData: c.getOptionalString('caData'),
            caFile: c.getOptionalString('caFile'),
            skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
          });
        }
        clusters.set(name, details);
      }
    }
    return new ClusterRegistry(clusters);
  }

  constructor(clusters: Map<string, TerminalClusterDetails>) {
    this.clusters = clusters;
  }

  list(): TerminalClusterDetails[] {
    return [...this.clusters.values()];
  }

  get(name: string): TerminalClusterDetails | undefined {
    return this.clusters.get(name);
  }
}

function buildKubeConfig(options: {
  name: string;
  url: string;
  token?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
}): KubeConfig {
  const kc = new KubeConfig();
  // Without a configured token the backend runs in-cluster, as the Kubernetes plugin assumes.
  const token =
    options.token ??
    (fs.existsSync(IN_CLUSTER_TOKEN)
      ? fs.readFileSync(IN_CLUSTER_TOKEN, 'utf8').trim()
      : undefined);
  kc.loadFromOptions({
    clusters: [
      {
        name: options.name,
        server: options.url.replace(/\/+$/, ''),
        skipTLSVerify: options.skipTLSVerify,
        caData: options.caData,
        caFile: options.caFile,
      },
    ],
    users: [{ name: 'backstage', token }],
    contexts: [
      { name: options.name, cluster: options.name, user: 'backstage' },
    ],
    currentContext: options.name,
  });
  return kc;
}
