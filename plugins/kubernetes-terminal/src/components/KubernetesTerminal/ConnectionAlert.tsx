import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { TerminalCloseCode } from '@internal/plugin-kubernetes-terminal-common';
import {
  NOT_ALLOWED_MESSAGE,
  describeError,
  isNotAllowedError,
  type TerminalConnectionState,
} from '../../hooks/connectionState';
import type { TerminalTarget } from '../../types';

/** Close reasons are human-readable but may or may not end with a full stop. */
const sentence = (text: string) => `${text.replace(/[.\s]+$/, '')}.`;

/**
 * Explains why a session is not running; the toolbar's Reconnect button is the way out.
 *
 * @internal
 */
export function ConnectionAlert(props: {
  state: TerminalConnectionState;
  target: TerminalTarget;
}) {
  const { state, target } = props;

  if (state.status === 'failed') {
    if (isNotAllowedError(state.error)) {
      return (
        <Alert severity="error">
          <AlertTitle>Permission denied</AlertTitle>
          {NOT_ALLOWED_MESSAGE}.
        </Alert>
      );
    }
    return (
      <Alert severity="error">
        <AlertTitle>Could not start the terminal session</AlertTitle>
        {describeError(state.error)}
      </Alert>
    );
  }

  if (state.status === 'terminated') {
    return (
      <Alert severity="warning">
        <AlertTitle>Session terminated</AlertTitle>
        {state.by} ended this session
        {state.reason ? `: ${state.reason}` : ''}. Reconnect to start a new one.
      </Alert>
    );
  }

  if (state.status !== 'closed') {
    return null;
  }

  switch (state.code) {
    case TerminalCloseCode.Forbidden:
      return (
        <Alert severity="error">
          <AlertTitle>Permission denied</AlertTitle>
          {NOT_ALLOWED_MESSAGE}.{' '}
          {state.reason !== NOT_ALLOWED_MESSAGE && state.reason}
        </Alert>
      );
    case TerminalCloseCode.NoShell:
      return (
        <Alert severity="warning">
          <AlertTitle>No shell in container {target.container}</AlertTitle>
          The container has none of the shells the terminal tries (such as bash
          and sh); minimal images like distroless ones have no shell. Pick
          another container. ({state.reason})
        </Alert>
      );
    case TerminalCloseCode.NotFound:
      return (
        <Alert severity="warning">
          <AlertTitle>Pod or container not found</AlertTitle>
          {target.pod}/{target.container} no longer exists; it may have been
          restarted or rescheduled. Reload the page to refresh the list of pods.
          ({state.reason})
        </Alert>
      );
    case TerminalCloseCode.Terminated:
      return (
        <Alert severity="warning">
          <AlertTitle>Session terminated</AlertTitle>
          {sentence(state.reason)} Reconnect to start a new one.
        </Alert>
      );
    case TerminalCloseCode.IdleTimeout:
      return (
        <Alert severity="info">
          <AlertTitle>Disconnected after inactivity</AlertTitle>
          {sentence(state.reason)} Reconnect to start a new session.
        </Alert>
      );
    case TerminalCloseCode.Expired:
      return (
        <Alert severity="info">
          <AlertTitle>Session expired</AlertTitle>
          {sentence(state.reason)} Sessions have a maximum duration; reconnect
          to start a new one.
        </Alert>
      );
    case TerminalCloseCode.TooManySessions:
      return (
        <Alert severity="warning">
          <AlertTitle>Too many terminal sessions</AlertTitle>
          {sentence(state.reason)} Close a terminal you no longer need (in
          another tab, or from the Terminal sessions page), then reconnect.
        </Alert>
      );
    case TerminalCloseCode.AuditUnavailable:
      return (
        <Alert severity="error">
          <AlertTitle>Audit log unavailable</AlertTitle>
          {sentence(state.reason)} The portal opens no terminal it cannot
          record; try again later, and tell the platform team if it persists.
        </Alert>
      );
    case TerminalCloseCode.Normal:
      return (
        <Alert severity="info">
          <AlertTitle>Session ended</AlertTitle>
          {state.reason}
        </Alert>
      );
    default:
      return (
        <Alert severity="warning">
          <AlertTitle>Connection lost</AlertTitle>
          {state.reason}
        </Alert>
      );
  }
}
