import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  TERMINAL_TICKET_PROTOCOL_PREFIX,
  TERMINAL_WS_PROTOCOL,
  type CreateTerminalSessionRequest,
  type CreateTerminalSessionResponse,
  type TerminalTargetsResponse,
} from '@internal/plugin-kubernetes-terminal-common';
import type { KubernetesTerminalApi } from './KubernetesTerminalApi';

/**
 * Creates the browser WebSocket of a session; replaceable in tests.
 *
 * @public
 */
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocket;

const PLUGIN_ID = 'kubernetes-terminal';

/**
 * The default {@link KubernetesTerminalApi}, backed by the kubernetes-terminal backend plugin.
 *
 * @public
 */
export class KubernetesTerminalClient implements KubernetesTerminalApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly webSocketFactory: WebSocketFactory;

  constructor(options: {
    discoveryApi: DiscoveryApi;
    fetchApi: FetchApi;
    webSocketFactory?: WebSocketFactory;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.webSocketFactory =
      options.webSocketFactory ??
      ((url, protocols) => new WebSocket(url, protocols));
  }

  async getTargets(options: {
    entityRef: string;
  }): Promise<TerminalTargetsResponse> {
    return this.request<TerminalTargetsResponse>(
      `targets?entityRef=${encodeURIComponent(options.entityRef)}`,
    );
  }

  async createSession(
    request: CreateTerminalSessionRequest,
  ): Promise<CreateTerminalSessionResponse> {
    return this.request<CreateTerminalSessionResponse>('sessions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
  }

  async openStream(session: CreateTerminalSessionResponse): Promise<WebSocket> {
    const baseUrl = await this.discoveryApi.getBaseUrl(PLUGIN_ID);
    const url = toWebSocketUrl(baseUrl, session.streamPath);
    // Browsers cannot set headers on a WebSocket; the ticket rides in the subprotocol offer so it
    // never lands in a URL, a proxy log or the browser history.
    const socket = this.webSocketFactory(url, [
      TERMINAL_WS_PROTOCOL,
      `${TERMINAL_TICKET_PROTOCOL_PREFIX}${session.ticket}`,
    ]);
    socket.binaryType = 'arraybuffer';
    return socket;
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl(PLUGIN_ID);
    const response = await this.fetchApi.fetch(`${baseUrl}/${path}`, init);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

/**
 * Joins the plugin's base URL and a stream path relative to it, switching http(s) to ws(s).
 *
 * @internal
 */
export function toWebSocketUrl(baseUrl: string, streamPath: string): string {
  const base = new URL(baseUrl, window.location.href);
  const url = new URL(
    `${base.pathname.replace(/\/+$/, '')}/${streamPath.replace(/^\/+/, '')}`,
    base,
  );
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
