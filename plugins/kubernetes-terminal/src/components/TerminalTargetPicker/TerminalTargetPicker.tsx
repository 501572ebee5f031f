import { useMemo, useState, type ChangeEvent, type ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import OutlinedInput from '@material-ui/core/OutlinedInput';
import Select from '@material-ui/core/Select';
import { makeStyles } from '@material-ui/core/styles';
import type {
  TerminalCluster,
  TerminalClusterErrorReason,
  TerminalContainer,
  TerminalPod,
} from '@internal/plugin-kubernetes-terminal-common';
import { useRememberedTarget } from '../../hooks/useRememberedTarget';
import type { TerminalTarget } from '../../types';
import { resolveSelection } from './resolveSelection';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
  },
  field: {
    minWidth: 180,
    maxWidth: 360,
  },
}));

/** @public */
export interface TerminalTargetPickerProps {
  /** Stringified ref of the entity, the key of the remembered choice. */
  entityRef: string;
  clusters: TerminalCluster[];
  disabled?: boolean;
  onConnect: (target: TerminalTarget) => void;
}

const clusterErrorLabels: Record<TerminalClusterErrorReason, string> = {
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

function podLabel(pod: TerminalPod): string {
  return `${pod.name} (${pod.phase}, ${pod.ready ? 'ready' : 'not ready'})`;
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
  disabled?: boolean;
  onChange: (value: string) => void;
  children: ReactNode;
}) {
  const classes = useStyles();
  const { id, label, placeholder, value, disabled, onChange, children } = props;
  return (
    <FormControl
      variant="outlined"
      size="small"
      className={classes.field}
      disabled={disabled}
    >
      <InputLabel htmlFor={id} shrink>
        {label}
      </InputLabel>
      <Select
        native
        input={<OutlinedInput notched label={label} />}
        value={value ?? ''}
        inputProps={{ id, name: id }}
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
 * Cascading choice of cluster, namespace, pod and container, and the Connect button.
 *
 * @public
 */
export function TerminalTargetPicker(props: TerminalTargetPickerProps) {
  const { entityRef, clusters, disabled, onConnect } = props;
  const classes = useStyles();
  const { remembered, remember } = useRememberedTarget(entityRef);
  const [wanted, setWanted] = useState<Partial<TerminalTarget> | undefined>(
    remembered,
  );
  const resolved = useMemo(
    () => resolveSelection(clusters, wanted),
    [clusters, wanted],
  );
  const { selection } = resolved;

  const handleConnect = () => {
    if (resolved.target) {
      remember(resolved.target);
      onConnect(resolved.target);
    }
  };

  return (
    <Box className={classes.root}>
      <PickerSelect
        id="kubernetes-terminal-cluster"
        label="Cluster"
        placeholder="Select a cluster"
        value={selection.cluster}
        disabled={disabled}
        onChange={cluster => setWanted({ cluster })}
      >
        {clusters.map(cluster => (
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
        disabled={disabled || !selection.cluster}
        onChange={namespace =>
          setWanted({ cluster: selection.cluster, namespace })
        }
      >
        {resolved.namespaces.map(namespace => (
          <option key={namespace} value={namespace}>
            {namespace}
          </option>
        ))}
      </PickerSelect>
      <PickerSelect
        id="kubernetes-terminal-pod"
        label="Pod"
        placeholder="Select a pod"
        value={selection.pod}
        disabled={disabled || !selection.namespace}
        onChange={pod =>
          setWanted({
            cluster: selection.cluster,
            namespace: selection.namespace,
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
        value={selection.container}
        disabled={disabled || !selection.pod}
        onChange={container => setWanted({ ...selection, container })}
      >
        {resolved.containers.map(container => (
          <option key={container.name} value={container.name}>
            {containerLabel(container)}
          </option>
        ))}
      </PickerSelect>
      <Button
        variant="contained"
        color="primary"
        disabled={disabled || !resolved.target}
        onClick={handleConnect}
      >
        Connect
      </Button>
    </Box>
  );
}
