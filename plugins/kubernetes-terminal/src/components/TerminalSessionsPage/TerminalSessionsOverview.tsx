import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import {
  AUDIT_READ_HINT,
  useSessionPermissions,
} from '../../hooks/useSessionPermissions';
import { AgentsTable } from './AgentsTable';
import { AuditLogTable } from './AuditLogTable';
import {
  filtersFromSearchParams,
  filtersToSearchParams,
  type SessionsFilters,
} from './filters';
import { SessionsFilterForm } from './SessionsFilterForm';
import { SessionsTable } from './SessionsTable';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(3),
  },
}));

/**
 * Filters, live sessions and the audit log. The filters live in the URL.
 *
 * @internal
 */
export function TerminalSessionsOverview(props: {
  refreshIntervalMs?: number;
}) {
  const classes = useStyles();
  const [searchParams, setSearchParams] = useSearchParams();
  const search = searchParams.toString();
  const permissions = useSessionPermissions();
  // A shared link may carry a user filter that this user may not apply; the backend would answer
  // with nothing, so it is dropped instead.
  const dropUser = !permissions.loading && !permissions.canReadAudit;
  const parsed = useMemo(
    () => filtersFromSearchParams(new URLSearchParams(search)),
    [search],
  );
  const filters = useMemo(
    () => (dropUser && parsed.user ? { ...parsed, user: undefined } : parsed),
    [parsed, dropUser],
  );
  const formKey = filtersToSearchParams({
    ...filters,
    includeEnded: false,
  }).toString();

  const apply = useCallback(
    (next: SessionsFilters) =>
      setSearchParams(filtersToSearchParams(next), { replace: true }),
    [setSearchParams],
  );

  return (
    <Box className={classes.root}>
      {!permissions.loading && !permissions.canReadAudit && (
        <Alert severity="info" data-testid="audit-read-hint">
          {AUDIT_READ_HINT}
        </Alert>
      )}
      <SessionsFilterForm
        key={formKey}
        value={filters}
        canFilterByUser={permissions.canReadAudit}
        onApply={apply}
      />
      <SessionsTable
        filters={filters}
        permissions={permissions}
        onIncludeEndedChange={includeEnded =>
          apply({ ...filters, includeEnded })
        }
        refreshIntervalMs={props.refreshIntervalMs}
      />
      {permissions.canReadAudit && (
        <AgentsTable refreshIntervalMs={props.refreshIntervalMs} />
      )}
      <AuditLogTable filters={filters} canExport={permissions.canReadAudit} />
    </Box>
  );
}
