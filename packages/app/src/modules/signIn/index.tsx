import {
  type OpenIdConnectApi,
  type OAuthApi,
  type ProfileInfoApi,
  type BackstageIdentityApi,
  type SessionApi,
  configApiRef,
  createApiRef,
  discoveryApiRef,
  gitlabAuthApiRef,
  googleAuthApiRef,
  microsoftAuthApiRef,
  oauthRequestApiRef,
  oktaAuthApiRef,
  oneloginAuthApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { OAuth2 } from '@backstage/core-app-api';
import { SignInPage } from '@backstage/core-components';
import {
  ApiBlueprint,
  createFrontendModule,
} from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import {
  KubernetesAuthProviders,
  kubernetesAuthProvidersApiRef,
} from '@backstage/plugin-kubernetes-react';

/**
 * The portal's generic OpenID Connect sign-in (the backend's `oidc` auth provider). Its ID token is
 * also what clusters with `authProvider: oidc` and `oidcTokenProvider: oidc` are reached with.
 */
export const oidcAuthApiRef = createApiRef<
  OpenIdConnectApi &
    OAuthApi &
    ProfileInfoApi &
    BackstageIdentityApi &
    SessionApi
>({ id: 'auth.oidc' });

const oidcAuthApi = ApiBlueprint.make({
  name: 'oidc',
  params: defineParams =>
    defineParams({
      api: oidcAuthApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        oauthRequestApi: oauthRequestApiRef,
        configApi: configApiRef,
      },
      factory: ({ discoveryApi, oauthRequestApi, configApi }) =>
        OAuth2.create({
          configApi,
          discoveryApi,
          oauthRequestApi,
          provider: { id: 'oidc', title: 'OpenID Connect', icon: () => null },
          environment: configApi.getOptionalString('auth.environment'),
          defaultScopes: ['openid', 'profile', 'email', 'offline_access'],
        }),
    }),
});

/** Guest, and the OpenID provider when `kubernetesTerminalDemo.oidcSignIn` is set. */
const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => props => {
      const configApi = useApi(configApiRef);
      const oidc = configApi.getOptionalBoolean(
        'kubernetesTerminalDemo.oidcSignIn',
      );
      return (
        <SignInPage
          {...props}
          providers={[
            'guest',
            ...(oidc
              ? [
                  {
                    id: 'oidc-auth-provider',
                    title: 'OpenID Connect',
                    message: 'Sign in with the OpenID provider',
                    apiRef: oidcAuthApiRef,
                  },
                ]
              : []),
          ]}
        />
      );
    },
  },
});

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [oidcAuthApi, signInPage],
});

/**
 * The Kubernetes plugin's auth providers as it has them, plus `oidc.oidc`: the portal's own OpenID
 * sign-in, for clusters with `oidcTokenProvider: oidc` (the Kubernetes tab and the Terminal tab alike).
 */
export const kubernetesAuthModule = createFrontendModule({
  pluginId: 'kubernetes',
  extensions: [
    ApiBlueprint.make({
      name: 'auth-providers',
      params: defineParams =>
        defineParams({
          api: kubernetesAuthProvidersApiRef,
          deps: {
            gitlabAuthApi: gitlabAuthApiRef,
            googleAuthApi: googleAuthApiRef,
            microsoftAuthApi: microsoftAuthApiRef,
            oktaAuthApi: oktaAuthApiRef,
            oneloginAuthApi: oneloginAuthApiRef,
            oidcAuthApi: oidcAuthApiRef,
          },
          factory: deps =>
            new KubernetesAuthProviders({
              microsoftAuthApi: deps.microsoftAuthApi,
              googleAuthApi: deps.googleAuthApi,
              oidcProviders: {
                gitlab: deps.gitlabAuthApi,
                google: deps.googleAuthApi,
                microsoft: deps.microsoftAuthApi,
                okta: deps.oktaAuthApi,
                onelogin: deps.oneloginAuthApi,
                oidc: deps.oidcAuthApi,
              },
            }),
        }),
    }),
  ],
});
