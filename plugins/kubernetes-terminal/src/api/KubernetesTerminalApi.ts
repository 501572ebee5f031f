import { createApiRef } from '@backstage/core-plugin-api';
import type {
  TerminalAgentStatus,
  TerminalResumeRequest,
  CreateTerminalSessionRequest,
  CreateTerminalSessionResponse,
  TerminalAuditEvent,
  TerminalAuditEventQuery,
  TerminalPage,
  TerminalSessionDetail,
  TerminalSessionExpiry,
  TerminalSessionQuery,
  TerminalSessionRecord,
  TerminalClusterAuth,
  TerminalClustersResponse,
  TerminalTargetsResponse,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/**
 * File formats of the audit log export.
 *
 * @public
 */
export type TerminalAuditExportFormat = 'csv' | 'json';

/**
 * A downloaded audit log export.
 *
 * @public
 */
export interface TerminalAuditExport {
  blob: Blob;
  /** From the answer's `Content-Disposition`, or a default name for the format. */
  filename: string;
}

/**
 * Talks to the kubernetes-terminal backend.
 *
 * @public
 */
export interface KubernetesTerminalApi {
  /** The configured clusters, and which of them are reached with the person's own credential. */
  getClusters(): Promise<TerminalClustersResponse>;

  /**
   * Lists the clusters, pods and containers a terminal can be opened in for an entity. `auth` carries
   * the person's credentials for clusters that need them (sent in the request body, never in a URL).
   */
  getTargets(options: {
    entityRef: string;
    auth?: TerminalClusterAuth;
  }): Promise<TerminalTargetsResponse>;

  /**
   * Creates a session and a single-use ticket for its WebSocket: a shell in a container, or, with
   * `kind: 'session-pod'`, a kubectl session pod.
   */
  createSession(
    request: CreateTerminalSessionRequest,
  ): Promise<CreateTerminalSessionResponse>;

  /**
   * Opens the WebSocket of a session created with {@link KubernetesTerminalApi.createSession}.
   *
   * The socket is returned as soon as it is created, before it is open; its `binaryType` is
   * `arraybuffer`.
   */
  openStream(session: CreateTerminalSessionResponse): Promise<WebSocket>;

  /**
   * A new single-use ticket to take a running session of the caller's over on a new socket (after a
   * lost connection or a page reload); open it with {@link KubernetesTerminalApi.openStream}. The
   * backend sends the output from `offset` (bytes the terminal already holds) on.
   */
  resumeSession(
    id: string,
    request: TerminalResumeRequest,
  ): Promise<CreateTerminalSessionResponse>;

  /**
   * Lists recorded sessions, newest first. Without `kubernetes.terminal.audit.read` the backend
   * returns only the caller's own sessions.
   */
  listSessions(
    query?: TerminalSessionQuery,
  ): Promise<TerminalPage<TerminalSessionRecord>>;

  /** One session with its events, oldest first. */
  getSession(id: string): Promise<TerminalSessionDetail>;

  /**
   * A session's recording as asciicast v2 text (`kubernetes.terminal.recording.read`); a live session's
   * as far as it has been written.
   */
  getRecording(id: string): Promise<string>;

  /** Downloads a session's recording as a `.cast` file. */
  downloadRecording(id: string): Promise<TerminalAuditExport>;

  /** Ends a live session: the caller's own, or anyone's with `kubernetes.terminal.session.terminate`. */
  terminateSession(id: string): Promise<void>;

  /**
   * Moves a session pod's expiry by the configured step, up to the stored cap. The open terminal
   * does the same with the `extend` wire message.
   */
  extendSession(id: string): Promise<TerminalSessionExpiry>;

  /**
   * Lists audit events, newest first. Without `kubernetes.terminal.audit.read` the backend returns
   * only the caller's own events.
   */
  listAuditEvents(
    query?: TerminalAuditEventQuery,
  ): Promise<TerminalPage<TerminalAuditEvent>>;

  /**
   * The health of every cluster reached through an agent (connected or not, version, since when,
   * which replica holds its tunnel). Needs `kubernetes.terminal.audit.read`.
   */
  listAgents(): Promise<{ items: TerminalAgentStatus[] }>;

  /** Downloads the audit events matching the query (cursor and limit are ignored) as a file. */
  exportAuditEvents(
    query: TerminalAuditEventQuery,
    format: TerminalAuditExportFormat,
  ): Promise<TerminalAuditExport>;
}

/**
 * @public
 */
export const kubernetesTerminalApiRef = createApiRef<KubernetesTerminalApi>({
  id: 'plugin.kubernetes-terminal.service',
});
