import {
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';

type Dispatcher = ReturnType<RequestContext['getDispatcher']>;

/**
 * Authenticates requests as the KubeConfig does, but keeps the first connection pool it makes: the
 * KubeConfig builds a new undici Agent for every request to a TLS cluster, so each call would pay a
 * TLS handshake and leave a keep-alive socket behind.
 */
class SharedDispatcherAuth implements SecurityAuthentication {
  private dispatcher?: Dispatcher;

  constructor(private readonly kubeConfig: KubeConfig) {}

  getName(): string {
    return this.kubeConfig.getName();
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    this.dispatcher ??= fresh;
    if (fresh !== this.dispatcher) {
      // Never used: it has no connection to close.
      void (fresh as { close?: () => Promise<void> }).close?.().catch(() => {});
      context.setDispatcher(this.dispatcher);
    }
  }
}

/**
 * Like `kubeConfig.makeApiClient(type)`, for a client kept and reused: its requests share one
 * connection pool to the cluster.
 *
 * @internal
 */
export function makeSharedConnectionApiClient<T>(
  kubeConfig: KubeConfig,
  ApiClient: new (configuration: ReturnType<typeof createConfiguration>) => T,
): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  return new ApiClient(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: new SharedDispatcherAuth(kubeConfig) },
    }),
  );
}
