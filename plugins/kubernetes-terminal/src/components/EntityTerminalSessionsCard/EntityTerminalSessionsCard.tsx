import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { kubernetesTerminalAuditReadPermission } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { useSessionLinks } from '../../hooks/useSessionLinks';
import { RelativeTime } from '../common/RelativeTime';
import { SessionStatusChip } from '../common/SessionStatusChip';
import { formatTarget } from '../common/format';

const useStyles = makeStyles(theme => ({
  mono: { fontFamily: 'monospace', overflowWrap: 'anywhere' },
  caption: { display: 'block', marginTop: theme.spacing(1) },
}));

const REFRESH_MS = 30_000;

/** @public */
export interface EntityTerminalSessionsCardProps {
  /** How many sessions to show; 5 by default. */
  limit?: number;
}

/**
 * The entity's most recent terminal sessions, linking to the Terminal sessions page filtered by
 * the entity.
 *
 * @internal
 */
export function EntityTerminalSessionsCard(
  props: EntityTerminalSessionsCardProps,
) {
  const limit = props.limit ?? 5;
  const classes = useStyles();
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(kubernetesTerminalApiRef);
  const links = useSessionLinks();
  const auditRead = usePermission({
    permission: kubernetesTerminalAuditReadPermission,
  });
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listSessions({ entityRef, limit }),
    [api, entityRef, limit],
  );
  useInterval(retry, REFRESH_MS);

  const deepLink = links.sessionsPage
    ? {
        title: 'View all sessions',
        link: links.sessionsPage({ entityRef, sessions: 'all' }),
      }
    : undefined;

  let content;
  if (loading && !value) {
    content = <Progress />;
  } else if (error) {
    content = <ResponseErrorPanel error={error} />;
  } else if (!value?.items.length) {
    content = (
      <Typography color="textSecondary">
        No terminal sessions for this entity yet.
      </Typography>
    );
  } else {
    content = (
      <Table size="small" aria-label="Recent terminal sessions">
        <TableHead>
          <TableRow>
            <TableCell>User</TableCell>
            <TableCell>Target</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>When</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {value.items.map(session => (
            <TableRow key={session.id}>
              <TableCell>
                <EntityRefLink
                  entityRef={session.userEntityRef}
                  defaultKind="user"
                />
              </TableCell>
              <TableCell className={classes.mono}>
                {links.session ? (
                  <Link to={links.session(session.id)}>
                    {formatTarget(session)}
                  </Link>
                ) : (
                  formatTarget(session)
                )}
              </TableCell>
              <TableCell>
                <SessionStatusChip status={session.status} />
              </TableCell>
              <TableCell>
                <RelativeTime value={session.createdAt} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    );
  }

  return (
    <InfoCard title="Recent terminal sessions" deepLink={deepLink}>
      {content}
      {!auditRead.loading && !auditRead.allowed && (
        <Typography
          variant="caption"
          color="textSecondary"
          className={classes.caption}
          data-testid="audit-read-hint"
        >
          Only your own sessions are shown; members with
          kubernetes.terminal.audit.read see everyone's.
        </Typography>
      )}
    </InfoCard>
  );
}
