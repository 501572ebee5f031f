import {
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
import { Agent } from 'undici';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type DispatchOptions = Parameters<Dispatcher['dispatch']>[0];

/** The person a call is made as, through the API server's impersonation. @internal */
export interface Impersonation {
  user: string;
  groups: string[];
}

const IMPERSONATION_HEADERS = ['impersonate-user', 'impersonate-group'];

/**
 * One cluster's connection pool, shared by the API clients of every caller: the KubeConfig builds a
 * new undici Agent for every request to a TLS cluster, so each call would pay a TLS handshake and leave
 * a keep-alive socket behind. (The pool's TLS client certificate, if any, is the cluster's own: a
 * person's credential is always a bearer token or impersonation, both per request.)
 *
 * @internal
 */
export class ClusterConnection {
  private dispatcher?: Dispatcher;

  /**
   * Like `kubeConfig.makeApiClient(type)`, for a client whose requests share this pool. With
   * `impersonate`, the Impersonate-User and one Impersonate-Group header per group are added where the
   * request is sent: fetch would join repeated headers into one value, which the API server reads as a
   * single group with a comma in its name.
   */
  apiClient<T>(
    kubeConfig: KubeConfig,
    ApiClient: new (configuration: ReturnType<typeof createConfiguration>) => T,
    impersonate?: Impersonation,
  ): T {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    const auth: SecurityAuthentication = {
      getName: () => kubeConfig.getName(),
      applySecurityAuthentication: async (context: RequestContext) => {
        await kubeConfig.applySecurityAuthentication(context);
        const headers = context.getHeaders();
        for (const name of Object.keys(headers)) {
          if (IMPERSONATION_HEADERS.includes(name.toLowerCase())) {
            delete headers[name];
          }
        }
        // Without TLS options client-node leaves the dispatcher to fetch's global one: the pool is
        // then an Agent of ours, so that it is this cluster's alone.
        const fresh = context.getDispatcher();
        this.dispatcher ??= fresh ?? new Agent();
        if (fresh && fresh !== this.dispatcher) {
          // Never used: it has no connection to close.
          void (fresh as { close?: () => Promise<void> })
            .close?.()
            .catch(() => {});
        }
        context.setDispatcher(
          impersonate
            ? withImpersonation(this.dispatcher, impersonate)
            : this.dispatcher,
        );
      },
    };
    return new ApiClient(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: auth },
      }),
    );
  }
}

/** The dispatcher, adding the impersonation headers to each request it sends. */
function withImpersonation(
  dispatcher: Dispatcher,
  impersonate: Impersonation,
): Dispatcher {
  return dispatcher.compose(
    dispatch => (options: DispatchOptions, handler) =>
      dispatch(
        {
          ...options,
          headers: [
            ...headerPairs(options.headers),
            'impersonate-user',
            impersonate.user,
            ...impersonate.groups.flatMap(group => [
              'impersonate-group',
              group,
            ]),
          ],
        },
        handler,
      ),
  );
}

/** undici's header forms as a flat [name, value, name, value, …] list. */
function headerPairs(headers: DispatchOptions['headers']): string[] {
  if (!headers) return [];
  if (Array.isArray(headers)) return headers.map(String);
  const pairs: string[] = [];
  const entries =
    Symbol.iterator in headers
      ? [...(headers as Iterable<[string, string | string[] | undefined]>)]
      : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      pairs.push(name, String(v));
    }
  }
  return pairs;
}

/**
 * A client of its own connection pool: `new ClusterConnection().apiClient(kubeConfig, ApiClient)`.
 *
 * @internal
 */
export function makeSharedConnectionApiClient<T>(
  kubeConfig: KubeConfig,
  ApiClient: new (configuration: ReturnType<typeof createConfiguration>) => T,
): T {
  return new ClusterConnection().apiClient(kubeConfig, ApiClient);
}
