import { Fragment, type ReactNode } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Box from '@material-ui/core/Box';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import ArrowBackIcon from '@material-ui/icons/ArrowBack';
import Alert from '@material-ui/lab/Alert';
import { ResponseError } from '@backstage/errors';
import { Link, Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { kubernetesTerminalApiRef } from '../../api';
import { useSessionLinks } from '../../hooks/useSessionLinks';
import {
  TERMINATE_DENIED_REASON,
  isLive,
} from '../../hooks/useSessionPermissions';
import { RelativeTime } from '../common/RelativeTime';
import { SessionStatusChip } from '../common/SessionStatusChip';
import { TerminateSessionButton } from '../common/TerminateSessionButton';
import { SESSION_KIND_LABELS, formatDateTime } from '../common/format';
import { SessionRecordingPanel } from '../RecordingPlayer';
import { SessionEventTimeline } from './SessionEventTimeline';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(2),
  },
  header: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
  },
  back: { display: 'inline-flex', alignItems: 'center', gap: 4 },
  paper: { padding: theme.spacing(2) },
  metadata: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(3),
    rowGap: theme.spacing(1),
    margin: 0,
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0, minWidth: 0, overflowWrap: 'anywhere' },
  },
  mono: { fontFamily: 'monospace' },
}));

function statusCode(error: Error): number | undefined {
  return error instanceof ResponseError ? error.statusCode : undefined;
}

/**
 * One session: its metadata, a Terminate action while it is live, and its event timeline.
 *
 * @internal
 */
export function TerminalSessionDetail(props: { sessionId: string }) {
  const { sessionId } = props;
  const classes = useStyles();
  const api = useApi(kubernetesTerminalApiRef);
  const links = useSessionLinks();
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getSession(sessionId),
    [api, sessionId],
  );

  const back = (
    <Link to={links.sessionsPage?.() ?? '..'} className={classes.back}>
      <ArrowBackIcon fontSize="small" /> All sessions
    </Link>
  );

  if (loading && !value) {
    return <Progress />;
  }
  if (error) {
    const code = statusCode(error);
    return (
      <Box className={classes.root}>
        {back}
        {code === 404 && (
          <Alert severity="warning">Session {sessionId} was not found.</Alert>
        )}
        {code === 403 && (
          <Alert severity="warning">
            You can see only your own sessions; other users' sessions need
            kubernetes.terminal.audit.read.
          </Alert>
        )}
        {code !== 404 && code !== 403 && <ResponseErrorPanel error={error} />}
      </Box>
    );
  }
  if (!value) {
    return null;
  }

  const { session, events, canTerminate, recording } = value;
  const rows: Array<[string, ReactNode]> = [
    [
      'User',
      <EntityRefLink entityRef={session.userEntityRef} defaultKind="user" />,
    ],
    ['Entity', <EntityRefLink entityRef={session.entityRef} />],
    ['Cluster', `${session.cluster} (${session.clusterType})`],
    ['Namespace', session.namespace],
    ['Pod', <span className={classes.mono}>{session.pod}</span>],
    ['Container', <span className={classes.mono}>{session.container}</span>],
    ['Kind', SESSION_KIND_LABELS[session.kind] ?? session.kind],
    ['Shell', session.shell],
    [
      'Started',
      <>
        {formatDateTime(session.createdAt)} (
        <RelativeTime value={session.createdAt} />)
      </>,
    ],
    [
      'Last activity',
      <>
        {formatDateTime(session.lastActivityAt)} (
        <RelativeTime value={session.lastActivityAt} />)
      </>,
    ],
    ['Expires', session.expiresAt && formatDateTime(session.expiresAt)],
    ['Ended', session.endedAt && formatDateTime(session.endedAt)],
    ['End reason', session.endReason],
    ['Client IP', session.clientIp],
    ['User agent', session.userAgent],
  ];

  return (
    <Box className={classes.root}>
      {back}
      <Box className={classes.header}>
        <Typography variant="h5" component="h2">
          Session <span className={classes.mono}>{session.id}</span>
        </Typography>
        <SessionStatusChip status={session.status} />
        {isLive(session) && (
          <TerminateSessionButton
            session={session}
            deniedReason={canTerminate ? undefined : TERMINATE_DENIED_REASON}
            onTerminated={retry}
          />
        )}
      </Box>
      <Paper variant="outlined" className={classes.paper}>
        <dl className={classes.metadata} aria-label="Session metadata">
          {rows
            .filter(([, content]) => content !== undefined && content !== '')
            .map(([label, content]) => (
              <Fragment key={label}>
                <dt>{label}</dt>
                <dd>{content}</dd>
              </Fragment>
            ))}
        </dl>
      </Paper>
      <Paper variant="outlined" className={classes.paper}>
        <Typography variant="h6" component="h3" gutterBottom>
          Recording
        </Typography>
        <SessionRecordingPanel sessionId={session.id} recording={recording} />
      </Paper>
      <Paper variant="outlined" className={classes.paper}>
        <Typography variant="h6" component="h3" gutterBottom>
          Events
        </Typography>
        <SessionEventTimeline
          events={events}
          sessionUser={session.userEntityRef}
        />
      </Paper>
    </Box>
  );
}
