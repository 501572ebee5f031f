import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type { TerminalAuditEvent } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  EVENT_TYPE_LABELS,
  describeEventDetails,
  formatDateTime,
} from '../common/format';
import { PersonName } from '../common/PersonName';

const useStyles = makeStyles(theme => ({
  list: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    borderLeft: `2px solid ${theme.palette.divider}`,
  },
  item: {
    position: 'relative',
    padding: theme.spacing(1, 0, 1, 2),
    '&::before': {
      content: '""',
      position: 'absolute',
      left: -6,
      top: theme.spacing(1.75),
      width: 10,
      height: 10,
      borderRadius: '50%',
      backgroundColor: theme.palette.primary.main,
    },
  },
  denied: {
    '&::before': { backgroundColor: theme.palette.error.main },
  },
  line: {
    display: 'flex',
    alignItems: 'baseline',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  },
  time: {
    color: theme.palette.text.secondary,
    fontVariantNumeric: 'tabular-nums',
  },
  command: {
    display: 'block',
    fontFamily: 'monospace',
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    padding: theme.spacing(0.5, 1),
    marginTop: theme.spacing(0.5),
    backgroundColor: theme.palette.background.default,
    borderRadius: theme.shape.borderRadius,
  },
}));

/**
 * The events of a session, oldest first; commands in monospace.
 *
 * @internal
 */
export function SessionEventTimeline(props: {
  events: TerminalAuditEvent[];
  sessionUser: string;
}) {
  const { events, sessionUser } = props;
  const classes = useStyles();
  if (events.length === 0) {
    return (
      <Typography color="textSecondary">
        No events were recorded for this session.
      </Typography>
    );
  }
  return (
    <ol className={classes.list} aria-label="Session events">
      {events.map(event => {
        const details = describeEventDetails(event);
        return (
          <li
            key={event.id}
            className={`${classes.item} ${
              event.type === 'denied' || event.type === 'terminate'
                ? classes.denied
                : ''
            }`}
            data-testid="session-event"
          >
            <Box className={classes.line}>
              <time dateTime={event.createdAt} className={classes.time}>
                {formatDateTime(event.createdAt)}
              </time>
              <Typography variant="body2" component="span">
                <strong>{EVENT_TYPE_LABELS[event.type] ?? event.type}</strong>
              </Typography>
              {event.userEntityRef !== sessionUser && (
                <Typography variant="body2" component="span">
                  by <PersonName entityRef={event.userEntityRef} />
                </Typography>
              )}
              {details && (
                <Typography
                  variant="body2"
                  component="span"
                  color="textSecondary"
                >
                  {details}
                </Typography>
              )}
            </Box>
            {event.command && (
              <code className={classes.command}>{event.command}</code>
            )}
          </li>
        );
      })}
    </ol>
  );
}
