import type {
  TerminalSessionExpiry,
  TerminalSessionKind,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { ResponseError } from '@backstage/errors';
import { closeCodeText, notAllowedMessage } from './closeCodes';

export {
  DEBUG_NOT_ALLOWED_MESSAGE,
  NOT_ALLOWED_MESSAGE,
  SESSION_POD_NOT_ALLOWED_MESSAGE,
  notAllowedMessage,
} from './closeCodes';

/**
 * Where a terminal session stands, as shown in the status line.
 *
 * @internal
 */
export type TerminalConnectionState =
  | { status: 'connecting'; detail?: string }
  /** A session pod is being provisioned; `message` is the latest progress step. */
  | { status: 'provisioning'; message?: string }
  | { status: 'connected'; shell: string }
  /**
   * The socket was lost and the session is being resumed (attempt `attempt`); the backend keeps it
   * until `until` (epoch ms). `heldBytes` of input wait to be sent.
   */
  | {
      status: 'reconnecting';
      attempt: number;
      until: number;
      heldBytes: number;
    }
  | { status: 'exited'; code: number; message?: string }
  | { status: 'terminated'; by: string; reason?: string }
  /** `whileStarting`: the socket closed before the shell was connected. */
  | { status: 'closed'; code: number; reason: string; whileStarting?: boolean }
  /** The person pressed Disconnect. */
  | { status: 'disconnected' }
  | { status: 'failed'; error: Error };

/**
 * The backend's warning that the session is idle; shown in the status line until the user types.
 *
 * @internal
 */
export interface TerminalIdleWarning {
  idleSeconds: number;
  /** Epoch milliseconds at which the backend disconnects, when it said so. */
  disconnectAt?: number;
}

/**
 * A session pod's expiry, as last sent by the backend.
 *
 * @internal
 */
export type TerminalExpiry = TerminalSessionExpiry & { warning: boolean };

/**
 * A fallback for close frames without a reason.
 *
 * @internal
 */
export function describeCloseCode(
  code: number,
  kind: TerminalSessionKind = 'exec',
): string {
  return closeCodeText(code, kind).description;
}

/** @internal */
export function isNotAllowedError(error: Error): boolean {
  if (error instanceof ResponseError) {
    return error.statusCode === 403 || error.cause.name === 'NotAllowedError';
  }
  return error.name === 'NotAllowedError';
}

/** @internal */
export function describeError(
  error: Error,
  kind: TerminalSessionKind = 'exec',
): string {
  if (isNotAllowedError(error)) {
    return notAllowedMessage(kind);
  }
  if (error instanceof ResponseError) {
    return error.cause.message || error.message;
  }
  return error.message;
}

/**
 * The text of the status line.
 *
 * @internal
 */
export function describeConnectionState(
  state: TerminalConnectionState,
  kind: TerminalSessionKind = 'exec',
): string {
  switch (state.status) {
    case 'connecting':
      return state.detail ? `Connecting… (${state.detail})` : 'Connecting…';
    case 'provisioning': {
      const what =
        kind === 'debug'
          ? 'Starting debug container…'
          : 'Starting session pod…';
      return state.message ? `${what} (${state.message})` : what;
    }
    case 'connected':
      return `Connected (${state.shell})`;
    case 'reconnecting': {
      const left = Math.max(0, Math.ceil((state.until - Date.now()) / 1000));
      const keys =
        state.heldBytes > 0
          ? `; ${state.heldBytes} typed ${
              state.heldBytes === 1 ? 'byte waits' : 'bytes wait'
            } to be sent`
          : '';
      return `Connection lost — reconnecting (attempt ${
        state.attempt
      }); the shell keeps running for ${formatSeconds(left)}${keys}`;
    }
    case 'exited':
      // A shell exits with its last command's status: a failed `ls` before `exit` is no alarm.
      return state.code === 0
        ? 'Exited'
        : `Exited with status ${state.code} (the last command's)`;
    case 'terminated':
      return describeTermination(state.by, state.reason);
    case 'closed':
      return `Disconnected: ${state.reason}`;
    case 'disconnected':
      return 'Disconnected';
    case 'failed':
      return `Failed: ${describeError(state.error, kind)}`;
    default:
      return '';
  }
}

/** "Terminated by user:default/alice — maintenance window". @internal */
export function describeTermination(by: string, reason?: string): string {
  return reason ? `Terminated by ${by} — ${reason}` : `Terminated by ${by}`;
}

/** "Idle for 5 min — disconnects in 42 s". @internal */
export function describeIdleWarning(
  warning: TerminalIdleWarning,
  now = Date.now(),
): string {
  const idle = `Idle for ${formatSeconds(warning.idleSeconds)}`;
  if (warning.disconnectAt === undefined) {
    return idle;
  }
  const left = Math.max(0, Math.ceil((warning.disconnectAt - now) / 1000));
  return `${idle} — disconnects in ${left} s`;
}

/** Seconds until a session pod expires, never below zero. @internal */
export function secondsUntilExpiry(
  expiry: TerminalSessionExpiry,
  now = Date.now(),
): number {
  const left = Math.ceil((Date.parse(expiry.expiresAt) - now) / 1000);
  return Number.isNaN(left) ? 0 : Math.max(0, left);
}

/** "Expires in 28 min". @internal */
export function describeExpiry(
  expiry: TerminalSessionExpiry,
  now = Date.now(),
): string {
  return `Expires in ${formatSeconds(secondsUntilExpiry(expiry, now))}`;
}

/** "42 s", "28 min", "1 h 5 min". @internal */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const rest = minutes % 60;
  return rest
    ? `${Math.floor(minutes / 60)} h ${rest} min`
    : `${minutes / 60} h`;
}
