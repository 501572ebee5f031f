import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net, { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { impersonate } from '../auth/authenticate';
import { AuthorizationAttributes } from '../auth/rbac';
import { AttachSession } from '../exec/AttachSession';
import { parseAttachRequest, parseExecRequest } from '../exec/execRequest';
import { MainProcesses } from '../exec/MainProcesses';
import { ExecSession } from '../exec/ExecSession';
import { negotiateProtocol, SUPPORTED_PROTOCOLS } from '../exec/channels';
import { PodRuntime } from '../pods/PodRuntime';
import { findResource } from '../resources';
import {
  ApiError,
  badRequest,
  methodNotAllowed,
  resourceNotFound,
  toApiError,
  unauthorized,
} from '../status';
import { UserInfo } from '../types';
import { ApiContext } from './context';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  SANDBOX_VERSION,
} from './discovery';
import { rawStatusResponse, sendJson, sendStatus } from './http';
import { openApiFor } from './openapi';
import { parseRequestInfo, RequestInfo } from './requestInfo';
import { handleResource } from './resourceHandlers';
import { createSelfSignedCertificate } from './selfSignedCertificate';

/*
 * The HTTP front: authentication, impersonation, authorization, then routing to discovery, resource
 * handlers or the exec WebSocket. Every failure becomes a Status; nothing a client sends may take the
 * process down.
 *
 * One port speaks both plain HTTP and HTTPS, told apart by the first byte of a connection (0x16 opens
 * a TLS handshake): Backstage and client-node are happy with http://, while kubectl only sends bearer
 * tokens over TLS.
 */

const ANONYMOUS: UserInfo = {
  name: 'system:anonymous',
  groups: ['system:unauthenticated'],
};
const HEARTBEAT_MS = 30_000;
const MAX_WS_MESSAGE = 1024 * 1024;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

export class SandboxServer {
  private readonly server: http.Server;
  private readonly tlsServer: https.Server;
  private readonly front: net.Server;
  /** PEM of the self-signed certificate, for kubeconfigs' certificate-authority-data. */
  readonly certificate: string;
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakSet<WebSocket>();
  private heartbeat?: NodeJS.Timeout;
  private address?: AddressInfo;
  /** Ephemeral containers' main processes, which attach joins. */
  private readonly mainProcesses: MainProcesses;

  constructor(
    private readonly ctx: ApiContext,
    private readonly runtime: PodRuntime,
    options: {
      /** `--client-ca-file`'s content: client certificates it signed authenticate (CN user, O groups). */
      clientCaPem?: string;
    } = {},
  ) {
    this.mainProcesses = new MainProcesses({
      runtime,
      store: ctx.store,
      apiHost: '127.0.0.1',
      apiPort: () => this.address?.port ?? 0,
      logger: ctx.logger,
    });
    runtime.mainProcesses = this.mainProcesses;
    const tls = createSelfSignedCertificate();
    this.certificate = tls.cert;
    this.server = http.createServer();
    this.tlsServer = https.createServer({
      key: tls.key,
      cert: tls.cert,
      // A client certificate is asked for, never required: tokens still work over TLS.
      ...(options.clientCaPem && {
        requestCert: true,
        rejectUnauthorized: false,
        ca: options.clientCaPem,
      }),
    });
    for (const server of [this.server, this.tlsServer]) {
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        this.handle(req, res).catch(error => this.fail(res, error));
      });
      server.on(
        'upgrade',
        (req: IncomingMessage, socket: Duplex, head: Buffer) => {
          socket.on('error', () => undefined);
          this.handleUpgrade(req, socket, head).catch(error => {
            const apiError = toApiError(error);
            this.ctx.audit?.record(req, {
              code: apiError.code,
              ...this.audited.get(req),
            });
            this.refuseUpgrade(socket, apiError);
          });
        },
      );
      server.on('clientError', (_error: Error, socket: Duplex) => {
        if (socket.writable)
          socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
    }
    this.tlsServer.on('tlsClientError', (_error, socket) => socket.destroy());
    this.front = net.createServer(socket => {
      socket.on('error', () => undefined);
      socket.once('data', chunk => {
        socket.pause();
        socket.unshift(chunk);
        (chunk[0] === 0x16 ? this.tlsServer : this.server).emit(
          'connection',
          socket,
        );
        process.nextTick(() => socket.resume());
      });
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_WS_MESSAGE,
      handleProtocols: protocols => negotiateProtocol([...protocols]) ?? false,
    });
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    if (!LOOPBACK_HOSTS.includes(host)) {
      throw new Error(
        `kube-sandbox only listens on loopback (${LOOPBACK_HOSTS.join(
          ', ',
        )}), not "${host}"`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(port, host === 'localhost' ? '127.0.0.1' : host, () => {
        this.front.off('error', reject);
        resolve();
      });
    });
    this.address = this.front.address() as AddressInfo;
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    return this.address;
  }

