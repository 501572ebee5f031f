import { useCallback, useRef } from 'react';
import { useApiHolder } from '@backstage/core-plugin-api';
import { kubernetesAuthProvidersApiRef } from '@backstage/plugin-kubernetes-react';
import type { TerminalClusterAuth } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** The person's credentials for some providers, and why any could not be had. @internal */
export interface ClusterCredentials {
  auth: TerminalClusterAuth;
  /** Per provider key, why its credential could not be obtained (no API, sign-in closed, …). */
  problems: Record<string, string>;
}

/**
 * Obtains the person's own credentials for clusters reached with them (`google`, `aks`,
 * `oidc.<provider>`), through the Kubernetes plugin's `kubernetesAuthProvidersApiRef`, as its own
 * pages do: the provider's sign-in pops up when the person is not signed in to it. The tokens go into
 * request bodies only.
 *
 * @internal
 */
export function useClusterCredentials(): (
  providers: string[],
) => Promise<ClusterCredentials> {
  // In a ref, so that the function stays the same across renders (it is an effect's dependency).
  const holder = useApiHolder();
  const apis = useRef(holder);
  apis.current = holder;
  return useCallback(async (providers: string[]) => {
    const result: ClusterCredentials = { auth: {}, problems: {} };
    const distinct = [...new Set(providers)];
    if (distinct.length === 0) {
      return result;
    }
    const authProviders = apis.current.get(kubernetesAuthProvidersApiRef);
    for (const provider of distinct) {
      if (!authProviders) {
        result.problems[provider] =
          "this app has no Kubernetes auth providers API (the Kubernetes plugin's kubernetesAuthProvidersApiRef), so your credential for the cluster cannot be obtained";
        continue;
      }
      try {
        const decorated = await authProviders.decorateRequestBodyForAuth(
          provider,
          { entity: { apiVersion: '', kind: '', metadata: { name: '' } } },
        );
        const auth = (decorated.auth ?? {}) as TerminalClusterAuth;
        result.auth = {
          ...result.auth,
          ...auth,
          ...((result.auth.oidc || auth.oidc) && {
            oidc: { ...result.auth.oidc, ...auth.oidc },
          }),
        };
      } catch (error) {
        result.problems[
          provider
        ] = `could not get your ${provider} credential: ${
          (error as Error)?.message ?? String(error)
        }`;
      }
    }
    return result;
  }, []);
}
