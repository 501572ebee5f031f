import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HourglassEmptyIcon from '@material-ui/icons/HourglassEmpty';
import StopIcon from '@material-ui/icons/Stop';
import {
  describeConnectionState,
  type TerminalConnectionState,
} from '../../hooks/connectionState';
import type { TerminalTarget } from '../../types';

const useStyles = makeStyles(theme => ({
  icon: { fontSize: 16 },
  ok: { color: theme.palette.success.main },
  error: { color: theme.palette.error.main },
  pending: { color: theme.palette.text.secondary },
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

/**
 * The status line: target and connection state.
 *
 * @internal
 */
export function TerminalStatus(props: {
  target: TerminalTarget;
  state: TerminalConnectionState;
}) {
  const { target, state } = props;
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
    </Box>
  );
}
