import { z } from 'zod';
import type { TerminalSessionExpiry } from './types';

/**
 * The browser-backend wire protocol of a terminal session.
 *
 * Binary WebSocket frames carry terminal data: from the browser, stdin; from the backend, what the
 * container wrote (stdout and stderr, in order). Text frames carry one small JSON control message each,
 * defined below. A peer that receives a message it does not understand closes with
 * {@link TerminalCloseCode.ProtocolError}.
 *
 * @public
 */
export const TERMINAL_PROTOCOL_VERSION = 1;

/**
 * The WebSocket subprotocol the backend answers with. The browser offers it together with
 * `${TERMINAL_TICKET_PROTOCOL_PREFIX}<ticket>`; the ticket offer is never echoed.
 *
 * @public
 */
export const TERMINAL_WS_PROTOCOL = 'kubernetes-terminal.v1';

/** @public */
export const TERMINAL_TICKET_PROTOCOL_PREFIX = 'ticket.';

/**
 * Largest frame either side may send; larger frames close the socket with
 * {@link TerminalCloseCode.MessageTooBig}.
 *
 * @public
 */
export const TERMINAL_MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Flow control: the browser acknowledges output bytes once xterm.js has processed them; the backend
 * pauses the container's stream while more than this many bytes are unacknowledged.
 *
 * @public
 */
export const TERMINAL_ACK_WINDOW_BYTES = 1024 * 1024;

/**
 * WebSocket close codes used by the backend, with a human-readable reason in the close frame.
 *
 * @public
 */
export const TerminalCloseCode = {
  /**
   * The shell exited; an `exit` message precedes the close. From the browser (or a close frame
   * without a code): the person left on purpose (Disconnect, another target), and the session ends at
   * once; any other loss of the socket (1001 when a page goes away, 1006 when the network does)
   * detaches the session, to be resumed within the grace period.
   */
  Normal: 1000,
  /** The backend is shutting down. */
  GoingAway: 1001,
  MessageTooBig: 1009,
  ProtocolError: 4400,
  /** Missing, unknown, expired or already used ticket. */
  Unauthorized: 4401,
  Forbidden: 4403,
  /** The pod or container is gone. */
  NotFound: 4404,
  /** No heartbeat from the browser. */
  Timeout: 4408,
  /** No shell of the configured list exists in the container. */
  NoShell: 4422,
  /**
   * The kubectl session pod cannot start and retrying will not help (image pull error, invalid image,
   * crashing container); the reason names the Kubernetes reason and message.
   */
  SessionPodFailed: 4424,
  /**
   * A debug container cannot be added or does not start (image pull error, ephemeral containers
   * switched off, the pod's limit of debug containers); the reason says which.
   */
  DebugContainerFailed: 4425,
  /** Someone with permission ended the session; a `terminated` message says who. */
  Terminated: 4410,
  /** No input for longer than the idle limit. */
  IdleTimeout: 4411,
  /** The session reached its expiry. */
  Expired: 4412,
  /** Too many open sessions for this user. */
  TooManySessions: 4429,
  /**
   * The session was resumed on another socket (another tab of the same person, or a resume that
   * reached the backend before it noticed this socket was gone); this socket does not resume.
   */
  Replaced: 4409,

  /** The Kubernetes API failed or the exec stream was cut. */
  UpstreamError: 4502,
  /** The audit log cannot be written, and the portal refuses unaudited sessions. */
  AuditUnavailable: 4503,
} as const;

/** @public */
export type TerminalCloseCodeValue =
  (typeof TerminalCloseCode)[keyof typeof TerminalCloseCode];

const dimension = z.number().int().min(1).max(1000);

/**
 * A control message from the browser.
 *
 * @public
 */
export type TerminalClientMessage =
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ack'; bytes: number }
  | { type: 'ping' }
  /** Extends a session pod's expiry by the configured step, up to the cap. */
  | { type: 'extend' };

