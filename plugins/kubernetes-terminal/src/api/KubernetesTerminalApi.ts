import { createApiRef } from '@backstage/core-plugin-api';
import type {
  CreateTerminalSessionRequest,
  CreateTerminalSessionResponse,
  TerminalTargetsResponse,
} from '@internal/plugin-kubernetes-terminal-common';

/**
 * Talks to the kubernetes-terminal backend.
 *
 * @public
 */
export interface KubernetesTerminalApi {
  /** Lists the clusters, pods and containers a terminal can be opened in for an entity. */
  getTargets(options: { entityRef: string }): Promise<TerminalTargetsResponse>;

  /** Creates a session and a single-use ticket for its WebSocket. */
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
}

/**
 * @public
 */
export const kubernetesTerminalApiRef = createApiRef<KubernetesTerminalApi>({
  id: 'plugin.kubernetes-terminal.service',
});
