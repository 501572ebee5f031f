import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  AksStrategy,
  AnonymousStrategy,
  AwsIamStrategy,
  AzureIdentityStrategy,
  GoogleServiceAccountStrategy,
  GoogleStrategy,
  OidcStrategy,
  ServiceAccountStrategy,
} from '@backstage/plugin-kubernetes-backend';
import type { TerminalClusterAuth } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type {
  AuthenticationStrategy,
  ClusterDetails,
} from '@backstage/plugin-kubernetes-node';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * The Kubernetes plugin's ServiceAccountStrategy, answering a configured `serviceAccountToken` without
 * it: that strategy loads client-node with a dynamic `import()` at every call, which Jest's module
 * system cannot run; the in-cluster token file (read fresh each time) is still its job.
 */
class ConfiguredTokenFirst implements AuthenticationStrategy {
  constructor(private readonly inner: AuthenticationStrategy) {}

  async getCredential(
    ...args: Parameters<AuthenticationStrategy['getCredential']>
  ) {
    const token = args[0].authMetadata.serviceAccountToken;
    return token
      ? { type: 'bearer token' as const, token }
      : this.inner.getCredential(...args);
  }

  validateCluster(
    ...args: Parameters<AuthenticationStrategy['validateCluster']>
  ) {
    return this.inner.validateCluster(...args);
  }

  presentAuthMetadata(
    ...args: Parameters<AuthenticationStrategy['presentAuthMetadata']>
  ) {
    return this.inner.presentAuthMetadata(...args);
  }
}

/**
 * The Kubernetes plugin's own strategies under the same keys (its `buildDefaultAuthStrategyMap`). A
 * credential is asked for at every request, so rotating ones (the in-cluster token file, AWS's
 * presigned tokens) are always fresh. `google`, `oidc` and `aks` answer with the person's token that
 * the browser sent with the request (see BROWSER_SIDE_PROVIDERS).
 *
 * @internal
 */
export function defaultStrategies(options: {
  config: Config;
  logger: LoggerService;
}): Map<string, AuthenticationStrategy> {
  return new Map<string, AuthenticationStrategy>([
    ['google', new GoogleStrategy()],
    ['oidc', new OidcStrategy()],
    ['aks', new AksStrategy()],
    ['serviceAccount', new ConfiguredTokenFirst(new ServiceAccountStrategy())],
    ['aws', new AwsIamStrategy({ config: options.config })],
    ['azure', new AzureIdentityStrategy(options.logger)],
    [
      'googleServiceAccount',
      new GoogleServiceAccountStrategy({ config: options.config }),
    ],
    ['localKubectlProxy', new AnonymousStrategy()],
  ]);
}

/**
 * Providers whose credential is the signed-in person's, obtained in the browser through the Kubernetes
 * plugin's `kubernetesAuthProvidersApiRef` and sent in the request body: the backend holds none.
 *
 * @internal
 */
export const BROWSER_SIDE_PROVIDERS = ['google', 'oidc', 'aks'];

/**
 * Whom a call to a cluster is made for, beyond the cluster's own strategy: the person's token from the
 * browser (for google, oidc, aks), and the identity to impersonate (for clusters with `impersonate`).
 * Held in memory for one request or one session only.
 *
 * @internal
 */
export interface ClusterCaller {
  /** As the Kubernetes plugin's request bodies carry it: `{ google }`, `{ oidc: { <provider> } }`, `{ aks }`. */
  auth?: TerminalClusterAuth;
  impersonate?: { user: string; groups: string[] };
}

const AUTH_PROVIDER = 'kubernetes-terminal-strategy';

type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];
type RequestOptions = Parameters<Authenticator['applyAuthentication']>[1];

/**
 * A client-node authenticator that asks a Kubernetes plugin strategy for the cluster's credential on
 * every request (API calls and exec WebSockets alike) and puts it on that request: a bearer token as
 * the Authorization header, an x509 client certificate as the TLS client certificate.
 */
class StrategyAuthenticator implements Authenticator {
  constructor(
    private readonly strategy: AuthenticationStrategy,
    private readonly cluster: ClusterDetails,
    private readonly caller: ClusterCaller,
  ) {}

  isAuthProvider(user: { authProvider?: { name?: string } }): boolean {
    return user.authProvider?.name === AUTH_PROVIDER;
  }

  async applyAuthentication(
    _user: unknown,
    opts: RequestOptions,
  ): Promise<void> {
    const credential = await this.strategy.getCredential(this.cluster, {
      ...this.caller.auth,
    });
    const impersonate = this.caller.impersonate;
    if (impersonate) {
      // Node sends an array value as repeated headers, as the API server wants one per group.
      opts.headers = {
        ...(opts.headers as Record<string, string>),
        'Impersonate-User': impersonate.user,
        ...(impersonate.groups.length && {
          'Impersonate-Group': impersonate.groups,
        }),
      } as unknown as Record<string, string>;
    }
    switch (credential.type) {
      case 'bearer token':
        // client-node always gives its headers as an object.
        opts.headers = {
          ...(opts.headers as Record<string, string>),
          Authorization: `Bearer ${credential.token}`,
        };
        return;
      case 'x509 client certificate':
        opts.cert = credential.cert;
        opts.key = credential.key;
        return;
      case 'anonymous':
        return;
      default:
        throw new Error(
          `cluster '${this.cluster.name}': unknown credential type '${
            (credential as { type: string }).type
          }'`,
        );
    }
  }
}

/**
 * Points a KubeConfig's user at the strategy: client-node asks for the credential when it builds each
 * request, so the credential is never kept in the KubeConfig.
 *
 * @internal
 */
export function authenticateWithStrategy(
  kubeConfig: KubeConfig,
  strategy: AuthenticationStrategy,
  cluster: ClusterDetails,
  caller: ClusterCaller = {},
): void {
  kubeConfig.addAuthenticator(
    new StrategyAuthenticator(strategy, cluster, caller),
  );
}

export const STRATEGY_AUTH_PROVIDER = AUTH_PROVIDER;
