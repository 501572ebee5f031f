import type { WebSocket } from 'ws';
/*
 * The Kubernetes streaming protocol over WebSocket (k8s.io/apimachinery/pkg/util/remotecommand and
 * httpstream/wsstream): one channel byte in front of every binary message.
 */

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** v4+: a JSON metav1.Status when the command ends. */
export const ERROR = 3;
/** JSON `{"Width":W,"Height":H}`. */
export const RESIZE = 4;
/** v5: `[255, channel]` half-closes a channel. */
export const CLOSE = 255;

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
/** Only the protocols whose error channel carries a Status are served (kubectl 1.31+ and client-node use them). */
export const SUPPORTED_PROTOCOLS = [V5, V4];

/** The API server picks the first protocol the client offers that it supports. */
export function negotiateProtocol(offered: string[]): string | undefined {
  return offered.find(p => SUPPORTED_PROTOCOLS.includes(p));
}

export function frame(channel: number, data?: Buffer | string): Buffer {
  let payload = Buffer.alloc(0);
  if (Buffer.isBuffer(data)) payload = data;
  else if (data !== undefined) payload = Buffer.from(data, 'utf8');
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

/** Parses a resize message; field names are matched case-insensitively, as Go's JSON decoder does. */
export function parseResize(
  data: Buffer,
): { cols: number; rows: number } | undefined {
  try {
    const parsed = JSON.parse(data.toString('utf8'));
    if (!parsed || typeof parsed !== 'object') return undefined;
    const lower = Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const cols = Number(lower.width);
    const rows = Number(lower.height);
    if (
      !Number.isInteger(cols) ||
      !Number.isInteger(rows) ||
      cols <= 0 ||
      rows <= 0
    )
      return undefined;
    return { cols: Math.min(cols, 10000), rows: Math.min(rows, 10000) };
  } catch {
    return undefined;
  }
}

export const SUCCESS_STATUS = { metadata: {}, status: 'Success' };

/** The kubelet's Status for a command that exited non-zero; client-go reads the ExitCode cause. */
export function nonZeroExitStatus(command: string[], code: number) {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(
      ' ',
    )}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** The Status a process's exit code ends a stream with. */
export function exitStatus(command: string[], code: number) {
  return code === 0 ? SUCCESS_STATUS : nonZeroExitStatus(command, code);
}

/** Where the API server sends its first, empty frame: the lowest channel the client reads. */
export function lowestWritableChannel(streams: {
  stdout: boolean;
  stderr: boolean;
}): number {
  if (streams.stdout) return STDOUT;
  if (streams.stderr) return STDERR;
  return ERROR;
}

/** Writes the final Status on the error channel, then closes the socket normally, as the API server does. */
export function sendFinalStatus(ws: WebSocket, status: unknown): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(frame(ERROR, JSON.stringify(status)), { binary: true }, () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
}

/** A command that could not start at all: an InternalError (500), as from the container runtime. */
export function execFailureStatus(message: string) {
  const full = `error executing command in container: ${message}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${full}`,
    reason: 'InternalError',
    details: { causes: [{ message: full }] },
    code: 500,
  };
}

export function notFoundInPathMessage(
  containerId: string,
  binary: string,
): string {
  return `failed to exec in container: failed to start exec "${containerId}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${binary}": executable file not found in $PATH: unknown`;
}
