import { AGENT_CLUSTER_HEADER } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';

/** The path, under a replica's plugin base URL, where other replicas relay through its agent tunnels. @internal */
export const PEER_RELAY_PATH = '/internal/agents/relay';
/** The HTTP/1.1 Upgrade protocol of a relay: after the 101, the socket carries the connection's bytes. @internal */
export const PEER_RELAY_PROTOCOL = 'kubernetes-terminal-relay';
/** The address (`host:port`) in the cluster that the relayed connection goes to. @internal */
export const PEER_RELAY_TO_HEADER = 'x-kubernetes-terminal-relay-to';

const RELAY_TIMEOUT_MS = 5000;

/** How replicas prove to each other that a relay comes from this plugin. @internal */
export interface PeerAuth {
  /** A token of this plugin for another replica of it. */
  token(): Promise<string>;
  /** Whether a token is this plugin's own. */
  verify(token: string): Promise<boolean>;
}

/**
 * A connection to `authority` in `cluster` through the replica at `address`, which holds the cluster's
 * agent tunnel: an HTTP/1.1 Upgrade to that replica, after which the socket carries the bytes (TLS to
 * the API server still runs end to end inside it).
 *
 * @internal
 */
export function relayThroughPeer(options: {
  address: string;
  cluster: string;
  authority: string;
  token: string;
}): Promise<Duplex> {
  const { address, cluster, authority, token } = options;
  const url = new URL(`${address.replace(/\/+$/, '')}${PEER_RELAY_PATH}`);
  const transport = url.protocol === 'https:' ? https : http;
  const holder = `the portal replica at ${url.origin} holding the agent tunnel of cluster '${cluster}'`;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, {
      method: 'GET',
      headers: {
        connection: 'Upgrade',
        upgrade: PEER_RELAY_PROTOCOL,
        authorization: `Bearer ${token}`,
        [AGENT_CLUSTER_HEADER]: cluster,
        [PEER_RELAY_TO_HEADER]: authority,
      },
      timeout: RELAY_TIMEOUT_MS,
    });
    req.on('upgrade', (_res, socket, head) => {
      socket.setTimeout(0);
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        reject(
          new Error(
            Buffer.concat(chunks).toString('utf8').trim().slice(0, 500) ||
              `${holder} answered HTTP ${res.statusCode}`,
          ),
        ),
      );
    });
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${RELAY_TIMEOUT_MS} ms`)),
    );
    req.on('error', error =>
      reject(new Error(`${holder} cannot be reached: ${error.message}`)),
    );
    req.end();
  });
}
