import { useCallback, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import type {
  TerminalCluster,
  TerminalDenial,
  TerminalTargetsResponse,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  type KubernetesTerminalApi,
  kubernetesTerminalApiRef,
} from '../../api';
import { useClusterCredentials } from '../../hooks/useClusterCredentials';
import { isKubernetesTerminalAvailable } from '../../conditions';
import {
  NOT_ALLOWED_MESSAGE,
  isNotAllowedError,
} from '../../hooks/connectionState';
import type { TerminalSessionTarget } from '../../types';
import { KubernetesTerminal } from '../KubernetesTerminal';
import { TerminalTargetPicker } from '../TerminalTargetPicker';
import { sameTarget } from '../TerminalTargetPicker/sameTarget';
import { loadTabSession } from '../../hooks/tabSession';
import { formatTarget } from '../common/format';
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
  SIGN_IN_REQUIRED: 'needs you to sign in',
  ERROR: 'failed',
};

/**
 * The entity's targets: first which clusters need the person's own credential, then the targets with
 * those credentials in the request body. A credential that could not be had is said per cluster.
 */
async function loadTargets(
  api: KubernetesTerminalApi,
  credentialsFor: ReturnType<typeof useClusterCredentials>,
  entityRef: string,
): Promise<TerminalTargetsResponse> {
  const { items } = await api.getClusters();
  const providers = items.flatMap(c =>
    c.authProvider ? [c.authProvider] : [],
  );
  if (providers.length === 0) {
    return api.getTargets({ entityRef });
  }
  const { auth, problems } = await credentialsFor(providers);
  const targets = await api.getTargets({ entityRef, auth });
  for (const cluster of targets.clusters) {
    const problem = cluster.authProvider && problems[cluster.authProvider];
    if (problem && cluster.error?.reason === 'SIGN_IN_REQUIRED') {
      cluster.error.message = problem;
    }
  }
  return targets;
}

/** The target, with the key of the person's credential when its cluster needs one. */
function withAuthProvider(
  target: TerminalSessionTarget,
  clusters: TerminalCluster[],
): TerminalSessionTarget {
  const authProvider = clusters.find(
    c => c.name === target.cluster,
  )?.authProvider;
  return target.kind === 'session-pod' || !authProvider
    ? target
    : { ...target, authProvider };
}

function hint(modes: TerminalModes): string {
  const exec = isModeUsable(modes, 'exec');
  if (!isModeUsable(modes, 'session-pod')) {
    return 'Choose a container and press Connect to open a shell in it.';
  }
  return exec
    ? 'Choose a container and press Connect to open a shell in it, or choose kubectl session pod to get a short-lived pod with kubectl next to it.'
    : 'Choose a namespace and press Start session pod to get a short-lived pod with kubectl next to the workloads.';
}

/** Why the person may not open a terminal here, and whom to ask: as far as the backend could say. */
function PermissionDenied(props: { denied?: TerminalDenial }) {
  const { denied } = props;
  return (
    <Alert severity="error" data-testid="terminal-permission-denied">
      <AlertTitle>Permission denied</AlertTitle>
      {NOT_ALLOWED_MESSAGE}
      {denied ? (
        <>
          : the portal's permission policy does not give you{' '}
          {denied.permissions.map((permission, i) => (
            <span key={permission}>
              {i > 0 && ' or '}
              <code>{permission}</code>
            </span>
          ))}{' '}
          on it.{' '}
          {denied.owner ? (
            <>
              Policies usually grant it to the entity's owner,{' '}
              <EntityRefLink entityRef={denied.owner} />: ask them, or your
              Backstage administrators, for access.
            </>
          ) : (
            <>Ask your Backstage administrators for access.</>
          )}
        </>
      ) : (
        '.'
      )}
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
  const credentialsFor = useClusterCredentials();
  const { value, loading, error, retry } = useAsyncRetry(
    () => loadTargets(api, credentialsFor, entityRef),
    [api, credentialsFor, entityRef],
  );
  // After a reload, the terminal this tab had open here: it resumes its session.
  const [connection, setConnection] = useState<
    | {
        id: number;
        target: TerminalSessionTarget;
        /** Bumped by the picker's Reconnect: a new session on the same terminal. */
        attempt: number;
      }
    | undefined
  >(() => {
    const saved = loadTabSession(entityRef);
    return saved && { id: 1, target: saved.target, attempt: 0 };
  });
  const [live, setLive] = useState(false);
  // A target chosen while another session runs: it replaces that session only once confirmed.
  const [replacing, setReplacing] = useState<TerminalSessionTarget>();

  const open = useCallback(
    (target: TerminalSessionTarget, clusters: TerminalCluster[]) => {
      setReplacing(undefined);
      setConnection(previous =>
        previous && sameTarget(previous.target, target)
          ? { ...previous, attempt: previous.attempt + 1 }
          : {
              id: (previous?.id ?? 0) + 1,
              target: withAuthProvider(target, clusters),
              attempt: 0,
            },
      );
    },
    [],
  );

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
  const modes = terminalModes(value.clusters, value.canExec, value.canDebug);
  const sessionPodUsable = isModeUsable(modes, 'session-pod');
  const debugUsable = isModeUsable(modes, 'debug');
  if (!value.canExec && !sessionPodUsable && !value.canDebug) {
    return <PermissionDenied denied={value.denied} />;
  }

  const failedClusters = value.clusters.filter(c => c.error);
  const hasPods = usableClusters(value.clusters).length > 0;
  const canStart =
    isModeUsable(modes, 'exec') || sessionPodUsable || debugUsable;

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
          {cluster.error!.reason === 'SIGN_IN_REQUIRED' && (
            <Box mt={1}>
              <Button variant="outlined" size="small" onClick={retry}>
                Sign in and retry
              </Button>
            </Box>
          )}
          {/* A cluster can come back (a private cluster's agent reconnects): ask again. */}
          {cluster.error!.reason === 'UNREACHABLE' && (
            <Box mt={1}>
              <Button variant="outlined" size="small" onClick={retry}>
                Retry
              </Button>
            </Box>
          )}
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
            canDebug={value.canDebug}
            current={connection && { target: connection.target, live }}
            onConnect={target =>
              connection && live && !sameTarget(connection.target, target)
                ? setReplacing(target)
                : open(target, value.clusters)
            }
          />
          {connection && replacing && (
            <Dialog
              open
              onClose={() => setReplacing(undefined)}
              aria-labelledby="kubernetes-terminal-replace-title"
            >
              <DialogTitle id="kubernetes-terminal-replace-title">
                End the running session?
              </DialogTitle>
              <DialogContent>
                <DialogContentText>
                  The shell in <code>{formatTarget(connection.target)}</code> is
                  still running. Opening <code>{formatTarget(replacing)}</code>{' '}
                  ends it, and whatever runs in it.
                </DialogContentText>
              </DialogContent>
              <DialogActions>
                <Button onClick={() => setReplacing(undefined)}>
                  Keep the session
                </Button>
                <Button
                  color="primary"
                  variant="contained"
                  onClick={() => open(replacing, value.clusters)}
                >
                  End it and connect
                </Button>
              </DialogActions>
            </Dialog>
          )}
          {connection ? (
            <KubernetesTerminal
              key={connection.id}
              entityRef={entityRef}
              target={connection.target}
              onLiveChange={setLive}
              reconnectKey={connection.attempt}
              onDebug={
                value.canDebug
                  ? target => open(target, value.clusters)
                  : undefined
              }
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
