import { sameTarget } from './sameTarget';
import {
  useEffect,
  useMemo,
  useState,
  type ChangeEvent,
  type ReactNode,
} from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import OutlinedInput from '@material-ui/core/OutlinedInput';
import Select from '@material-ui/core/Select';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import type {
  TerminalCluster,
  TerminalClusterErrorReason,
  TerminalContainer,
  TerminalPod,
  TerminalSessionKind,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { useRememberedTarget } from '../../hooks/useRememberedTarget';
import type { TerminalSessionTarget, TerminalTarget } from '../../types';
import { ModeChoice } from './ModeChoice';
import { initialMode, isModeUsable, terminalModes } from './modes';
import { resolveSelection } from './resolveSelection';
import {
  isSessionPodUsable,
  resolveSessionPodSelection,
  sessionPodClusters,
  type ResolvedSessionPodSelection,
} from './resolveSessionPodSelection';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1.5),
  },
  row: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
  },
  // Fields share the row and the button stays on it where the window allows.
  field: {
    minWidth: 120,
    maxWidth: 420,
  },
  button: {
    flexShrink: 0,
    whiteSpace: 'nowrap',
  },
}));

/** @public */
export interface TerminalTargetPickerProps {
  /** Stringified ref of the entity, the key of the remembered choice. */
  entityRef: string;
  clusters: TerminalCluster[];
  /** Whether the user may open a shell in the entity's containers; default true. */
  canExec?: boolean;
  /**
   * Whether the user may start a debug container; undefined when the portal offers none (the mode
   * is then not shown).
   */
  canDebug?: boolean;
  disabled?: boolean;
  /** A container, or a session pod's cluster and namespace (`kind: 'session-pod'`). */
  onConnect: (target: TerminalSessionTarget) => void;
  /**
   * The terminal shown beside the picker, if any. When the chosen target is its target, the button
   * says what it would do there: nothing while the session runs ("Connected"), Reconnect after it
   * ended.
   */
  current?: { target: TerminalSessionTarget; live: boolean };
}

/** The picker's one button per mode: to start, while it runs here, to start again here. */
const BUTTON_LABELS: Record<
  TerminalSessionKind,
  { start: string; running: string; again: string }
> = {
  exec: { start: 'Connect', running: 'Connected', again: 'Reconnect' },
  'session-pod': {
    start: 'Start session pod',
    running: 'Session pod running',
    again: 'Start a new session pod',
  },
  debug: {
    start: 'Start debug container',
    running: 'Debug container attached',
    again: 'Attach again',
  },
};

function buttonLabel(
  target: TerminalSessionTarget | undefined,
  current: CurrentTerminal | undefined,
  mode: TerminalSessionKind,
): string {
  const labels = BUTTON_LABELS[mode];
  if (target && current && sameTarget(target, current.target)) {
    return current.live ? labels.running : labels.again;
  }
  return labels.start;
}

type CurrentTerminal = NonNullable<TerminalTargetPickerProps['current']>;

const clusterErrorLabels: Record<TerminalClusterErrorReason, string> = {
  SIGN_IN_REQUIRED: 'sign in needed',
  UNREACHABLE: 'unreachable',
  UNAUTHORIZED: 'not authorized',
  FORBIDDEN: 'forbidden',
  ERROR: 'error',
};

function clusterLabel(cluster: TerminalCluster): string {
  const title = cluster.title ?? cluster.name;
  if (cluster.error) {
    return `${title} (${clusterErrorLabels[cluster.error.reason] ?? 'error'})`;
  }
  return cluster.pods.length === 0 ? `${title} (no pods)` : title;
}

function sessionPodClusterLabel(cluster: TerminalCluster): string {
  const title = cluster.title ?? cluster.name;
  if (cluster.error) {
    return clusterLabel(cluster);
  }
  if (!cluster.sessionPod?.canCreate) {
    return `${title} (not allowed)`;
  }
  return cluster.sessionPod.namespaces.length === 0
    ? `${title} (no namespaces)`
    : title;
}

