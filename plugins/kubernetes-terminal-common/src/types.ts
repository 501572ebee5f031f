/**
 * A container of a pod that a terminal can be opened in.
 *
 * @public
 */
export interface TerminalContainer {
  name: string;
  image?: string;
  ready: boolean;
  /** `running`, `waiting` or `terminated`, with the reason where Kubernetes gives one. */
  state: string;
}

/**
 * A pod of the entity's workloads.
 *
 * @public
 */
export interface TerminalPod {
  name: string;
  namespace: string;
  phase: string;
  ready: boolean;
  containers: TerminalContainer[];
}

/**
 * One configured cluster and the entity's pods in it, or why they could not be listed.
 *
 * @public
 */
export interface TerminalCluster {
  name: string;
  title?: string;
  pods: TerminalPod[];
  error?: { reason: TerminalClusterErrorReason; message: string };
  /** As in {@link TerminalClusterSummary.authProvider}: the person's own credential is needed, under this key. */
  authProvider?: string;
  /** The kubectl session pod mode in this cluster; absent when the backend has it switched off. */
  sessionPod?: TerminalSessionPodAvailability;
}

/**
 * Why a cluster's pods could not be listed. `SIGN_IN_REQUIRED`: the cluster's credential is the
 * person's own (see {@link TerminalClusterSummary.authProvider}) and none came with the request.
 *
 * @public
 */
export type TerminalClusterErrorReason =
  | 'UNREACHABLE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'SIGN_IN_REQUIRED'
  | 'ERROR';

/**
 * The person's own credentials for clusters whose `authProvider` is `google`, `oidc` or `aks`, as the
 * Kubernetes plugin's frontend puts them in its request bodies (`kubernetesAuthProvidersApiRef`'s
 * `decorateRequestBodyForAuth`). Sent in request bodies only; the backend uses them for that request
 * or session and keeps them nowhere.
 *
 * @public
 */
export interface TerminalClusterAuth {
  google?: string;
  aks?: string;
  /** ID tokens by `oidcTokenProvider` name. */
  oidc?: { [oidcTokenProvider: string]: string };
}

/**
 * A configured cluster, in the answer of `GET /clusters`.
 *
 * @public
 */
export interface TerminalClusterSummary {
  name: string;
  title?: string;
  /**
   * Set when the cluster is reached with the person's own credential: the key under which
   * `kubernetesAuthProvidersApiRef` provides it (`google`, `aks`, or `oidc.<oidcTokenProvider>`).
   */
  authProvider?: string;
  /** Why the terminal cannot use this cluster, when it cannot. */
  unusable?: string;
}

/**
 * Answer of `GET /clusters`.
 *
 * @public
 */
export interface TerminalClustersResponse {
  items: TerminalClusterSummary[];
}

/**
 * What the browser sends with `POST /targets` (the same answer as `GET /targets`, for clusters that
 * need the person's credential).
 *
 * @public
 */
export interface TerminalTargetsRequest {
  entityRef: string;
  auth?: TerminalClusterAuth;
}

/**
 * Answer of `GET /targets?entityRef=`.
 *
 * @public
 */
export interface TerminalTargetsResponse {
  entityRef: string;
  /** False when the entity has no `backstage.io/kubernetes-id` or `-label-selector` annotation. */
  annotated: boolean;
  /** The label selector the pods were found with. */
  labelSelector?: string;
  /** Whether the caller may open a terminal on this entity. */
  canExec: boolean;
  /**
   * Whether the caller may start a debug container beside the entity's containers; absent when the
   * portal offers no debug containers.
   */
  canDebug?: boolean;
  /**
   * The entity's clusters and pods; empty when the caller may neither open a terminal nor start a
   * session pod on the entity (then `denied` says why).
   */
  clusters: TerminalCluster[];
  /** Set when the caller may do nothing here: what it would take, for the page to explain. */
  denied?: TerminalDenial;
}

/**
 * Why a person may not open a terminal on an entity, as far as the backend can tell.
 *
 * @public
 */
export interface TerminalDenial {
  /** The permissions the portal's policy did not grant, e.g. `kubernetes.terminal.exec`. */
  permissions: string[];
  /** The entity's owner (`spec.owner`, as an entity ref), whom policies often grant it to. */
  owner?: string;
}

/**
 * What the browser asks for with `POST /sessions`.
 *
 * @public
 */
export type CreateTerminalSessionRequest =
  | {
      /** Default `exec`: a shell in a container of the entity's pods. */
      kind?: 'exec';
      entityRef: string;
      cluster: string;
      namespace: string;
      pod: string;
      container: string;
      cols?: number;
      rows?: number;
      /**
       * Default true. `false` runs the shell without a terminal, for programs rather than people:
       * output and errors arrive interleaved as data, input is read line by line, resizes are
       * ignored, and every line sent is recorded as a command (there is no echo to tell commands
       * from other input).
       */
      tty?: boolean;
    }
  | {
      /**
       * A debug container beside `container` (its target: the debugger sees its processes where the
       * cluster shares them): an ephemeral container added to `pod` with the portal's debug image,
       * or the same person's running one for the same target, attached to.
       */
      kind: 'debug';
      entityRef: string;
      cluster: string;
      namespace: string;
      pod: string;
      container: string;
      cols?: number;
      rows?: number;
      auth?: TerminalClusterAuth;
    }
  | {
      /**
       * A kubectl session pod provisioned for the user in `namespace` (one of the entity's), acting
       * with the session's own narrowly scoped credentials. Reused for the same user, cluster and
       * namespace while it lives.
       */
      kind: 'session-pod';
      entityRef: string;
      cluster: string;
      namespace: string;
      cols?: number;
      rows?: number;
    };

/**
 * Whether the kubectl session pod mode is offered for an entity in a cluster.
 *
 * @public
 */
export interface TerminalSessionPodAvailability {
  /** Enabled by the portal's config for this cluster. */
  enabled: boolean;
  /** The caller holds `kubernetes.terminal.sessionPod.create` on the entity. */
  canCreate: boolean;
  /** Namespaces a session pod may be started in: the entity's. */
  namespaces: string[];
  /** ClusterRole the session's credentials are bound to in those namespaces, e.g. `view`. */
  clusterRole?: string;
}

/**
 * Answer of `POST /sessions`: the ticket is single-use, short-lived, bound to this session and user,
 * and travels in `Sec-WebSocket-Protocol`, never in a URL.
 *
 * @public
 */
export interface CreateTerminalSessionResponse {
  sessionId: string;
  ticket: string;
  ticketExpiresAt: string;
  /** Path of the WebSocket, relative to the plugin's base URL. */
  streamPath: string;
}

/**
 * Answer of `POST /sessions/:id/extend` and the payload of the `expiry` wire message.
 *
 * @public
 */
export interface TerminalSessionExpiry {
  /** When the session pod and its credentials are deleted, ISO 8601. */
  expiresAt: string;
  /** The latest `expiresAt` extensions can reach (the stored cap; a reconnect does not reset it). */
  maxExpiresAt: string;
  /** Whether `extend` would move `expiresAt` (false once the cap is reached). */
  canExtend: boolean;
  /** How much one extension adds, in seconds. */
  extendBySeconds: number;
}
