import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { TerminalAgentStatus } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { PlainTable, type PlainColumn } from '../common/PlainTable';
import { RelativeTime } from '../common/RelativeTime';
import { Truncated, columnStyles } from '../common/Truncated';
import { SESSIONS_REFRESH_MS } from './SessionsTable';

const useStyles = makeStyles(theme => ({
  connected: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
  away: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  heading: { marginBottom: theme.spacing(1) },
}));

/** One row per tunnel; a cluster without an agent connected gets one row saying since when. */
interface AgentRow {
  key: string;
  status: TerminalAgentStatus;
  connection?: TerminalAgentStatus['connections'][number];
}

function rowsOf(items: TerminalAgentStatus[]): AgentRow[] {
  return items.flatMap(status =>
    status.connections.length
      ? status.connections.map((connection, i) => ({
          key: `${status.cluster}/${i}`,
          status,
          connection,
        }))
      : [{ key: status.cluster, status }],
  );
}

/**
 * The private clusters' agents: whether each is connected, its version and token, since when, through
 * which replica. Shown to those who may read the audit log, when some cluster is reached through an
 * agent.
 *
 * @internal
 */
export function AgentsTable(props: { refreshIntervalMs?: number }) {
  const { refreshIntervalMs = SESSIONS_REFRESH_MS } = props;
  const classes = useStyles();
  const api = useApi(kubernetesTerminalApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listAgents(),
    [api],
  );
  useInterval(retry, refreshIntervalMs > 0 ? refreshIntervalMs : null);
  if (!error && (!value || value.items.length === 0)) {
    return null;
  }
  const columns: PlainColumn<AgentRow>[] = [
    {
      title: 'Cluster',
      style: columnStyles.nowrap,
      render: row => row.status.cluster,
    },
    {
      title: 'Agent',
      style: columnStyles.nowrap,
      render: row =>
        row.connection ? (
          <Chip size="small" label="Connected" className={classes.connected} />
        ) : (
          <Chip size="small" label="Not connected" className={classes.away} />
        ),
    },
    {
      title: 'Since',
      style: columnStyles.nowrap,
      render: row => (
        <RelativeTime
          value={row.connection ? row.connection.since : row.status.lastSeen}
        />
      ),
    },
    {
      title: 'Version',
      style: columnStyles.nowrap,
      render: row => row.connection?.version ?? '',
    },
    {
      title: 'Token',
      style: columnStyles.nowrap,
      render: row => row.connection?.tokenId ?? '',
    },
    {
      title: 'Replica',
      style: columnStyles.truncated(260),
      render: row => <Truncated text={row.connection?.replica ?? ''} mono />,
    },
    {
      title: 'Details',
      style: columnStyles.truncated(360),
      render: row => (
        <Truncated
          text={
            row.connection
              ? [
                  row.connection.apiServer &&
                    `relays to ${row.connection.apiServer}`,
                  row.connection.remoteAddress &&
                    `from ${row.connection.remoteAddress}`,
                  row.connection.openStreams !== undefined &&
                    `${row.connection.openStreams} open connections`,
                ]
                  .filter(Boolean)
                  .join(', ')
              : row.status.lastError ??
                'no agent has connected since the backend started'
          }
        />
      ),
    },
  ];
  return (
    <section aria-labelledby="kubernetes-terminal-agents-heading">
      <Typography
        variant="h5"
        component="h2"
        id="kubernetes-terminal-agents-heading"
        className={classes.heading}
      >
        Private cluster agents
      </Typography>
      {error ? (
        <ResponseErrorPanel error={error} />
      ) : (
        <PlainTable<AgentRow>
          aria-labelledby="kubernetes-terminal-agents-heading"
          loading={loading && !value}
          columns={columns}
          rows={rowsOf(value?.items ?? [])}
          rowKey={row => row.key}
          emptyContent={<Box p={2} />}
        />
      )}
    </section>
  );
}
