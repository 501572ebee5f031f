import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  ANNOTATION_KUBERNETES_AUTH_PROVIDER,
  ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE,
  ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID,
  ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER,
} from '@backstage/plugin-kubernetes-common';
import type {
  AuthenticationStrategy,
  ClusterDetails,
} from '@backstage/plugin-kubernetes-node';
import { KubeConfig, type createConfiguration } from '@kubernetes/client-node';
import {
  BROWSER_SIDE_PROVIDERS,
  type ClusterCaller,
  STRATEGY_AUTH_PROVIDER,
  authenticateWithStrategy,
  defaultStrategies,
} from './clusterAuth';
import {
  type ImpersonationSettings,
  readImpersonationSettings,
} from './impersonation';
import { ClusterConnection } from './sharedConnectionApi';

/**
 * A cluster as one person reaches it: their token from the browser and/or impersonation on top of the
 * cluster's strategy.
 *
 * @internal
 */
export interface ClusterAccess {
  /** For WebSockets (exec): client-node puts the credential on each connection. */
  kubeConfig: KubeConfig;
  /** For API calls: a client on the cluster's shared connection pool. */
  api<T>(
    ApiClient: new (configuration: ReturnType<typeof createConfiguration>) => T,
  ): T;
}

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
  /**
   * Set when the cluster's credential is the person's, obtained in the browser: the key under which
   * `kubernetesAuthProvidersApiRef` provides it (`google`, `aks`, `oidc.<oidcTokenProvider>`).
   */
  browserAuthProvider?: string;
  /** Calls made for a person go as that person, through the API server's impersonation. */
  impersonate?: ImpersonationSettings;
  /**
   * The backend acting as itself (session pod provisioning, the janitor): present when the cluster is
   * usable with a credential the backend obtains (not the person's own). It asks the cluster's auth
   * strategy for the credential at every request.
   */
  kubeConfig?: KubeConfig;
  /** Present when usable: the cluster as one person reaches it. */
  access?: (caller: ClusterCaller) => ClusterAccess;
}

/**
 * Reads the clusters the Kubernetes plugin is configured with, as its config locator reads them, and
 * builds a client-node `KubeConfig` for each one the terminal can act on with a credential the backend
 * obtains itself (the Kubernetes plugin's strategies: serviceAccount, aws, azure, googleServiceAccount,
 * localKubectlProxy).
 *
 * @internal
 */
export class ClusterRegistry {
  private readonly clusters: Map<string, TerminalClusterDetails>;
  /** Locator methods whose clusters the terminal does not read, with why: logged at start. */
  readonly skipped: string[];

  static fromConfig(
    config: Config,
    options: {
      logger: LoggerService;
      /** The strategies by auth provider; the Kubernetes plugin's server-side ones by default. */
      strategies?: Map<string, AuthenticationStrategy>;
    },
  ): ClusterRegistry {
    const strategies =
      options.strategies ??
      defaultStrategies({ config, logger: options.logger });
    const impersonation = readImpersonationSettings(config);
    const clusters = new Map<string, TerminalClusterDetails>();
    const skipped: string[] = [];
    const add = (cluster: ClusterDetails) => {
      if (clusters.has(cluster.name)) {
        throw new Error(`Duplicate cluster name '${cluster.name}'`);
      }
      const authProvider =
        cluster.authMetadata[ANNOTATION_KUBERNETES_AUTH_PROVIDER] ?? '';
      const details: TerminalClusterDetails = {
        name: cluster.name,
        title: cluster.title,
        url: cluster.url,
        authProvider,
        caData: cluster.caData,
      };
      const strategy = strategies.get(authProvider);
      const invalid = strategy
        ?.validateCluster(cluster.authMetadata)
        .map(e => e.message);
      const personal = BROWSER_SIDE_PROVIDERS.includes(authProvider);
      const impersonate = impersonation.get(cluster.name);
      impersonation.delete(cluster.name);
      if (!strategy) {
        details.unsupported = `cluster '${
          cluster.name
        }' uses the auth provider '${
          authProvider || 'none'
        }', which the kubernetes-terminal plugin does not know`;
      } else if (invalid?.length) {
        details.unsupported = `cluster '${
          cluster.name
        }' is misconfigured: ${invalid.join(', ')}`;
      } else if (impersonate && personal) {
        details.unsupported = `cluster '${cluster.name}' is misconfigured: kubernetesTerminal.clusters.${cluster.name}.impersonate needs a credential of the backend's own, but the '${authProvider}' auth provider's credential is the person's`;
      } else {
        if (personal) {
          details.browserAuthProvider =
            authProvider === 'oidc'
              ? `oidc.${cluster.authMetadata[ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER]}`
              : authProvider;
        } else {
          details.kubeConfig = buildKubeConfig(cluster, strategy, {});
        }
        if (impersonate) {
          details.impersonate = impersonate;
        }
        const connection = new ClusterConnection();
        details.access = caller => {
          const kubeConfig = buildKubeConfig(cluster, strategy, caller);
          return {
            kubeConfig,
            api: ApiClient =>
              connection.apiClient(kubeConfig, ApiClient, caller.impersonate),
          };
        };
      }
      clusters.set(cluster.name, details);
    };
    const methods =
      config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
    for (const method of methods) {
      const type = method.getString('type');
      if (type === 'localKubectlProxy') {
        // As the Kubernetes plugin's locator: one cluster, `local`, behind `kubectl proxy` on this host.
        // Plain HTTP on loopback, which client-node allows only with TLS verification off.
        add({
          name: 'local',
          url: 'http://127.0.0.1:8001',
          skipTLSVerify: true,
          skipMetricsLookup: true,
          authMetadata: {
            [ANNOTATION_KUBERNETES_AUTH_PROVIDER]: 'localKubectlProxy',
          },
        });
        continue;
      }
      if (type !== 'config') {
        skipped.push(
          `the kubernetes-terminal plugin does not read clusters of the '${type}' cluster locator yet; only 'config' and 'localKubectlProxy'`,
        );
        continue;
      }
      for (const c of method.getOptionalConfigArray('clusters') ?? []) {
        add(clusterDetailsOf(c));
      }
    }
    for (const name of impersonation.keys()) {
      skipped.push(
        `kubernetesTerminal.clusters.${name}.impersonate names no cluster of kubernetes.clusterLocatorMethods`,
      );
    }
    return new ClusterRegistry(clusters, skipped);
  }

