export interface Config {
  /** Settings of this demo app only. */
  kubernetesTerminalDemo?: {
    /**
     * Offer sign-in through the backend's `oidc` auth provider beside guest (the identity browser
     * tests turn it on, with a local OpenID provider).
     * @visibility frontend
     */
    oidcSignIn?: boolean;
  };
}
