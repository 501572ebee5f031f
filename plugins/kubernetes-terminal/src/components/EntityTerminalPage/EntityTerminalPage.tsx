import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { TerminalCluster } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { isKubernetesTerminalAvailable } from '../../conditions';
import {
  NOT_ALLOWED_MESSAGE,
  isNotAllowedError,
} from '../../hooks/connectionState';
import type { TerminalSessionTarget } from '../../types';
import { KubernetesTerminal } from '../KubernetesTerminal';
import { TerminalTargetPicker } from '../TerminalTargetPicker';
import {
  isModeUsable,
  terminalModes,
  type TerminalModes,
} from '../TerminalTargetPicker/modes';
import { usableClusters } from '../TerminalTargetPicker/resolveSelection';
import { NoAnnotationsEmptyState } from './NoAnnotationsEmptyState';
import { NoPodsEmptyState } from './NoPodsEmptyState';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(2),
  },
}));

const clusterErrorTitles: Record<
  NonNullable<TerminalCluster['error']>['reason'],
  string
> = {
  UNREACHABLE: 'is unreachable',
  UNAUTHORIZED: 'rejected the credentials',
  FORBIDDEN: 'denied access',
  ERROR: 'failed',
};

function hint(modes: TerminalModes): string {
  const exec = isModeUsable(modes, 'exec');
  if (!isModeUsable(modes, 'session-pod')) {
    return 'Choose a container and press Connect to open a shell in it.';
  }
  return exec
    ? 'Choose a container and press Connect to open a shell in it, or choose kubectl session pod to get a short-lived pod with kubectl next to it.'
    : 'Choose a namespace and press Start session pod to get a short-lived pod with kubectl next to the workloads.';
}

function PermissionDenied() {
  return (
    <Alert severity="error">
      <AlertTitle>Permission denied</AlertTitle>
      {NOT_ALLOWED_MESSAGE}.
    </Alert>
  );
}

/**
 * The terminal of one entity: its containers, and the terminal once one is chosen.
 *
 * @public
 */
export function EntityTerminalPanel(props: { entityRef: string }) {
  const { entityRef } = props;
  const classes = useStyles();
  const api = useApi(kubernetesTerminalApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getTargets({ entityRef }),
    [api, entityRef],
  );
  const [connection, setConnection] = useState<{
    id: number;
    target: TerminalSessionTarget;
  }>();

  if (loading && !value) {
    return <Progress />;
  }
  if (error) {
    return isNotAllowedError(error) ? (
      <PermissionDenied />
    ) : (
      <ResponseErrorPanel error={error} />
    );
  }
  if (!value) {
    return null;
  }
  if (!value.annotated) {
    return <NoAnnotationsEmptyState />;
  }
  const modes = terminalModes(value.clusters, value.canExec);
  const sessionPodUsable = isModeUsable(modes, 'session-pod');
  if (!value.canExec && !sessionPodUsable) {
    return <PermissionDenied />;
  }

  const failedClusters = value.clusters.filter(c => c.error);
  const hasPods = usableClusters(value.clusters).length > 0;
  const canStart = isModeUsable(modes, 'exec') || sessionPodUsable;

  return (
    <Box className={classes.root}>
      {failedClusters.map(cluster => (
        <Alert
          key={cluster.name}
          severity="warning"
          data-testid={`cluster-error-${cluster.name}`}
        >
          <AlertTitle>
            Cluster {cluster.title ?? cluster.name}{' '}
            {clusterErrorTitles[cluster.error!.reason] ?? 'failed'}
          </AlertTitle>
          {cluster.error!.message}
        </Alert>
      ))}
      {/* When every cluster failed, the errors above already say why there is nothing to pick. */}
      {!hasPods &&
        !sessionPodUsable &&
        (value.clusters.length === 0 ||
          failedClusters.length < value.clusters.length) && (
          <NoPodsEmptyState
            labelSelector={value.labelSelector}
            onRefresh={retry}
          />
        )}
      {canStart && (
        <>
          <TerminalTargetPicker
            entityRef={entityRef}
            clusters={value.clusters}
            canExec={value.canExec}
            onConnect={target =>
              setConnection(previous => ({
                id: (previous?.id ?? 0) + 1,
                target,
              }))
            }
          />
          {connection ? (
            <KubernetesTerminal
              key={connection.id}
              entityRef={entityRef}
              target={connection.target}
            />
          ) : (
            <Typography variant="body2" color="textSecondary">
              {hint(modes)}
            </Typography>
          )}
        </>
      )}
    </Box>
  );
}

/**
 * The content of the entity page's Terminal tab.
 *
 * @public
 */
export function EntityTerminalPage() {
  const { entity } = useEntity();
  if (!isKubernetesTerminalAvailable(entity)) {
    return <NoAnnotationsEmptyState />;
  }
  return <EntityTerminalPanel entityRef={stringifyEntityRef(entity)} />;
}