function sessionPodCaption(resolved: ResolvedSessionPodSelection): string {
  const role = resolved.cluster?.sessionPod?.clusterRole;
  const namespace = resolved.selection.namespace;
  return role
    ? `A short-lived pod with kubectl, bound to the ${role} role in ${namespace}`
    : `A short-lived pod with kubectl, limited to ${namespace}`;
}

/** The pod's name, with its state only when it is not running and ready: long names fit the field. */
function podLabel(pod: TerminalPod): string {
  return pod.phase === 'Running' && pod.ready
    ? pod.name
    : `${pod.name} (${pod.phase}, ${pod.ready ? 'ready' : 'not ready'})`;
}

function containerLabel(container: TerminalContainer): string {
  return `${container.name} (${container.state}, ${
    container.ready ? 'ready' : 'not ready'
  })`;
}

function PickerSelect(props: {
  id: string;
  label: string;
  placeholder: string;
  value: string | undefined;
  /** The chosen option's whole text, shown on hover where the field cuts it. */
  valueTitle?: string;
  /** Its share of the row (CSS `flex`): pod names are long, namespaces short. */
  flex: string;
  disabled?: boolean;
  onChange: (value: string) => void;
  children: ReactNode;
}) {
  const classes = useStyles();
  const {
    id,
    label,
    placeholder,
    value,
    valueTitle,
    flex,
    disabled,
    onChange,
    children,
  } = props;
  return (
    <FormControl
      variant="outlined"
      size="small"
      className={classes.field}
      style={{ flex }}
      disabled={disabled}
    >
      <InputLabel htmlFor={id} shrink>
        {label}
      </InputLabel>
      <Select
        native
        input={<OutlinedInput notched label={label} />}
        value={value ?? ''}
        inputProps={{ id, name: id, title: valueTitle }}
        onChange={(event: ChangeEvent<{ value: unknown }>) =>
          onChange(String(event.target.value))
        }
      >
        <option value="" disabled>
          {placeholder}
        </option>
        {children}
      </Select>
    </FormControl>
  );
}

/**
 * Cascading choice of cluster, namespace, pod and container, and the Connect button; where the
 * portal offers kubectl session pods, a mode choice and, for a session pod, cluster and namespace.
 *
 * @public
 */
