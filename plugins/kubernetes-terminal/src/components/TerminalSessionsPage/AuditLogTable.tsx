import { useCallback, useMemo } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import RefreshIcon from '@material-ui/icons/Refresh';
import { Link, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { AGENT_ACTOR_PREFIX } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { TerminalAuditEvent } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { useCursorPages } from '../../hooks/useCursorPages';
import { useSessionLinks } from '../../hooks/useSessionLinks';
import { EXPORT_DENIED_REASON } from '../../hooks/useSessionPermissions';
import {
  EVENT_TYPE_LABELS,
  describeEventDetails,
  formatDateTime,
  formatTarget,
} from '../common/format';
import { Truncated, columnStyles } from '../common/Truncated';
import { PlainTable, type PlainColumn } from '../common/PlainTable';
import { ExportButtons } from './ExportButtons';
import {
  AUDIT_PAGE_SIZE,
  auditEventsQuery,
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
  footer: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginTop: theme.spacing(1),
  },
}));

/**
 * The audit log matching the filters, newest first, a page at a time, with its exports.
 *
 * @internal
 */
export function AuditLogTable(props: {
  filters: SessionsFilters;
  canExport: boolean;
}) {
  const { filters, canExport } = props;
  const classes = useStyles();
  const api = useApi(kubernetesTerminalApiRef);
  const links = useSessionLinks();
  const query = useMemo(() => auditEventsQuery(filters), [filters]);
  const fetchPage = useCallback(
    (cursor?: string) =>
      api.listAuditEvents({ ...query, cursor, limit: AUDIT_PAGE_SIZE }),
    [api, query],
  );
  const { items, loading, error, hasMore, loadMore, reload } =
    useCursorPages(fetchPage);

  // Made once: material-table resets its state when given new columns.
  const columns = useMemo<PlainColumn<TerminalAuditEvent>[]>(
    () => [
      {
        title: 'Time',
        style: columnStyles.nowrap,
        render: event => (
          <time dateTime={event.createdAt}>
            {formatDateTime(event.createdAt)}
          </time>
        ),
      },
      {
        title: 'Type',
        style: columnStyles.nowrap,
        render: event => EVENT_TYPE_LABELS[event.type] ?? event.type,
      },
      {
        title: 'User',
        style: columnStyles.nowrap,
        render: event =>
          // An agent's events name the cluster's agent, which is no catalog entity.
          event.userEntityRef.startsWith(AGENT_ACTOR_PREFIX) ? (
            `agent of ${event.userEntityRef.slice(AGENT_ACTOR_PREFIX.length)}`
          ) : (
            <EntityRefLink entityRef={event.userEntityRef} defaultKind="user" />
          ),
      },
      {
        title: 'Entity',
        style: columnStyles.nowrap,
        render: event =>
          event.entityRef ? (
            <EntityRefLink entityRef={event.entityRef} />
          ) : null,
      },
      {
        title: 'Target',
        style: columnStyles.truncated(240),
        render: event => <Truncated text={formatTarget(event)} mono />,
      },
      {
        title: 'Command',
        style: columnStyles.truncated(320),
        render: event =>
          event.command ? (
            <Truncated text={event.command} mono component="code" />
          ) : null,
      },
      {
        title: 'Details',
        style: columnStyles.truncated(200),
        render: event => <Truncated text={describeEventDetails(event)} />,
      },
      {
        title: 'Session',
        style: columnStyles.nowrap,
        render: event => {
          if (!event.sessionId) {
            return null;
          }
          const short = event.sessionId.slice(0, 8);
          return links.session ? (
            <Link
              to={links.session(event.sessionId)}
              aria-label={`Session ${event.sessionId}`}
              className={classes.mono}
            >
              {short}
            </Link>
          ) : (
            <span className={classes.mono}>{short}</span>
          );
        },
      },
    ],
    [classes, links],
  );

  return (
    <section aria-labelledby="kubernetes-terminal-audit-heading">
      <Box className={classes.header}>
        <Typography
          variant="h5"
          component="h2"
          id="kubernetes-terminal-audit-heading"
        >
          Audit log
        </Typography>
        <Box display="flex" alignItems="center" gridGap={8}>
          <ExportButtons
            query={query}
            deniedReason={canExport ? undefined : EXPORT_DENIED_REASON}
          />
          <Button
            size="small"
            startIcon={<RefreshIcon />}
            onClick={reload}
            disabled={loading}
          >
            Refresh
          </Button>
        </Box>
      </Box>
      {error && <ResponseErrorPanel error={error} />}
      <PlainTable<TerminalAuditEvent>
        aria-labelledby="kubernetes-terminal-audit-heading"
        loading={loading && items.length === 0}
        columns={columns}
        rows={items}
        rowKey={event => event.id}
        emptyContent={
          <Box p={2}>
            <Typography color="textSecondary">
              No audit events match the filters.
            </Typography>
          </Box>
        }
      />
      <Box className={classes.footer}>
        <Typography
          variant="caption"
          color="textSecondary"
          data-testid="audit-count"
        >
          {items.length === 1
            ? 'Showing 1 event'
            : `Showing ${items.length} events`}
        </Typography>
        {hasMore && (
          <Button
            variant="outlined"
            size="small"
            onClick={loadMore}
            disabled={loading}
          >
            Load more
          </Button>
        )}
      </Box>
    </section>
  );
}
