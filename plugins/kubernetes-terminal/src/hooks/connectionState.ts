import { TerminalCloseCode } from '@internal/plugin-kubernetes-terminal-common';
import { ResponseError } from '@backstage/errors';

/**
 * Where a terminal session stands, as shown in the status line.
 *
 * @internal
 */
export type TerminalConnectionState =
  | { status: 'connecting'; detail?: string }
  | { status: 'connected'; shell: string }
  | { status: 'exited'; code: number; message?: string }
  | { status: 'closed'; code: number; reason: string }
  | { status: 'failed'; error: Error };

/** @internal */
export const NOT_ALLOWED_MESSAGE =
  'You are not allowed to open a terminal on this entity';

const closeCodeDescriptions: Record<number, string> = {
  [TerminalCloseCode.Normal]: 'the session ended',
  [TerminalCloseCode.GoingAway]: 'the server is shutting down',
  1006: 'the connection was lost',
  [TerminalCloseCode.MessageTooBig]: 'a message was too big',
  [TerminalCloseCode.ProtocolError]: 'protocol error',
  [TerminalCloseCode.Unauthorized]:
    'the session ticket was rejected (expired or already used)',
  [TerminalCloseCode.Forbidden]: NOT_ALLOWED_MESSAGE,
  [TerminalCloseCode.NotFound]: 'the pod or container no longer exists',
  [TerminalCloseCode.Timeout]: 'the session timed out',
  [TerminalCloseCode.NoShell]: 'no shell found in the container',
  [TerminalCloseCode.UpstreamError]: 'the Kubernetes API connection failed',
};

/**
 * A fallback for close frames without a reason.
 *
 * @internal
 */
export function describeCloseCode(code: number): string {
  return closeCodeDescriptions[code] ?? `connection closed (code ${code})`;
}

/** @internal */
export function isNotAllowedError(error: Error): boolean {
  if (error instanceof ResponseError) {
    return error.statusCode === 403 || error.cause.name === 'NotAllowedError';
  }
  return error.name === 'NotAllowedError';
}

/** @internal */
export function describeError(error: Error): string {
  if (isNotAllowedError(error)) {
    return NOT_ALLOWED_MESSAGE;
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
): string {
  switch (state.status) {
    case 'connecting':
      return state.detail ? `Connecting… (${state.detail})` : 'Connecting…';
    case 'connected':
      return `Connected (${state.shell})`;
    case 'exited':
      return `Exited with code ${state.code}`;
    case 'closed':
      return `Disconnected: ${state.reason}`;
    case 'failed':
      return `Failed: ${describeError(state.error)}`;
    default:
      return '';
  }
}