  constructor(
    clusters: Map<string, TerminalClusterDetails>,
    skipped: string[] = [],
  ) {
    this.clusters = clusters;
    this.skipped = skipped;
  }

  list(): TerminalClusterDetails[] {
    return [...this.clusters.values()];
  }

  get(name: string): TerminalClusterDetails | undefined {
    return this.clusters.get(name);
  }
}

/** A cluster of the config locator, as the Kubernetes plugin's ConfigClusterLocator reads it. */
function clusterDetailsOf(c: Config): ClusterDetails {
  const name = c.getString('name');
  const authMetadataBlock =
    c.getOptional<Record<string, string>>('authMetadata');
  const authProvider =
    authMetadataBlock?.[ANNOTATION_KUBERNETES_AUTH_PROVIDER] ??
    c.getOptionalString('authProvider');
  const serviceAccountToken = c.getOptionalString('serviceAccountToken');
  const assumeRole = c.getOptionalString('assumeRole');
  const externalId = c.getOptionalString('externalId');
  const oidcTokenProvider = c.getOptionalString('oidcTokenProvider');
  const title = c.getOptionalString('title');
  return {
    name,
    ...(title && { title }),
    url: c.getString('url'),
    skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
    skipMetricsLookup: c.getOptionalBoolean('skipMetricsLookup') ?? false,
    caData: c.getOptionalString('caData'),
    caFile: c.getOptionalString('caFile'),
    authMetadata: {
      ...(authProvider && {
        [ANNOTATION_KUBERNETES_AUTH_PROVIDER]: authProvider,
      }),
      ...(serviceAccountToken && { serviceAccountToken }),
      ...(assumeRole && {
        [ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE]: assumeRole,
      }),
      ...(externalId && {
        [ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID]: externalId,
      }),
      ...(oidcTokenProvider && {
        [ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER]: oidcTokenProvider,
      }),
      ...authMetadataBlock,
    },
  };
}

/** A KubeConfig whose user is the cluster's auth strategy: no credential is stored in it. */
function buildKubeConfig(
  cluster: ClusterDetails,
  strategy: AuthenticationStrategy,
  caller: ClusterCaller,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url.replace(/\/+$/, ''),
        skipTLSVerify: cluster.skipTLSVerify ?? false,
        caData: cluster.caData,
        caFile: cluster.caFile,
      },
    ],
    users: [
      { name: 'backstage', authProvider: { name: STRATEGY_AUTH_PROVIDER } },
    ],
    contexts: [
      { name: cluster.name, cluster: cluster.name, user: 'backstage' },
    ],
    currentContext: cluster.name,
  });
  authenticateWithStrategy(kc, strategy, cluster, caller);
  return kc;
}
