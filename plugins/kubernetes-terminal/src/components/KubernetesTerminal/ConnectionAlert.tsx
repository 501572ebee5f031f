import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  closeCodeText,
  notAllowedMessage,
  textFor,
} from '../../hooks/closeCodes';
import {
  describeError,
  isNotAllowedError,
  type TerminalConnectionState,
} from '../../hooks/connectionState';
import type { TerminalSessionTarget } from '../../types';
import { PersonName } from '../common/PersonName';

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
 * Explains why a session is not running, in the words `closeCodeText` gives each close code; the
 * picker's Reconnect (or the toolbar's) is the way out, and for a session pod's own failures the
 * alert offers a new one.
 *
 * @internal
 */
export function ConnectionAlert(props: {
  state: TerminalConnectionState;
  target: TerminalSessionTarget;
  onReconnect: () => void;
  /** Offered when the container has no shell: a debug container beside it. */
  onDebug?: () => void;
}) {
  const { state, target, onReconnect, onDebug } = props;
  const kind = target.kind ?? 'exec';
  const startNew = (
    <Button color="inherit" size="small" onClick={onReconnect}>
      Start a new session pod
    </Button>
  );

  if (state.status === 'failed') {
    if (isNotAllowedError(state.error)) {
      return (
        <Alert severity="error">
          <AlertTitle>Permission denied</AlertTitle>
          {notAllowedMessage(kind)}.
        </Alert>
      );
    }
    return (
      <Alert
        severity="error"
        action={kind === 'session-pod' ? startNew : undefined}
      >
        <AlertTitle>
          {kind === 'session-pod'
            ? 'Could not start the session pod'
            : 'Could not start the terminal session'}
        </AlertTitle>
        {describeError(state.error, kind)}
      </Alert>
    );
  }

  if (state.status === 'terminated') {
    return (
      <Alert severity="warning">
        <AlertTitle>Session terminated</AlertTitle>
        <PersonName entityRef={state.by} /> ended this session
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

  const text = closeCodeText(state.code, kind, state.whileStarting);
  const title = textFor(text.title, target);
  if (!title) {
    return null;
  }
  const notAllowed = notAllowedMessage(kind);
  const reason =
    state.code === TerminalCloseCode.Forbidden
      ? // The portal's own denial says the same words as the title's sentence; say them once.
        `${notAllowed}.${
          state.reason !== notAllowed ? ` ${sentence(state.reason)}` : ''
        }`
      : sentence(state.reason);
  const advice = textFor(text.advice, target);
  const debug =
    state.code === TerminalCloseCode.NoShell && onDebug ? (
      <Button color="inherit" size="small" onClick={onDebug}>
        Start a debug container
      </Button>
    ) : undefined;
  return (
    <Alert
      severity={text.severity}
      action={text.startNew ? startNew : debug}
      data-testid="terminal-connection-alert"
    >
      <AlertTitle>{title}</AlertTitle>
      {reason}
      {advice && ` ${advice}`}
    </Alert>
  );
}
