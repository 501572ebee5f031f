import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import type { TerminalSessionStatus } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { SESSION_STATUS_LABELS } from './format';

const useStyles = makeStyles(theme => ({
  active: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
  idle: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.warning.contrastText,
  },
  terminated: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  ended: {},
}));

/**
 * The status of a session as a small coloured chip.
 *
 * @internal
 */
export function SessionStatusChip(props: { status: TerminalSessionStatus }) {
  const { status } = props;
  const classes = useStyles();
  let className = classes.ended;
  if (status === 'active') {
    className = classes.active;
  } else if (status === 'idle' || status === 'detached') {
    className = classes.idle;
  } else if (status === 'terminated') {
    className = classes.terminated;
  }
  return (
    <Chip
      size="small"
      label={SESSION_STATUS_LABELS[status] ?? status}
      className={className}
      data-testid="session-status"
    />
  );
}
