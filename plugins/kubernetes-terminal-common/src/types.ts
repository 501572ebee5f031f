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
}

/** @public */
export type TerminalClusterErrorReason =
  | 'UNREACHABLE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ERROR';

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
  clusters: TerminalCluster[];
}

/**
 * What the browser asks for with `POST /sessions`.
 *
 * @public
 */
export interface CreateTerminalSessionRequest {
  entityRef: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  cols?: number;
  rows?: number;
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
