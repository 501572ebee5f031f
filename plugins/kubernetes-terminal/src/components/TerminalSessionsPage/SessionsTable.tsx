import { useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  Link,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
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

  const columns: TableColumn<TerminalSessionRecord>[] = [
    {
      title: 'Session',
      field: 'id',
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
      field: 'userEntityRef',
      render: session => (
        <EntityRefLink entityRef={session.userEntityRef} defaultKind="user" />
      ),
    },
    {
      title: 'Entity',
      field: 'entityRef',
      render: session => <EntityRefLink entityRef={session.entityRef} />,
    },
    {
      title: 'Target',
      render: session => (
        <span className={classes.mono}>{formatTarget(session)}</span>
      ),
    },
    {
      title: 'Kind',
      field: 'kind',
      render: session => SESSION_KIND_LABELS[session.kind] ?? session.kind,
    },
    {
      title: 'Status',
      field: 'status',
      render: session => <SessionStatusChip status={session.status} />,
    },
    {
      title: 'Started',
      field: 'createdAt',
      render: session => <RelativeTime value={session.createdAt} />,
    },
    {
      title: 'Last activity',
      field: 'lastActivityAt',
      render: session => <RelativeTime value={session.lastActivityAt} />,
    },
    {
      title: 'Actions',
      sorting: false,
      render: session =>
        isLive(session) ? (
          <TerminateSessionButton
            session={session}
            deniedReason={permissions.terminateDeniedReason(session)}
            onTerminated={retry}
            onRequest={setConfirming}
          />
        ) : null,
    },
  ];

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
        <Table<TerminalSessionRecord>
          options={{
            toolbar: false,
            paging: false,
            search: false,
            padding: 'dense',
          }}
          isLoading={loading && !value}
          columns={columns}
          data={value?.items ?? []}
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
