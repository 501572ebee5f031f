import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
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
  KubernetesClustersSupplier,
} from '@backstage/plugin-kubernetes-node';
import { CatalogClusterSupplier } from './catalogClusters';
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
import {
  AgentUnavailableError,
  type AgentTunnels,
} from '../agents/AgentTunnels';
import { TunnelledKubeConfig } from '../agents/TunnelledKubeConfig';

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
  /**
   * For a cluster reached through its agent: why it cannot be reached now (the agent is away), or
   * undefined. A lost exec stream says this instead of blaming the cluster.
   */
  unreachable?(): Promise<string | undefined>;
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
  /** Reached through the agent running in the cluster (`kubernetesTerminal.clusters.<name>.agent`). */
  viaAgent?: boolean;
  /**
   * The backend acting as itself (session pod provisioning, the janitor): present when the cluster is
   * usable with a credential the backend obtains (not the person's own). It asks the cluster's auth
   * strategy for the credential at every request.
   */
  kubeConfig?: KubeConfig;
  /** Present when usable: the cluster as one person reaches it. */
  access?: (caller: ClusterCaller) => ClusterAccess;
  /** The cluster as its locator gave it (JSON): a refresh keeps an unchanged cluster, and its pool. */
  source?: string;
}

/** A source of clusters beyond the config: the `catalog` locator, a backend module's supplier. */
interface NamedSupplier {
  name: string;
  supplier: KubernetesClustersSupplier;
  /** What it supplied last; kept when a refresh of it fails. */
  last: ClusterDetails[];
}

/**
 * Reads the clusters the Kubernetes plugin is configured with, as its locators read them (`config`,
 * `localKubectlProxy`, `catalog`) plus those of suppliers added by backend modules, and builds for each a
 * client-node `KubeConfig` whose credential comes from the cluster's auth strategy at every request (the
 * Kubernetes plugin's strategies and those added by modules).
 *
 * Clusters of suppliers are read at `refresh()` (at start, then periodically); `list()` and `get()` answer
 * from the last refresh.
 *
 * @internal
 */
export class ClusterRegistry {
  private clusters = new Map<string, TerminalClusterDetails>();
  /** Locator methods whose clusters the terminal does not read, with why: logged at start. */
  readonly skipped: string[];
  private refreshedAt = 0;

  static fromConfig(
    config: Config,
    options: {
      logger: LoggerService;
      /** The strategies by auth provider; the Kubernetes plugin's by default. */
      strategies?: Map<string, AuthenticationStrategy>;
      /** For the `catalog` locator, and the credentials suppliers are asked with. */
      catalog?: CatalogService;
      auth?: AuthService;
      /** Suppliers of backend modules (kubernetesTerminalClustersExtensionPoint). */
      suppliers?: KubernetesClustersSupplier[];
      /** The agents' tunnels, for clusters reached through an agent. */
      agents?: AgentTunnels;
    },
  ): ClusterRegistry {
    const strategies =
      options.strategies ??
      defaultStrategies({ config, logger: options.logger });
    const skipped: string[] = [];
    const fixed: ClusterDetails[] = [];
    const suppliers: NamedSupplier[] = (options.suppliers ?? []).map(
      (supplier, i) => ({
        name: `cluster supplier ${i + 1}`,
        supplier,
        last: [],
      }),
    );
    const methods =
      config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
    for (const method of methods) {
      const type = method.getString('type');
      if (type === 'localKubectlProxy') {
        // As the Kubernetes plugin's locator: one cluster, `local`, behind `kubectl proxy` on this host.
        // Plain HTTP on loopback, which client-node allows only with TLS verification off.
        fixed.push({
          name: 'local',
          url: 'http://127.0.0.1:8001',
          skipTLSVerify: true,
          skipMetricsLookup: true,
          authMetadata: {
            [ANNOTATION_KUBERNETES_AUTH_PROVIDER]: 'localKubectlProxy',
          },
        });
      } else if (type === 'config') {
        for (const c of method.getOptionalConfigArray('clusters') ?? []) {
          fixed.push(clusterDetailsOf(c));
        }
      } else if (type === 'catalog' && options.catalog && options.auth) {
        suppliers.push({
          name: "the 'catalog' cluster locator",
          supplier: CatalogClusterSupplier.fromConfig(method, {
            catalog: options.catalog,
            auth: options.auth,
            logger: options.logger,
          }),
          last: [],
        });
      } else {
        skipped.push(
          `the kubernetes-terminal plugin does not read clusters of the '${type}' cluster locator; only 'config', 'catalog' and 'localKubectlProxy' (add others with the kubernetesTerminalClustersExtensionPoint)`,
        );
      }
    }
    const seen = new Set<string>();
    for (const cluster of fixed) {
      if (seen.has(cluster.name)) {
        throw new Error(`Duplicate cluster name '${cluster.name}'`);
      }
      seen.add(cluster.name);
    }
    const impersonation = readImpersonationSettings(config);
    if (suppliers.length === 0) {
      const names = new Set(fixed.map(c => c.name));
      const settings = [
        ...[...impersonation.keys()].map(name => `${name}.impersonate`),
        ...(options.agents?.clusterNames ?? []).map(name => `${name}.agent`),
      ];
      for (const setting of settings) {
        if (!names.has(setting.slice(0, setting.lastIndexOf('.')))) {
          skipped.push(
            `kubernetesTerminal.clusters.${setting} names no cluster of kubernetes.clusterLocatorMethods`,
          );
        }
      }
    }
    const registry = new ClusterRegistry(
      {
        strategies,
        impersonation,
        fixed,
        suppliers,
        options,
        agents: options.agents,
      },
      skipped,
    );
    registry.rebuild();
    return registry;
  }

