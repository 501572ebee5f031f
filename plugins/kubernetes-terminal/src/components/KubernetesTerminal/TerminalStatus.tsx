import { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HourglassEmptyIcon from '@material-ui/icons/HourglassEmpty';
import StopIcon from '@material-ui/icons/Stop';
import WarningIcon from '@material-ui/icons/Warning';
import {
  describeConnectionState,
  describeIdleWarning,
  type TerminalConnectionState,
  type TerminalIdleWarning,
} from '../../hooks/connectionState';
import type { TerminalTarget } from '../../types';

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
      return (
        <HourglassEmptyIcon className={`${classes.icon} ${classes.pending}`} />
      );
    case 'exited':
      return (
        <StopIcon
          className={`${classes.icon} ${
            props.state.code === 0 ? classes.pending : classes.error
          }`}
        />
      );
    default:
      return <ErrorIcon className={`${classes.icon} ${classes.error}`} />;
  }
}

/** Re-renders every second while there is a countdown to show. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) {
      return undefined;
    }
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
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

/**
 * The status line: target, connection state, and the idle warning if any.
 *
 * @internal
 */
export function TerminalStatus(props: {
  target: TerminalTarget;
  state: TerminalConnectionState;
  idle?: TerminalIdleWarning;
}) {
  const { target, state, idle } = props;
  const classes = useStyles();
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
        {target.cluster}/{target.namespace}/{target.pod}/{target.container}
      </Typography>
      <Typography variant="body2" component="span" aria-hidden>
        ·
      </Typography>
      <Typography
        variant="body2"
        component="span"
        data-testid="terminal-status-state"
      >
        {describeConnectionState(state)}
      </Typography>
      {idle && state.status === 'connected' && (
        <>
          <Typography variant="body2" component="span" aria-hidden>
            ·
          </Typography>
          <IdleWarning warning={idle} />
        </>
      )}
    </Box>
  );
}
