import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  TERMINAL_TICKET_PROTOCOL_PREFIX,
  TERMINAL_WS_PROTOCOL,
  type CreateTerminalSessionRequest,
  type CreateTerminalSessionResponse,
  type TerminalAgentStatus,
  type TerminalAuditEvent,
  type TerminalAuditEventQuery,
  type TerminalPage,
  type TerminalSessionDetail,
  type TerminalSessionExpiry,
  type TerminalResumeRequest,
  type TerminalSessionQuery,
  type TerminalSessionRecord,
  type TerminalClusterAuth,
  type TerminalClustersResponse,
  type TerminalTargetsResponse,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type {
  KubernetesTerminalApi,
  TerminalAuditExport,
  TerminalAuditExportFormat,
} from './KubernetesTerminalApi';

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

  async getClusters(): Promise<TerminalClustersResponse> {
    return this.request<TerminalClustersResponse>('clusters');
  }

  async getTargets(options: {
    entityRef: string;
    auth?: TerminalClusterAuth;
  }): Promise<TerminalTargetsResponse> {
    if (options.auth) {
      return this.request<TerminalTargetsResponse>('targets', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          entityRef: options.entityRef,
          auth: options.auth,
        }),
      });
    }
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

  async resumeSession(
    id: string,
    request: TerminalResumeRequest,
  ): Promise<CreateTerminalSessionResponse> {
    return this.request<CreateTerminalSessionResponse>(
      `sessions/${encodeURIComponent(id)}/resume`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      },
    );
  }

  async listSessions(
    query: TerminalSessionQuery = {},
  ): Promise<TerminalPage<TerminalSessionRecord>> {
    return this.request<TerminalPage<TerminalSessionRecord>>(
      `sessions${toQueryString(query)}`,
    );
  }

  async getSession(id: string): Promise<TerminalSessionDetail> {
    return this.request<TerminalSessionDetail>(
      `sessions/${encodeURIComponent(id)}`,
    );
  }

  async getRecording(id: string): Promise<string> {
    const response = await this.send(
      `sessions/${encodeURIComponent(id)}/recording`,
    );
    return response.text();
  }

  async downloadRecording(id: string): Promise<TerminalAuditExport> {
    const response = await this.send(
      `sessions/${encodeURIComponent(id)}/recording?download=true`,
    );
    return {
      blob: await response.blob(),
      filename:
        filenameFromContentDisposition(
          response.headers.get('Content-Disposition'),
        ) ?? `terminal-session-${id}.cast`,
    };
  }

  async terminateSession(id: string): Promise<void> {
    await this.send(`sessions/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  async extendSession(id: string): Promise<TerminalSessionExpiry> {
    return this.request<TerminalSessionExpiry>(
      `sessions/${encodeURIComponent(id)}/extend`,
      { method: 'POST' },
    );
  }

  async listAuditEvents(
    query: TerminalAuditEventQuery = {},
  ): Promise<TerminalPage<TerminalAuditEvent>> {
    return this.request<TerminalPage<TerminalAuditEvent>>(
      `audit-events${toQueryString(query)}`,
    );
  }

  async listAgents(): Promise<{ items: TerminalAgentStatus[] }> {
    return this.request<{ items: TerminalAgentStatus[] }>('agents');
  }

  async exportAuditEvents(
    query: TerminalAuditEventQuery,
    format: TerminalAuditExportFormat,
  ): Promise<TerminalAuditExport> {
    const { cursor: _cursor, limit: _limit, ...filters } = query;
    const response = await this.send(
      `audit-events/export${toQueryString({ format, ...filters })}`,
    );
    return {
      blob: await response.blob(),
      filename:
        filenameFromContentDisposition(
          response.headers.get('Content-Disposition'),
        ) ?? `terminal-audit-events.${format}`,
    };
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.send(path, init);
    return (await response.json()) as T;
  }

  private async send(path: string, init?: RequestInit): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl(PLUGIN_ID);
    const response = await this.fetchApi.fetch(`${baseUrl}/${path}`, init);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}

/**
 * Builds `?a=1&b=x&b=y` from a query object: arrays repeat their key, empty values are left out.
 *
 * @internal
 */
export function toQueryString(query: object): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item !== undefined && item !== null && item !== '') {
        parts.push(
          `${encodeURIComponent(key)}=${encodeURIComponent(String(item))}`,
        );
      }
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * The file name of a `Content-Disposition: attachment` header; the RFC 5987 `filename*` wins over
 * `filename`. Any directory part is dropped.
 *
 * @internal
 */
export function filenameFromContentDisposition(
  header: string | null,
): string | undefined {
  if (!header) {
    return undefined;
  }
  let name: string | undefined;
  const extended = /filename\*\s*=\s*(?:[\w-]+)?'[^']*'([^;]+)/i.exec(header);
  if (extended) {
    try {
      name = decodeURIComponent(extended[1].trim());
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(
      header,
    );
    name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  }
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base || undefined;
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