export function TerminalTargetPicker(props: TerminalTargetPickerProps) {
  const {
    entityRef,
    clusters,
    canExec = true,
    canDebug,
    disabled,
    onConnect,
    current,
  } = props;
  const classes = useStyles();
  const { remembered, remember } = useRememberedTarget(entityRef);
  const modes = useMemo(
    () => terminalModes(clusters, canExec, canDebug),
    [clusters, canExec, canDebug],
  );
  const [mode, setMode] = useState<TerminalSessionKind>(() =>
    initialMode(modes, remembered?.kind),
  );
  // A terminal opened from elsewhere (the no-shell alert's debug container) brings the picker to its
  // mode, so that the button speaks of that terminal.
  const currentKind = current?.target.kind ?? (current ? 'exec' : undefined);
  useEffect(() => {
    if (currentKind && isModeUsable(modes, currentKind)) {
      setMode(currentKind);
    }
  }, [currentKind, modes]);
  // Shared by both modes, so that switching keeps the cluster and namespace.
  const [wanted, setWanted] = useState<
    Partial<Omit<TerminalTarget, 'kind'>> | undefined
  >(remembered);
  const resolved = useMemo(
    () => resolveSelection(clusters, wanted),
    [clusters, wanted],
  );
  const resolvedSessionPod = useMemo(
    () => resolveSessionPodSelection(clusters, wanted),
    [clusters, wanted],
  );
  const sessionPod = mode === 'session-pod';
  const { selection } = sessionPod ? resolvedSessionPod : resolved;
  let target: TerminalSessionTarget | undefined = sessionPod
    ? resolvedSessionPod.target
    : resolved.target;
  if (mode === 'debug' && resolved.target) {
    target = { ...resolved.target, kind: 'debug' };
  }

  const label = buttonLabel(target, current, mode);
  const runningHere = Boolean(
    target && current?.live && sameTarget(target, current.target),
  );
  const chosenCluster = clusters.find(c => c.name === selection.cluster);
  const chosenPod = resolved.pods.find(p => p.name === resolved.selection.pod);
  const chosenContainer = resolved.containers.find(
    c => c.name === resolved.selection.container,
  );

  const handleConnect = () => {
    if (target) {
      remember(target);
      onConnect(target);
    }
  };

  return (
    <Box className={classes.root}>
      {(modes['session-pod'].shown || modes.debug.shown) && (
        <ModeChoice
          modes={modes}
          value={mode}
          disabled={disabled}
          onChange={setMode}
        />
      )}
      <Box className={classes.row}>
        <PickerSelect
          id="kubernetes-terminal-cluster"
          label="Cluster"
          placeholder="Select a cluster"
          value={selection.cluster}
          valueTitle={chosenCluster && clusterLabel(chosenCluster)}
          flex="1 1 200px"
          disabled={disabled}
          onChange={cluster => setWanted({ cluster })}
        >
          {sessionPod
            ? sessionPodClusters(clusters).map(cluster => (
                <option
                  key={cluster.name}
                  value={cluster.name}
                  disabled={!isSessionPodUsable(cluster)}
                >
                  {sessionPodClusterLabel(cluster)}
                </option>
              ))
            : clusters.map(cluster => (
                <option
                  key={cluster.name}
                  value={cluster.name}
                  disabled={Boolean(cluster.error) || cluster.pods.length === 0}
                >
                  {clusterLabel(cluster)}
                </option>
              ))}
        </PickerSelect>
        <PickerSelect
          id="kubernetes-terminal-namespace"
          label="Namespace"
          placeholder="Select a namespace"
          value={selection.namespace}
          valueTitle={selection.namespace}
          flex="0 1 150px"
          disabled={disabled || !selection.cluster}
          onChange={namespace =>
            setWanted({ cluster: selection.cluster, namespace })
          }
        >
          {(sessionPod ? resolvedSessionPod : resolved).namespaces.map(
            namespace => (
              <option key={namespace} value={namespace}>
                {namespace}
              </option>
            ),
          )}
        </PickerSelect>
        {!sessionPod && (
          <>
            <PickerSelect
              id="kubernetes-terminal-pod"
              label="Pod"
              placeholder="Select a pod"
              value={resolved.selection.pod}
              valueTitle={chosenPod && podLabel(chosenPod)}
              flex="2 1 280px"
              disabled={disabled || !resolved.selection.namespace}
              onChange={pod =>
                setWanted({
                  cluster: resolved.selection.cluster,
                  namespace: resolved.selection.namespace,
                  pod,
                })
              }
            >
              {resolved.pods.map(pod => (
                <option key={pod.name} value={pod.name}>
                  {podLabel(pod)}
                </option>
              ))}
            </PickerSelect>
            <PickerSelect
              id="kubernetes-terminal-container"
              label="Container"
              placeholder="Select a container"
              value={resolved.selection.container}
              valueTitle={chosenContainer && containerLabel(chosenContainer)}
              flex="1 1 180px"
              disabled={disabled || !resolved.selection.pod}
              onChange={container =>
                setWanted({ ...resolved.selection, container })
              }
            >
              {resolved.containers.map(container => (
                <option key={container.name} value={container.name}>
                  {containerLabel(container)}
                </option>
              ))}
            </PickerSelect>
          </>
        )}
        <Button
          variant="contained"
          color="primary"
          className={classes.button}
          disabled={disabled || !target || runningHere}
          onClick={handleConnect}
        >
          {label}
        </Button>
      </Box>
      {mode === 'debug' && resolved.target && (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="debug-container-caption"
        >
          A debug container with the portal's debug image beside{' '}
          {resolved.target.container}, seeing its processes where the cluster
          shares them: for images without a shell. It stays in the pod until the
          pod is replaced; your running one is attached to again.
        </Typography>
      )}
      {sessionPod && resolvedSessionPod.target && (
        <Typography
          variant="body2"
          color="textSecondary"
          data-testid="session-pod-caption"
        >
          {sessionPodCaption(resolvedSessionPod)}
        </Typography>
      )}
    </Box>
  );
}
