import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HourglassEmptyIcon from '@material-ui/icons/HourglassEmpty';
import StopIcon from '@material-ui/icons/Stop';
import WarningIcon from '@material-ui/icons/Warning';
import TimerIcon from '@material-ui/icons/Timer';
import {
  describeConnectionState,
  describeExpiry,
  describeIdleWarning,
  type TerminalConnectionState,
  type TerminalExpiry,
  type TerminalIdleWarning,
} from '../../hooks/connectionState';
import { useNow } from '../../hooks/useNow';
import type { TerminalSessionTarget } from '../../types';
import { formatTarget } from '../common/format';
import { PersonName } from '../common/PersonName';

const useStyles = makeStyles(theme => ({
  icon: { fontSize: 16 },
  ok: { color: theme.palette.success.main },
  error: { color: theme.palette.error.main },
  pending: { color: theme.palette.text.secondary },
  warning: { color: theme.palette.warning.main },
  idle: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: 4,
    color: theme.palette.warning.dark,
    whiteSpace: 'nowrap',
  },
  expiry: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: 4,
    whiteSpace: 'nowrap',
  },
  expiryWarning: {
    color: theme.palette.warning.dark,
  },
  target: {
    fontFamily: 'monospace',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
}));

function StatusIcon(props: { state: TerminalConnectionState }) {
  const classes = useStyles();
  switch (props.state.status) {
    case 'connected':
      return <CheckCircleIcon className={`${classes.icon} ${classes.ok}`} />;
    case 'terminated':
      return <StopIcon className={`${classes.icon} ${classes.error}`} />;
    case 'connecting':
    case 'provisioning':
    case 'reconnecting':
      return (
        <HourglassEmptyIcon className={`${classes.icon} ${classes.pending}`} />
      );
    case 'exited':
    case 'disconnected':
      // The status is the shell's last command's: shown, but not as a failure.
      return <StopIcon className={`${classes.icon} ${classes.pending}`} />;
    default:
      return <ErrorIcon className={`${classes.icon} ${classes.error}`} />;
  }
}

function IdleWarning(props: { warning: TerminalIdleWarning }) {
  const classes = useStyles();
  const now = useNow(props.warning.disconnectAt !== undefined);
  return (
    <Typography
      variant="body2"
      component="span"
      className={classes.idle}
      data-testid="terminal-status-idle"
    >
      <WarningIcon className={`${classes.icon} ${classes.warning}`} />
      {describeIdleWarning(props.warning, now)}
    </Typography>
  );
}

function ExpiryCountdown(props: { expiry: TerminalExpiry }) {
  const classes = useStyles();
  const now = useNow(true);
  return (
    <Typography
      variant="body2"
      component="span"
      className={`${classes.expiry} ${
        props.expiry.warning ? classes.expiryWarning : ''
      }`}
      data-testid="terminal-status-expiry"
    >
      <TimerIcon className={classes.icon} />
      {describeExpiry(props.expiry, now)}
    </Typography>
  );
}

const Separator = () => (
  <Typography variant="body2" component="span" aria-hidden>
    ·
  </Typography>
);

/**
 * The status line: target, connection state, the idle warning and a session pod's expiry.
 *
 * @internal
 */
export function TerminalStatus(props: {
  target: TerminalSessionTarget;
  state: TerminalConnectionState;
  idle?: TerminalIdleWarning;
  expiry?: TerminalExpiry;
}) {
  const { target, state, idle, expiry } = props;
  const classes = useStyles();
  const kind = target.kind ?? 'exec';
  const running =
    state.status === 'connected' || state.status === 'provisioning';
  return (
    <Box
      data-testid="terminal-status"
      role="status"
      display="flex"
      alignItems="center"
      gridGap={8}
      minWidth={0}
    >
      <StatusIcon state={state} />
      <Typography
        variant="body2"
        component="span"
        className={classes.target}
        data-testid="terminal-status-target"
      >
        {formatTarget(target)}
        {kind === 'session-pod' && ' (kubectl session pod)'}
        {kind === 'debug' && ' (debug container)'}
      </Typography>
      <Separator />
      <Typography
        variant="body2"
        component="span"
        data-testid="terminal-status-state"
      >
        {state.status === 'terminated' ? (
          <>
            Terminated by <PersonName entityRef={state.by} />
            {state.reason && ` — ${state.reason}`}
          </>
        ) : (
          describeConnectionState(state, kind)
        )}
      </Typography>
      {expiry && running && (
        <>
          <Separator />
          <ExpiryCountdown expiry={expiry} />
        </>
      )}
      {idle && state.status === 'connected' && (
        <>
          <Separator />
          <IdleWarning warning={idle} />
        </>
      )}
    </Box>
  );
}
