import { useMemo, useRef, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Link, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { TerminalSessionRecord } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { RelativeTime } from '../common/RelativeTime';
import { SessionStatusChip } from '../common/SessionStatusChip';
import {
  TerminateSessionButton,
  TerminateSessionDialog,
} from '../common/TerminateSessionButton';
import { SESSION_KIND_LABELS, formatTarget } from '../common/format';
import { Truncated, columnStyles } from '../common/Truncated';
import { PlainTable, type PlainColumn } from '../common/PlainTable';
import {
  isLive,
  type SessionPermissions,
} from '../../hooks/useSessionPermissions';
import { useSessionLinks } from '../../hooks/useSessionLinks';
import {
  LIVE_SESSIONS_LIMIT,
  sessionsQuery,
  type SessionsFilters,
} from './filters';

const useStyles = makeStyles(theme => ({
  header: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(1),
  },
  mono: { fontFamily: 'monospace' },
}));

/** @internal */
export const SESSIONS_REFRESH_MS = 10_000;

/**
 * Live sessions (or all sessions) matching the filters, refreshed every 10 seconds, each with a
 * Terminate action.
 *
 * @internal
 */
export function SessionsTable(props: {
  filters: SessionsFilters;
  permissions: SessionPermissions;
  onIncludeEndedChange: (includeEnded: boolean) => void;
  refreshIntervalMs?: number;
}) {
  const {
    filters,
    permissions,
    onIncludeEndedChange,
    refreshIntervalMs = SESSIONS_REFRESH_MS,
  } = props;
  const classes = useStyles();
  const api = useApi(kubernetesTerminalApiRef);
  const links = useSessionLinks();
  const query = useMemo(() => sessionsQuery(filters), [filters]);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listSessions(query),
    [api, query],
  );
  useInterval(retry, refreshIntervalMs > 0 ? refreshIntervalMs : null);
  // Outside the table: its rows are made anew at each refresh, and a dialog of theirs with them.
  const [confirming, setConfirming] = useState<TerminalSessionRecord>();

  const title = filters.includeEnded ? 'Sessions' : 'Live sessions';

  // The latest refresh, for the Terminate button of columns made once.
  const retryRef = useRef(retry);
  retryRef.current = retry;

  // Made once per permissions: material-table resets its state when given new columns.
  const columns = useMemo<PlainColumn<TerminalSessionRecord>[]>(
    () => [
      {
        title: 'Session',
        style: columnStyles.nowrap,
        render: session =>
          links.session ? (
            <Link
              to={links.session(session.id)}
              aria-label={`Session ${session.id}`}
              className={classes.mono}
            >
              {session.id.slice(0, 8)}
            </Link>
          ) : (
            <span className={classes.mono}>{session.id.slice(0, 8)}</span>
          ),
      },
      {
        title: 'User',
        style: columnStyles.nowrap,
        render: session => (
          <EntityRefLink entityRef={session.userEntityRef} defaultKind="user" />
        ),
      },
      {
        title: 'Entity',
        style: columnStyles.nowrap,
        render: session => <EntityRefLink entityRef={session.entityRef} />,
      },
      {
        title: 'Target',
        style: columnStyles.truncated(280),
        render: session => <Truncated text={formatTarget(session)} mono />,
      },
      {
        title: 'Kind',
        style: columnStyles.nowrap,
        render: session => SESSION_KIND_LABELS[session.kind] ?? session.kind,
      },
      {
        title: 'Status',
        style: columnStyles.nowrap,
        render: session => <SessionStatusChip status={session.status} />,
      },
      {
        title: 'Started',
        style: columnStyles.nowrap,
        render: session => <RelativeTime value={session.createdAt} />,
      },
      {
        title: 'Last activity',
        style: columnStyles.nowrap,
        render: session => <RelativeTime value={session.lastActivityAt} />,
      },
      {
        title: 'Actions',
        style: columnStyles.nowrap,
        render: session =>
          isLive(session) ? (
            <TerminateSessionButton
              session={session}
              deniedReason={permissions.terminateDeniedReason(session)}
              onTerminated={() => retryRef.current()}
              onRequest={setConfirming}
            />
          ) : null,
      },
    ],
    [classes, links, permissions],
  );

  return (
    <section aria-labelledby="kubernetes-terminal-sessions-heading">
      <Box className={classes.header}>
        <Typography
          variant="h5"
          component="h2"
          id="kubernetes-terminal-sessions-heading"
        >
          {title}
        </Typography>
        <FormControlLabel
          control={
            <Switch
              checked={filters.includeEnded}
              onChange={(_e, checked) => onIncludeEndedChange(checked)}
              color="primary"
            />
          }
          label="Show ended sessions"
        />
      </Box>
      {error ? (
        <ResponseErrorPanel error={error} />
      ) : (
        <PlainTable<TerminalSessionRecord>
          aria-labelledby="kubernetes-terminal-sessions-heading"
          loading={loading && !value}
          columns={columns}
          rows={value?.items ?? []}
          rowKey={session => session.id}
          emptyContent={
            <Box p={2}>
              <Typography color="textSecondary">
                {filters.includeEnded
                  ? 'No sessions match the filters.'
                  : 'No live sessions match the filters.'}
              </Typography>
            </Box>
          }
        />
      )}
      <TerminateSessionDialog
        session={confirming}
        onClose={() => setConfirming(undefined)}
        onTerminated={retry}
      />
      {value?.nextCursor && (
        <Typography variant="caption" color="textSecondary">
          Showing the {LIVE_SESSIONS_LIMIT} most recent sessions; narrow the
          filters to see others.
        </Typography>
      )}
    </section>
  );
}
