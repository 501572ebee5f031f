import {
  TerminalCloseCode,
  type TerminalSessionKind,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { TerminalSessionTarget } from '../types';

/** @internal */
export const NOT_ALLOWED_MESSAGE =
  'You are not allowed to open a terminal on this entity';

/** @internal */
export const SESSION_POD_NOT_ALLOWED_MESSAGE =
  'You are not allowed to start a session pod for this entity';

/** @internal */
export const DEBUG_NOT_ALLOWED_MESSAGE =
  'You are not allowed to start a debug container on this entity';

/** @internal */
export function notAllowedMessage(kind: TerminalSessionKind = 'exec'): string {
  if (kind === 'session-pod') return SESSION_POD_NOT_ALLOWED_MESSAGE;
  if (kind === 'debug') return DEBUG_NOT_ALLOWED_MESSAGE;
  return NOT_ALLOWED_MESSAGE;
}

type TargetText = string | ((target: TerminalSessionTarget) => string);

/**
 * What the browser says about one close code: in the terminal and status line when the close frame
 * has no reason (`description`), and in the alert under the terminal (`title`, `severity`, and
 * `advice` after the reason). Undefined `title`: no alert, the status line says enough.
 *
 * @internal
 */
export interface CloseCodeText {
  description: string;
  title?: TargetText;
  severity: 'error' | 'warning' | 'info';
  advice?: TargetText;
  /** The alert offers to start a new session pod (a session pod's own failures). */
  startNew?: boolean;
}

const containerOf = (target: TerminalSessionTarget) =>
  target.kind === 'session-pod' ? '' : target.container;

/** The one place where close codes get their words. */
const execTexts: Record<number, CloseCodeText> = {
  [TerminalCloseCode.Normal]: {
    description: 'the session ended',
    title: 'Session ended',
    severity: 'info',
  },
  [TerminalCloseCode.GoingAway]: {
    description: 'the server is shutting down',
    title: 'Connection lost',
    severity: 'warning',
    advice: 'The portal is restarting; reconnect in a moment.',
  },
  1006: {
    description: 'the connection was lost',
    title: 'Connection lost',
    severity: 'warning',
    advice: 'Check your network, then reconnect.',
  },
  [TerminalCloseCode.MessageTooBig]: {
    description: 'a message was too big',
    title: 'Connection lost',
    severity: 'warning',
  },
  [TerminalCloseCode.ProtocolError]: {
    description: 'protocol error',
    title: 'Connection lost',
    severity: 'warning',
  },
  [TerminalCloseCode.Unauthorized]: {
    description: 'the session ticket was rejected (expired or already used)',
    title: 'Connection refused',
    severity: 'warning',
    advice: 'Reconnect to get a new ticket.',
  },
  [TerminalCloseCode.Forbidden]: {
    description: NOT_ALLOWED_MESSAGE,
    title: 'Permission denied',
    severity: 'error',
  },
  [TerminalCloseCode.NotFound]: {
    description: 'the pod or container no longer exists',
    title: 'Pod or container not found',
    severity: 'warning',
    advice: target =>
      target.kind === 'session-pod'
        ? ''
        : `${target.pod}/${target.container} may have been restarted or rescheduled. Reload the page to refresh the list of pods.`,
  },
  [TerminalCloseCode.Timeout]: {
    description: 'the session timed out',
    title: 'Connection lost',
    severity: 'warning',
  },
  [TerminalCloseCode.NoShell]: {
    description: 'no shell found in the container',
    title: target => `No shell in container ${containerOf(target)}`,
    severity: 'warning',
    advice:
      'The container has none of the shells the terminal tries (such as bash and sh); minimal images like distroless ones have no shell. Pick another container.',
  },
  [TerminalCloseCode.UpstreamError]: {
    description: 'the Kubernetes API connection failed',
    title: 'Connection lost',
    severity: 'warning',
  },
  [TerminalCloseCode.Terminated]: {
    description: 'the session was terminated',
    title: 'Session terminated',
    severity: 'warning',
    advice: 'Reconnect to start a new one.',
  },
  [TerminalCloseCode.IdleTimeout]: {
    description: 'the session was idle for too long',
    title: 'Disconnected after inactivity',
    severity: 'info',
    advice: 'Reconnect to start a new session.',
  },
  [TerminalCloseCode.Expired]: {
    description: 'the session reached its maximum duration',
    title: 'Session expired',
    severity: 'info',
    advice: 'Sessions have a maximum duration; reconnect to start a new one.',
  },
  [TerminalCloseCode.TooManySessions]: {
    description: 'you have too many open terminal sessions',
    title: 'Too many terminal sessions',
    severity: 'warning',
    advice:
      'Close a terminal you no longer need (in another tab, or from the Terminal sessions page), then reconnect.',
  },
  [TerminalCloseCode.DebugContainerFailed]: {
    description: 'the debug container could not be started',
    title: 'Could not start the debug container',
    severity: 'error',
    advice:
      'Debug containers stay in the pod once added; choose another pod, or ask the platform team.',
  },
  [TerminalCloseCode.AuditUnavailable]: {
    description:
      'the audit log is unavailable, and sessions are not allowed without it',
    title: 'Audit log unavailable',
    severity: 'error',
    advice:
      'The portal opens no terminal it cannot record; try again later, and tell the platform team if it persists.',
  },
};

/** What a session pod says differently: its permission, and its pod's own end. */
const sessionPodTexts: Record<number, Partial<CloseCodeText>> = {
  [TerminalCloseCode.Forbidden]: {
    description: SESSION_POD_NOT_ALLOWED_MESSAGE,
  },
  [TerminalCloseCode.NotFound]: {
    description: 'the session pod no longer exists',
    title: 'Session pod gone',
    startNew: true,
  },
  [TerminalCloseCode.Expired]: {
    description: 'the session pod expired and its credentials were deleted',
    advice: target =>
      `The session pod and its credentials in ${target.namespace} were deleted.`,
    startNew: true,
  },
  [TerminalCloseCode.SessionPodFailed]: {
    description: 'the session pod could not start',
    title: 'Could not start the session pod',
    severity: 'error',
    startNew: true,
  },
};

/** A close while a session pod was still starting that the table does not name. */
const sessionPodStartFailure: CloseCodeText = {
  description: 'the session pod could not start',
  title: 'Could not start the session pod',
  severity: 'error',
  startNew: true,
};

/** Ends that say the same for a session pod, even before its shell was connected. */
const keptWhileStarting = new Set<number>([
  TerminalCloseCode.Normal,
  TerminalCloseCode.Terminated,
  TerminalCloseCode.IdleTimeout,
  TerminalCloseCode.TooManySessions,
  TerminalCloseCode.AuditUnavailable,
]);

const unknownClose = (code: number): CloseCodeText => ({
  description: `connection closed (code ${code})`,
  title: 'Connection lost',
  severity: 'warning',
});

/**
 * The words for a close code. `whileStarting`: the socket closed before the shell was connected,
 * which for a session pod means it could not start.
 *
 * @internal
 */
export function closeCodeText(
  code: number,
  kind: TerminalSessionKind = 'exec',
  whileStarting = false,
): CloseCodeText {
  const base = execTexts[code];
  if (kind !== 'session-pod') {
    return base ?? unknownClose(code);
  }
  const own = sessionPodTexts[code];
  if (own) {
    return { ...(base ?? sessionPodStartFailure), ...own };
  }
  if (whileStarting && !keptWhileStarting.has(code)) {
    return {
      ...sessionPodStartFailure,
      description: (base ?? unknownClose(code)).description,
    };
  }
  return base ?? unknownClose(code);
}

/** A text that may depend on the target, for that target. @internal */
export function textFor(
  text: TargetText | undefined,
  target: TerminalSessionTarget,
): string {
  return typeof text === 'function' ? text(target) : text ?? '';
}