/**
 * Keeping a session across a lost socket. The backend numbers the output bytes of a session from 0
 * and keeps every byte the browser has not acknowledged; when the socket goes, the session is
 * *detached* for the grace period, its output held (and the container paused once the ack window is
 * full, so nothing is dropped). A resume (`POST /sessions/:id/resume` with the count of bytes the
 * terminal already holds) gets a new ticket; on the new socket the backend sends `resumed`, then the
 * output from that byte on.
 *
 * @public
 */
export interface TerminalResumeRequest {
  /** Output bytes of the session the browser's terminal holds (written to it, in order). */
  offset: number;
}

/** What a control message from the browser may hold; its shape is checked against the type above. */
const terminalClientMessageSchema: z.ZodType<TerminalClientMessage> =
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('resize'), cols: dimension, rows: dimension }),
    z.object({
      type: z.literal('ack'),
      bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    }),
    z.object({ type: z.literal('ping') }),
    z.object({ type: z.literal('extend') }),
  ]);

/**
 * A control message from the backend.
 *
 * @public
 */
export type TerminalServerMessage =
  | {
      type: 'hello';
      version: number;
      sessionId: string;
      target: {
        cluster: string;
        namespace: string;
        pod: string;
        container: string;
      };
      /**
       * How long the session waits for the browser after its socket is lost, in seconds; 0 when it
       * ends at once (resuming is switched off).
       */
      resumeGraceSeconds?: number;
    }
  | { type: 'connected'; shell: string; protocol: string }
  | { type: 'shell-fallback'; tried: string; next: string; reason: string }
  | { type: 'exit'; code: number; message?: string }
  | { type: 'terminated'; by: string; reason?: string }
  /**
   * Session pods: a provisioning step (`serviceaccount`, `rolebinding`, `token`, `networkpolicy`,
   * `pod`, `pod-phase`, `event`, `ready`), shown to the user while the pod starts.
   */
  | { type: 'progress'; step: string; message: string }
  /**
   * Session pods: the expiry, sent on connect, after each extension, and every minute from the
   * warning time before expiry (`warning: true`).
   */
  | ({ type: 'expiry'; warning: boolean } & TerminalSessionExpiry)
  | { type: 'idle'; idleSeconds: number; disconnectInSeconds?: number }
  /**
   * First message on a resumed socket: output follows from byte `from`. `missed` bytes between the
   * browser's offset and `from` were no longer held (only when the browser's offset was older than
   * what it had acknowledged, e.g. a reload without a saved screen).
   */
  | { type: 'resumed'; from: number; missed: number }
  | { type: 'error'; reason: string; message: string }
  | { type: 'pong' };

/**
 * Parses a text frame from the browser; returns an error message instead of throwing.
 *
 * @public
 */
export function parseTerminalClientMessage(
  text: string,
): { ok: true; message: TerminalClientMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'control message is not valid JSON' };
  }
  // Acks are the most frequent control message (one per echoed keystroke): checked by hand, as the
  // schema would, to keep the stream's hot path cheap. Anything unusual still goes through the schema.
  if (isPlainAck(json)) {
    return { ok: true, message: { type: 'ack', bytes: json.bytes } };
  }
  const result = terminalClientMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      error: `invalid control message: ${issue.path.join('.') || 'message'}: ${
        issue.message
      }`,
    };
  }
  return { ok: true, message: result.data };
}

function isPlainAck(value: unknown): value is { type: 'ack'; bytes: number } {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const { type, bytes } = value as Record<string, unknown>;
  return (
    type === 'ack' &&
    Object.keys(value).length === 2 &&
    typeof bytes === 'number' &&
    Number.isSafeInteger(bytes) &&
    bytes >= 0
  );
}

/**
 * How the terminal shows a session pod's `progress` message: one dim line. Defined once, so that
 * the browser draws it and the session's recording holds it alike (the recording replays what the
 * person saw, the start-up included).
 *
 * @public
 */
export function formatProgressLine(step: string, message: string): string {
  return `\x1b[2m[${step}] ${message}\x1b[0m\r\n`;
}