  private constructor(
    private readonly sources: {
      strategies: Map<string, AuthenticationStrategy>;
      impersonation: Map<string, ImpersonationSettings>;
      fixed: ClusterDetails[];
      suppliers: NamedSupplier[];
      options: { logger: LoggerService; auth?: AuthService };
      agents?: AgentTunnels;
    },
    skipped: string[],
  ) {
    this.skipped = skipped;
  }

  /** Asks every supplier for its clusters again; one that fails keeps what it supplied last. */
  async refresh(): Promise<void> {
    const { suppliers, options } = this.sources;
    if (suppliers.length === 0) return;
    const credentials = options.auth
      ? await options.auth.getOwnServiceCredentials()
      : undefined;
    await Promise.all(
      suppliers.map(async s => {
        try {
          s.last = await s.supplier.getClusters({ credentials: credentials! });
        } catch (error) {
          options.logger.warn(
            `${s.name} failed; its clusters are as they were: ${
              (error as Error)?.message ?? error
            }`,
          );
        }
      }),
    );
    this.rebuild();
    this.refreshedAt = Date.now();
  }

  /** Refreshes when the last refresh is older than this: before answering which clusters there are. */
  async refreshIfOlderThan(ms: number): Promise<void> {
    if (Date.now() - this.refreshedAt > ms) await this.refresh();
  }

  /** The map from the config's clusters and the suppliers' last answers; unchanged clusters are kept. */
  private rebuild() {
    const { fixed, suppliers, options } = this.sources;
    const next = new Map<string, TerminalClusterDetails>();
    for (const cluster of [...fixed, ...suppliers.flatMap(s => s.last)]) {
      if (next.has(cluster.name)) {
        options.logger.warn(
          `Duplicate cluster name '${cluster.name}': the first one is used`,
        );
        continue;
      }
      const previous = this.clusters.get(cluster.name);
      next.set(
        cluster.name,
        previous && previous.source === JSON.stringify(cluster)
          ? previous
          : this.describe(cluster),
      );
    }
    this.clusters = next;
  }

  /** What the terminal makes of one cluster: how it is reached, or why it cannot be. */
  private describe(cluster: ClusterDetails): TerminalClusterDetails {
    const { strategies, impersonation, agents } = this.sources;
    const tunnels = agents?.has(cluster.name) ? agents : undefined;
    const authProvider =
      cluster.authMetadata[ANNOTATION_KUBERNETES_AUTH_PROVIDER] ?? '';
    const details: TerminalClusterDetails = {
      name: cluster.name,
      title: cluster.title,
      url: cluster.url,
      authProvider,
      caData: cluster.caData,
      source: JSON.stringify(cluster),
    };
    const strategy = strategies.get(authProvider);
    const invalid = strategy
      ?.validateCluster(cluster.authMetadata)
      .map(e => e.message);
    const personal = BROWSER_SIDE_PROVIDERS.includes(authProvider);
    const impersonate = impersonation.get(cluster.name);
    if (!strategy) {
      details.unsupported = `cluster '${
        cluster.name
      }' uses the auth provider '${
        authProvider || 'none'
      }', which the kubernetes-terminal plugin does not know (add its strategy with the kubernetesTerminalClustersExtensionPoint)`;
    } else if (invalid?.length) {
      details.unsupported = `cluster '${
        cluster.name
      }' is misconfigured: ${invalid.join(', ')}`;
    } else if (tunnels && !/^https:/i.test(cluster.url)) {
      details.unsupported = `cluster '${cluster.name}' is reached through its agent, so its url must be https (TLS runs end to end through the agent, which sees only ciphertext); got ${cluster.url}`;
    } else if (impersonate && personal) {
      details.unsupported = `cluster '${cluster.name}' is misconfigured: kubernetesTerminal.clusters.${cluster.name}.impersonate needs a credential of the backend's own, but the '${authProvider}' auth provider's credential is the person's`;
    } else {
      if (personal) {
        details.browserAuthProvider =
          authProvider === 'oidc'
            ? `oidc.${cluster.authMetadata[ANNOTATION_KUBERNETES_OIDC_TOKEN_PROVIDER]}`
            : authProvider;
      } else {
        details.kubeConfig = buildKubeConfig(cluster, strategy, {}, tunnels);
      }
      if (impersonate) {
        details.impersonate = impersonate;
      }
      if (tunnels) {
        details.viaAgent = true;
      }
      const connection = new ClusterConnection();
      details.access = caller => {
        const kubeConfig = buildKubeConfig(cluster, strategy, caller, tunnels);
        return {
          kubeConfig,
          api: ApiClient =>
            connection.apiClient(kubeConfig, ApiClient, caller.impersonate),
          ...(tunnels && {
            unreachable: async () => {
              const why = await tunnels.absence(cluster.name);
              return (
                why && new AgentUnavailableError(cluster.name, why).message
              );
            },
          }),
        };
      };
    }
    return details;
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

/**
 * A KubeConfig whose user is the cluster's auth strategy: no credential is stored in it. For a cluster
 * reached through its agent, its connections go through the agent's tunnel.
 */
function buildKubeConfig(
  cluster: ClusterDetails,
  strategy: AuthenticationStrategy,
  caller: ClusterCaller,
  tunnels: AgentTunnels | undefined,
): KubeConfig {
  const kc = tunnels
    ? new TunnelledKubeConfig(tunnels, cluster.name)
    : new KubeConfig();
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