  private beat(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  private fail(res: ServerResponse, error: unknown): void {
    const apiError = toApiError(error);
    if (apiError.code >= 500) {
      this.ctx.logger.error(
        `request failed: ${(error as Error)?.stack ?? error}`,
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendStatus(res, apiError);
  }

  /** What the audit log says of a request in progress: who, and what it asked for. */
  private readonly audited = new WeakMap<
    IncomingMessage,
    { caller?: UserInfo; user?: UserInfo; info?: RequestInfo }
  >();

  /** The caller after authentication and impersonation; anonymous when no credentials were sent. */
  private async identify(req: IncomingMessage): Promise<UserInfo> {
    const caller =
      (await this.ctx.authenticator.authenticate(req)) ?? ANONYMOUS;
    this.audited.set(req, { caller });
    const user =
      caller === ANONYMOUS ? caller : impersonate(req, caller, this.ctx.rbac);
    this.audited.set(req, { caller, user });
    return user;
  }

  private authorizeRequest(
    user: UserInfo,
    info: RequestInfo,
    verbOverride?: string,
  ): void {
    const attrs: AuthorizationAttributes = info.isResourceRequest
      ? {
          user,
          verb: verbOverride ?? info.verb,
          resourceRequest: true,
          namespace: info.namespace,
          apiGroup: info.apiGroup,
          resource: info.resource,
          subresource: info.subresource,
          name: info.name,
        }
      : { user, verb: info.verb, resourceRequest: false, path: info.path };
    if (this.ctx.rbac.allowed(attrs)) return;
    // Anonymous callers are not "forbidden", they are not logged in: 401 like an API server
    // without anonymous auth.
    if (user === ANONYMOUS) throw unauthorized();
    this.ctx.rbac.authorize(attrs);
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox');
    res.on('finish', () =>
      this.ctx.audit?.record(req, {
        code: res.statusCode,
        ...this.audited.get(req),
      }),
    );
    const user = await this.identify(req);
    if (!METHODS.has(method)) throw methodNotAllowed();
    const info = parseRequestInfo(method, url);
    this.audited.set(req, { ...this.audited.get(req), info });
    this.authorizeRequest(user, info);
    if (!info.isResourceRequest) {
      this.nonResource(res, method, info);
      return;
    }
    const resource = findResource(
      info.apiGroup,
      info.apiVersion,
      info.resource ?? '',
    );
    if (!resource) throw resourceNotFound();
    await handleResource(this.ctx, { req, res, url, info, resource, user });
  }

  private nonResource(
    res: ServerResponse,
    method: string,
    info: RequestInfo,
  ): void {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    const path = info.path.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': 2,
      });
      res.end('ok');
      return;
    }
    let body: unknown;
    if (path === '/version') body = SANDBOX_VERSION;
    else if (path === '/api') body = apiVersions();
    else if (path === '/apis') body = apiGroupList();
    else if (path.startsWith('/openapi/v3')) body = openApiFor(path);
    else if (info.apiPrefix === 'api' || info.apiPrefix === 'apis')
      body = apiResourceList(info.apiGroup, info.apiVersion);
    else {
      const m = /^\/apis\/([^/]+)$/.exec(path);
      if (m) body = apiGroup(m[1]);
    }
    if (body === undefined) throw resourceNotFound();
    sendJson(res, 200, body);
  }

  private refuseUpgrade(socket: Duplex, error: ApiError): void {
    if (socket.writable) socket.end(rawStatusResponse(error));
    else socket.destroy();
  }

  private async handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const user = await this.identify(req);
    const info = parseRequestInfo(req.method ?? 'GET', url);
    this.audited.set(req, { ...this.audited.get(req), info });
    if (
      !info.isResourceRequest ||
      info.resource !== 'pods' ||
      !info.namespace ||
      !info.name
    ) {
      throw resourceNotFound();
    }
    if (info.subresource !== 'exec' && info.subresource !== 'attach') {
      throw badRequest(
        `the sandbox supports upgrades only for pods/exec and pods/attach, not ${
          info.subresource ?? 'pods'
        }`,
      );
    }
    // Kubernetes 1.35 semantics: a WebSocket exec or attach (a GET) needs `create` on the
    // subresource, like SPDY's POST.
    this.authorizeRequest(user, info, 'create');
    const attach =
      info.subresource === 'attach'
        ? parseAttachRequest(this.ctx.store, info.namespace, info.name, url)
        : undefined;
    if (
      attach &&
      !this.mainProcesses.has(attach.pod.metadata.uid!, attach.container)
    ) {
      throw badRequest(
        `the sandbox runs no main process in container ${attach.container}: attach works with ephemeral containers (kubectl debug); use exec for the others`,
      );
    }
    const params = attach
      ? undefined
      : parseExecRequest(this.ctx.store, info.namespace, info.name, url);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw badRequest(
        `the sandbox serves exec over WebSocket only (${SUPPORTED_PROTOCOLS.join(
          ', ',
        )}); the "${req.headers.upgrade}" upgrade (SPDY) is not supported`,
      );
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim())
      .filter(Boolean);
    if (!negotiateProtocol(offered)) {
      throw badRequest(
        `requested protocol(s) are not supported: [${offered.join(
          ' ',
        )}]; supports [${SUPPORTED_PROTOCOLS.join(' ')}]`,
      );
    }
    this.wss.handleUpgrade(req, socket, head, ws => {
      this.ctx.audit?.record(req, { code: 101, ...this.audited.get(req) });
      this.alive.add(ws);
      ws.on('pong', () => this.alive.add(ws));
      if (attach) {
        this.ctx.logger.debug?.(
          `attach ${user.name} ${info.namespace}/${info.name}/${attach.container}`,
        );
        if (
          !new AttachSession({
            ws,
            params: attach,
            processes: this.mainProcesses,
          }).start()
        ) {
          // The process exited between the check and the upgrade.
          ws.close(1000);
        }
        return;
      }
      if (!params) return;
      this.ctx.logger.debug?.(
        `exec ${user.name} ${info.namespace}/${info.name}/${
          params.container
        }: ${params.command.join(' ')}`,
      );
      new ExecSession({
        ws,
        params,
        runtime: this.runtime,
        store: this.ctx.store,
        apiHost: '127.0.0.1',
        apiPort: this.address?.port ?? 0,
        logger: this.ctx.logger,
      }).start();
    });
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const res of [...this.ctx.openWatches]) res.end();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await new Promise<void>(resolve => {
      this.front.close(() => resolve());
      this.server.closeAllConnections();
      this.tlsServer.closeAllConnections();
    });
  }
}
