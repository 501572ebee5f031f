/**
 * The container a terminal is opened in.
 *
 * @public
 */
export interface TerminalTarget {
  /**
   * `exec` (the default): a shell in a container of the entity's pods. `debug`: a debug container
   * beside that container (for images without a shell), attached to.
   */
  kind?: 'exec' | 'debug';
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  /**
   * Set when the cluster is reached with the person's own credential: its key in
   * `kubernetesAuthProvidersApiRef` (`google`, `aks`, `oidc.<provider>`), from the targets' answer.
   */
  authProvider?: string;
}

/**
 * Where a kubectl session pod is started: one of the entity's namespaces.
 *
 * @public
 */
export interface TerminalSessionPodTarget {
  kind: 'session-pod';
  cluster: string;
  namespace: string;
}

/**
 * What a terminal session is started on: a container of the entity's pods, or a kubectl session pod.
 *
 * @public
 */
export type TerminalSessionTarget = TerminalTarget | TerminalSessionPodTarget;
