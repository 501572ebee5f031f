import { useState, type FormEvent } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import ListItemText from '@material-ui/core/ListItemText';
import MenuItem from '@material-ui/core/MenuItem';
import Paper from '@material-ui/core/Paper';
import Select from '@material-ui/core/Select';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  TERMINAL_AUDIT_EVENT_TYPES,
  type TerminalAuditEventType,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { EVENT_TYPE_LABELS } from '../common/format';
import { USER_FILTER_DENIED_REASON } from '../../hooks/useSessionPermissions';
import {
  fromDateTimeLocal,
  normalizeRef,
  toDateTimeLocal,
  type SessionsFilters,
} from './filters';

const useStyles = makeStyles(theme => ({
  root: { padding: theme.spacing(2) },
  fields: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))',
    gap: theme.spacing(2),
    alignItems: 'start',
  },
  actions: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginTop: theme.spacing(2),
  },
  caption: { marginLeft: 'auto' },
}));

interface Draft {
  user: string;
  entityRef: string;
  cluster: string;
  namespace: string;
  types: TerminalAuditEventType[];
  from: string;
  to: string;
  q: string;
}

function toDraft(filters: SessionsFilters): Draft {
  return {
    user: filters.user ?? '',
    entityRef: filters.entityRef ?? '',
    cluster: filters.cluster ?? '',
    namespace: filters.namespace ?? '',
    types: filters.types,
    from: toDateTimeLocal(filters.from),
    to: toDateTimeLocal(filters.to),
    q: filters.q ?? '',
  };
}

/**
 * The filters of the sessions page; they apply on submit. Remount it (with a `key`) to reset the
 * draft when the applied filters change elsewhere.
 *
 * @internal
 */
export function SessionsFilterForm(props: {
  value: SessionsFilters;
  canFilterByUser: boolean;
  onApply: (filters: SessionsFilters) => void;
}) {
  const { value, canFilterByUser, onApply } = props;
  const classes = useStyles();
  const [draft, setDraft] = useState<Draft>(() => toDraft(value));

  const set =
    (
      key: 'user' | 'entityRef' | 'cluster' | 'namespace' | 'from' | 'to' | 'q',
    ) =>
    (event: { target: { value: string } }) =>
      setDraft(d => ({ ...d, [key]: event.target.value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({
      user: canFilterByUser ? normalizeRef(draft.user, 'user') : undefined,
      entityRef: normalizeRef(draft.entityRef, 'component'),
      cluster: draft.cluster.trim() || undefined,
      namespace: draft.namespace.trim() || undefined,
      types: draft.types,
      from: fromDateTimeLocal(draft.from),
      to: fromDateTimeLocal(draft.to),
      q: draft.q.trim() || undefined,
      includeEnded: value.includeEnded,
    });
  };

  const clear = () => {
    const empty: SessionsFilters = {
      types: [],
      includeEnded: value.includeEnded,
    };
    setDraft(toDraft(empty));
    onApply(empty);
  };

  return (
    <Paper variant="outlined" className={classes.root}>
      <form aria-label="Filters" onSubmit={submit}>
        <Box className={classes.fields}>
          <TextField
            id="kubernetes-terminal-filter-user"
            label="User"
            placeholder="user:default/alice"
            value={canFilterByUser ? draft.user : ''}
            onChange={set('user')}
            disabled={!canFilterByUser}
            helperText={canFilterByUser ? undefined : USER_FILTER_DENIED_REASON}
            size="small"
            variant="outlined"
          />
          <TextField
            id="kubernetes-terminal-filter-entity"
            label="Entity"
            placeholder="component:default/web"
            value={draft.entityRef}
            onChange={set('entityRef')}
            size="small"
            variant="outlined"
          />
          <TextField
            id="kubernetes-terminal-filter-cluster"
            label="Cluster"
            value={draft.cluster}
            onChange={set('cluster')}
            size="small"
            variant="outlined"
          />
          <TextField
            id="kubernetes-terminal-filter-namespace"
            label="Namespace"
            value={draft.namespace}
            onChange={set('namespace')}
            size="small"
            variant="outlined"
          />
          <FormControl size="small" variant="outlined">
            <InputLabel id="kubernetes-terminal-event-types-label">
              Event types
            </InputLabel>
            <Select
              labelId="kubernetes-terminal-event-types-label"
              label="Event types"
              multiple
              value={draft.types}
              onChange={event =>
                setDraft(d => ({
                  ...d,
                  types: event.target.value as TerminalAuditEventType[],
                }))
              }
              renderValue={selected =>
                (selected as TerminalAuditEventType[])
                  .map(type => EVENT_TYPE_LABELS[type])
                  .join(', ')
              }
            >
              {TERMINAL_AUDIT_EVENT_TYPES.map(type => (
                <MenuItem key={type} value={type}>
                  <Checkbox
                    size="small"
                    checked={draft.types.includes(type)}
                    color="primary"
                  />
                  <ListItemText primary={EVENT_TYPE_LABELS[type]} />
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          <TextField
            id="kubernetes-terminal-filter-from"
            label="From"
            type="datetime-local"
            value={draft.from}
            onChange={set('from')}
            InputLabelProps={{ shrink: true }}
            size="small"
            variant="outlined"
          />
          <TextField
            id="kubernetes-terminal-filter-to"
            label="To"
            type="datetime-local"
            value={draft.to}
            onChange={set('to')}
            InputLabelProps={{ shrink: true }}
            size="small"
            variant="outlined"
          />
          <TextField
            id="kubernetes-terminal-filter-command"
            label="Command contains"
            value={draft.q}
            onChange={set('q')}
            size="small"
            variant="outlined"
          />
        </Box>
        <Box className={classes.actions}>
          <Button type="submit" variant="contained" color="primary">
            Apply filters
          </Button>
          <Button variant="outlined" onClick={clear}>
            Clear filters
          </Button>
          <Typography
            variant="caption"
            color="textSecondary"
            className={classes.caption}
          >
            User, entity, cluster and namespace filter both tables; event types,
            time range and command text filter the audit log.
          </Typography>
        </Box>
      </form>
    </Paper>
  );
}
