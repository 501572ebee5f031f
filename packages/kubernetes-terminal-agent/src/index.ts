/**
 * The kubernetes-terminal agent: runs inside a private cluster, dials out to the portal and relays the
 * portal's connections to the cluster's API server.
 *
 * @packageDocumentation
 */

export { TunnelAgent } from './TunnelAgent';
export type {
  AgentLogger,
  TunnelAgentOptions,
  TunnelAgentState,
} from './TunnelAgent';
export { main, hashAgentToken, newAgentToken } from './cli';
export { websocketDuplex } from './websocketDuplex';
