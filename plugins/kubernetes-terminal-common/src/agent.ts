/**
 * The private-cluster agent's tunnel: the agent, running inside a cluster whose API server the portal
 * cannot reach, dials the backend's tunnel endpoint over a WebSocket and speaks HTTP/2 over it, the
 * backend being the HTTP/2 client. Each connection the backend makes to the cluster's API server is one
 * HTTP/2 `CONNECT` stream (RFC 9113 §8.5) to the API server's `host:port`; TLS runs inside it, end to end
 * between the backend and the API server, so the agent only ever relays ciphertext.
 */

/**
 * The tunnel endpoint under the plugin's base URL, e.g. `https://portal/api/kubernetes-terminal/agents/tunnel`.
 *
 * @public
 */
export const AGENT_TUNNEL_PATH = '/agents/tunnel';

/**
 * The WebSocket subprotocol an agent offers; the backend refuses a socket without it.
 *
 * @public
 */
export const AGENT_WS_PROTOCOL = 'kubernetes-terminal.agent.v1';

/**
 * The cluster the agent serves, as named in the portal's config; its token must be one of that cluster's.
 *
 * @public
 */
export const AGENT_CLUSTER_HEADER = 'x-kubernetes-terminal-agent-cluster';

/**
 * The agent's version, shown with its health.
 *
 * @public
 */
export const AGENT_VERSION_HEADER = 'x-kubernetes-terminal-agent-version';

/**
 * The API server address the agent relays to (`host:port`), shown with its health.
 *
 * @public
 */
export const AGENT_API_SERVER_HEADER = 'x-kubernetes-terminal-agent-api-server';

/**
 * Agent tokens start with this, so that a leaked one is recognisable (e.g. by secret scanners).
 *
 * @public
 */
export const AGENT_TOKEN_PREFIX = 'ktagent_';

/**
 * The actor of an agent's audit events (`agent_connected`, `agent_disconnected`, `agent_refused`):
 * `agent:<cluster>`, in place of a user entity ref.
 *
 * @public
 */
export const AGENT_ACTOR_PREFIX = 'agent:';

/**
 * One agent connection as an admin sees it (`GET /agents`).
 *
 * @public
 */
export interface TerminalAgentConnection {
  /** The id of the token the agent presented (from the config), never the token. */
  tokenId: string;
  version?: string;
  /** The API server address the agent relays to. */
  apiServer?: string;
  /** ISO time the tunnel was opened. */
  since: string;
  /** The replica holding this tunnel (its `resume.instanceUrl`, or `this replica`). */
  replica: string;
  remoteAddress?: string;
  /** Connections open through the tunnel now (known for the answering replica's own tunnels). */
  openStreams?: number;
}

/**
 * The health of one cluster reached through an agent.
 *
 * @public
 */
export interface TerminalAgentStatus {
  cluster: string;
  connected: boolean;
  connections: TerminalAgentConnection[];
  /** When no agent is connected: when the last one left, and why. */
  lastSeen?: string;
  lastError?: string;
}
