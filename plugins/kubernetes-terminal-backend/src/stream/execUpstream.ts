import type { KubeConfig } from '@kubernetes/client-node';
// Not re-exported from the package index, but it is what client-node's own Exec uses.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { PassThrough } from 'node:stream';
import WebSocket from 'ws';

/** @internal */
export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  tty: boolean;
  /** `pods/attach` to the container's running process instead of exec'ing `command`. */
  attach?: boolean;
}

/** A Kubernetes `Status` as sent by the API server on errors and on channel 3. @internal */
export interface KubeStatus {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    causes?: Array<{ reason?: string; type?: string; message?: string }>;
  };
}

/**
 * The exec upgrade was refused: the HTTP status and the API server's `Status`, when it sent one.
 *
 * @internal
 */
export class ExecRefusedError extends Error {
  constructor(readonly httpStatus: number, readonly status?: KubeStatus) {
    super(
      status?.message ??
        `the Kubernetes API refused the exec request with HTTP ${httpStatus}`,
    );
    this.name = 'ExecRefusedError';
  }
}

/** Where an exec stream's frames go, with their channel byte split off. @internal */
export interface ExecFrameSink {
  onFrame(channel: number, data: Buffer): void;
}

const kSink = Symbol('exec frame sink');
type SinkedSocket = WebSocket & { [kSink]: ExecFrameSink };

/**
 * Every exec stream's `message` listener: one function for all sessions, which calls its socket's
 * sink. (With a closure per session here, V8 threw the path's optimised code away when an earlier
 * session was collected, and compiled it again on the keystroke path: see `UpstreamSink`.)
 */
function onExecMessage(
  this: WebSocket,
  data: WebSocket.RawData,
  isBinary: boolean,
) {
  if (isBinary) {
    const frame = data as Buffer;
    if (frame.length > 0)
      (this as SinkedSocket)[kSink].onFrame(frame[0], frame.subarray(1));
  }
}

/**
 * Opens `pods/exec` (or `pods/attach`) through client-node's WebSocket handler (v5, falling back to v4 by subprotocol
 * negotiation). Frames are handed to `sink` with their channel byte split off.
 *
 * @internal
 */
export async function openExecStream(
  kubeConfig: KubeConfig,
  target: ExecTarget,
  sink: ExecFrameSink,
): Promise<WebSocket> {
  const query = new URLSearchParams({
    container: target.container,
    stdin: 'true',
    stdout: 'true',
    stderr: String(!target.tty),
    tty: String(target.tty),
  });
  for (const arg of target.attach ? [] : target.command) {
    query.append('command', arg);
  }
  const path = `/api/v1/namespaces/${encodeURIComponent(
    target.namespace,
  )}/pods/${encodeURIComponent(target.pod)}/${
    target.attach ? 'attach' : 'exec'
  }?${query}`;

  let refused: Promise<ExecRefusedError> | undefined;
  const handler = new WebSocketHandler(
    kubeConfig,
    (uri, protocols, opts) => {
      const socket = new WebSocket(uri, protocols, {
        ...opts,
        perMessageDeflate: false,
        handshakeTimeout: 15_000,
      });
      // Keep the API server's Status (Forbidden, NotFound, ...) instead of ws's bare "Unexpected
      // server response".
      socket.on('unexpected-response', (_req, res) => {
        refused = new Promise(resolve => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 64 * 1024) chunks.push(chunk);
          });
          res.on('end', () => {
            let status: KubeStatus | undefined;
            try {
              status = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              status = undefined;
            }
            resolve(new ExecRefusedError(res.statusCode ?? 0, status));
            socket.terminate();
          });
          res.on('error', () => {
            resolve(new ExecRefusedError(res.statusCode ?? 0));
            socket.terminate();
          });
        });
      });
      return socket as any;
    },
    // client-node would otherwise end this process's own stdout when the server half-closes a channel.
    {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    },
  );
  try {
    const socket = (await handler.connect(path, null, (channel, data) => {
      sink.onFrame(channel, data);
      return true;
    })) as unknown as SinkedSocket;
    // From here on frames come straight from ws rather than through client-node's `onmessage`, which
    // builds a MessageEvent per frame on the keystroke's path. Both hand `sink` the same frames in
    // order: those that came before this line went through client-node.
    socket.onmessage = null;
    socket[kSink] = sink;
    socket.on('message', onExecMessage);
    return socket;
  } catch (error) {
    if (refused) {
      throw await refused;
    }
    const cause = (error as { error?: Error; message?: string }).error ?? error;
    throw new Error(
      `exec stream could not be opened: ${
        (cause as Error)?.message ?? String(cause)
      }`,
    );
  }
}

/** Channel numbers of the Kubernetes exec protocol. @internal */
export const ExecChannel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  Status: 3,
  Resize: 4,
  Close: 255,
} as const;

/** The exit code a channel-3 Status reports; undefined when it reports an exec failure instead. */
export function exitCodeOf(status: KubeStatus): number | undefined {
  if (status.status === 'Success') {
    return 0;
  }
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find(
      c => c.reason === 'ExitCode' || c.type === 'ExitCode',
    );
    const code = Number(cause?.message);
    return Number.isInteger(code) ? code : undefined;
  }
  return undefined;
}

/** Whether a Status says the command itself could not be started (so the next shell may be tried). */
export function isCommandNotFound(status: KubeStatus): boolean {
  if (status.status !== 'Failure' || exitCodeOf(status) !== undefined) {
    return false;
  }
  return (
    status.code === 500 ||
    status.reason === 'InternalError' ||
    /executable file not found|no such file or directory|not found/i.test(
      status.message ?? '',
    )
  );
}
