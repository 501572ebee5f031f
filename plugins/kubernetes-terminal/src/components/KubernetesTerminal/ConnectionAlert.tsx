import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  describeError,
  isNotAllowedError,
  notAllowedMessage,
  type TerminalConnectionState,
} from '../../hooks/connectionState';
import type {
  TerminalSessionPodTarget,
  TerminalSessionTarget,
} from '../../types';

/** Close reasons are human-readable but may or may not end with a full stop. */
const sentence = (text: string) => `${text.replace(/[.\s]+$/, '')}.`;

/** The cluster's own RBAC refused the person (their token, or impersonation): not the portal's word. */
function clusterRefusal(state: TerminalConnectionState): string | undefined {
  return state.status === 'closed' &&
    state.code === TerminalCloseCode.Forbidden &&
    state.reason.startsWith('the cluster refused')
    ? state.reason
    : undefined;
}

function ClusterRefusal(props: { reason: string }) {
  return (
    <Alert severity="error">
      <AlertTitle>The cluster refused</AlertTitle>
      {sentence(props.reason.replace(/^the cluster refused:\s*/, ''))} The
      cluster's own access rules (Kubernetes RBAC) decide this for you, not the
      portal's permissions: ask the cluster's administrators for access.
    </Alert>
  );
}

/**
 * Explains why a session is not running; the toolbar's Reconnect button is the way out.
 *
 * @internal
 */
export function ConnectionAlert(props: {
  state: TerminalConnectionState;
  target: TerminalSessionTarget;
  onReconnect: () => void;
}) {
  const { state, target, onReconnect } = props;

  if (target.kind === 'session-pod') {
    const alert = sessionPodAlert(state, target, onReconnect);
    if (alert) {
      return alert;
    }
  }

  if (state.status === 'failed') {
    if (isNotAllowedError(state.error)) {
      return (
        <Alert severity="error">
          <AlertTitle>Permission denied</AlertTitle>
          {notAllowedMessage()}.
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

  const refusal = clusterRefusal(state);
  if (refusal) {
    return <ClusterRefusal reason={refusal} />;
  }

  switch (state.code) {
    case TerminalCloseCode.Forbidden:
      return (
        <Alert severity="error">
          <AlertTitle>Permission denied</AlertTitle>
          {notAllowedMessage()}.{' '}
          {state.reason !== notAllowedMessage() && state.reason}
        </Alert>
      );
    case TerminalCloseCode.NoShell:
      return (
        <Alert severity="warning">
          <AlertTitle>
            No shell in container {'container' in target && target.container}
          </AlertTitle>
          The container has none of the shells the terminal tries (such as bash
          and sh); minimal images like distroless ones have no shell. Pick
          another container. ({state.reason})
        </Alert>
      );
    case TerminalCloseCode.NotFound:
      return (
        <Alert severity="warning">
          <AlertTitle>Pod or container not found</AlertTitle>
          {'pod' in target && `${target.pod}/${target.container}`} no longer
          exists; it may have been restarted or rescheduled. Reload the page to
          refresh the list of pods. ({state.reason})
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

/**
 * What differs for a session pod: the permission, expiry with a way to start a new pod, and a
 * provisioning failure (timeout, image pull error, quota) told as such. Undefined for the rest.
 */
function sessionPodAlert(
  state: TerminalConnectionState,
  target: TerminalSessionPodTarget,
  onReconnect: () => void,
) {
  const startNew = (
    <Button color="inherit" size="small" onClick={onReconnect}>
      Start a new session pod
    </Button>
  );
  if (state.status === 'failed') {
    return isNotAllowedError(state.error) ? (
      <Alert severity="error">
        <AlertTitle>Permission denied</AlertTitle>
        {notAllowedMessage('session-pod')}.
      </Alert>
    ) : (
      <Alert severity="error" action={startNew}>
        <AlertTitle>Could not start the session pod</AlertTitle>
        {describeError(state.error, 'session-pod')}
      </Alert>
    );
  }
  if (state.status !== 'closed') {
    return undefined;
  }
  switch (state.code) {
    case TerminalCloseCode.Forbidden:
      return (
        <Alert severity="error">
          <AlertTitle>Permission denied</AlertTitle>
          {notAllowedMessage('session-pod')}.{' '}
          {state.reason !== notAllowedMessage('session-pod') && state.reason}
        </Alert>
      );
    case TerminalCloseCode.Expired:
      return (
        <Alert severity="info" action={startNew}>
          <AlertTitle>Session expired</AlertTitle>
          {sentence(state.reason)} The session pod and its credentials in{' '}
          {target.namespace} were deleted.
        </Alert>
      );
    case TerminalCloseCode.NotFound:
      return (
        <Alert severity="warning" action={startNew}>
          <AlertTitle>Session pod gone</AlertTitle>
          {sentence(state.reason)}
        </Alert>
      );
    case TerminalCloseCode.Normal:
    case TerminalCloseCode.Terminated:
    case TerminalCloseCode.IdleTimeout:
    case TerminalCloseCode.TooManySessions:
    case TerminalCloseCode.AuditUnavailable:
      return undefined;
    default:
      return state.whileStarting ? (
        <Alert severity="error" action={startNew}>
          <AlertTitle>Could not start the session pod</AlertTitle>
          {state.reason}
        </Alert>
      ) : undefined;
  }
}
