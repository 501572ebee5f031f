import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import net from 'node:net';
import type { ClientRequestArgs } from 'node:http';
import tls from 'node:tls';
import { Agent } from 'undici';
import type { AgentTunnels } from './AgentTunnels';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type HttpsOptions = Parameters<KubeConfig['applyToHTTPSOptions']>[0];

/** The TLS settings client-node gives a connection to the cluster (CA, client certificate, name). */
const TLS_KEYS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const;

/**
 * A KubeConfig for a cluster reached through its agent: client-node builds every request as for any
 * cluster (the credential from the cluster's auth strategy, its CA, its `url`), and only the socket
 * differs: an HTTP/2 CONNECT stream through the agent's tunnel, with TLS to the API server inside it.
 * Both of client-node's transports take it: API calls (undici, through a dispatcher whose connector opens
 * tunnel streams) and exec/attach WebSockets (ws, through `createConnection`).
 *
 * @internal
 */
export class TunnelledKubeConfig extends KubeConfig {
  private tunnelDispatcher?: Promise<Dispatcher>;

  constructor(
    private readonly tunnels: AgentTunnels,
    private readonly clusterName: string,
  ) {
    super();
  }

  override async applyToHTTPSOptions(opts: HttpsOptions): Promise<void> {
    await this.tunnels.assertConnected(this.clusterName);
    await super.applyToHTTPSOptions(opts);
    const options = opts as HttpsOptions & ClientRequestArgs;
    // No agent: Node then asks `createConnection` for the socket (ws's default would dial the URL),
    // which may hand it over later through its callback.
    options.agent = undefined;
    options.createConnection = ((
      args: tls.ConnectionOptions,
      done: (error: Error | null, socket?: tls.TLSSocket) => void,
    ) => {
      this.tlsThroughTunnel(args).then(
        socket => done(null, socket),
        error => done(error),
      );
      return undefined;
    }) as unknown as ClientRequestArgs['createConnection'];
  }

  override async applySecurityAuthentication(
    context: RequestContext,
  ): Promise<void> {
    await this.tunnels.assertConnected(this.clusterName);
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    this.tunnelDispatcher ??= this.createTunnelDispatcher();
    const dispatcher = await this.tunnelDispatcher;
    if (fresh && fresh !== dispatcher) {
      // client-node's own dispatcher would dial the URL; it never connected.
      void (fresh as { close?: () => Promise<void> }).close?.().catch(() => {});
    }
    context.setDispatcher(dispatcher);
  }

  /** An undici Agent whose every connection is a TLS session inside a tunnel stream. */
  private async createTunnelDispatcher(): Promise<Dispatcher> {
    const settings: HttpsOptions = {};
    await super.applyToHTTPSOptions(settings);
    const tlsOptions: tls.ConnectionOptions = {};
    for (const key of TLS_KEYS) {
      const value = (settings as Record<string, unknown>)[key];
      if (value !== undefined) {
        (tlsOptions as Record<string, unknown>)[key] = value;
      }
    }
    return new Agent({
      connect: async (options, callback) => {
        let socket: tls.TLSSocket;
        try {
          socket = await this.tlsThroughTunnel({
            ...tlsOptions,
            host: options.hostname,
            port: Number(options.port) || 443,
            ALPNProtocols: ['http/1.1'],
          });
        } catch (error) {
          callback(error as Error, null);
          return;
        }
        let done = false;
        socket.once('secureConnect', () => {
          if (done) return;
          done = true;
          callback(null, socket);
        });
        socket.once('error', error => {
          if (done) return;
          done = true;
          callback(error, null);
        });
      },
      keepAliveTimeout: 30_000,
    }) as unknown as Dispatcher;
  }

  /** TLS to the API server over a connection through the agent's tunnel. */
  private async tlsThroughTunnel(
    options: tls.ConnectionOptions,
  ): Promise<tls.TLSSocket> {
    const host = String(options.host ?? '');
    const port = Number(options.port) || 443;
    const stream = await this.tunnels.connect(this.clusterName, host, port);
    const servername =
      options.servername || (net.isIP(host) ? undefined : host);
    const socket = tls.connect({
      ...options,
      socket: stream,
      ...(servername && { servername }),
    });
    // The agent's refusal (or its failure to reach the API server) is the TLS socket's error.
    stream.on('error', error => socket.destroy(error));
    return socket;
  }
}
