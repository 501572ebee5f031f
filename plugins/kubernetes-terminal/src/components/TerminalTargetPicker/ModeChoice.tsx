import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormLabel from '@material-ui/core/FormLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import Typography from '@material-ui/core/Typography';
import type { TerminalSessionKind } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { DisabledReason } from '../common/DisabledReason';
import type { TerminalModes } from './modes';

/** @internal */
export const MODE_LABELS: Record<TerminalSessionKind, string> = {
  exec: 'Container shell',
  'session-pod': 'kubectl session pod',
  debug: 'Debug container',
};

const LABEL_ID = 'kubernetes-terminal-mode-label';

/**
 * The choice between a shell in a container and a kubectl session pod; a mode that is shown but
 * cannot be used is disabled with its reason next to it.
 *
 * @internal
 */
export function ModeChoice(props: {
  modes: TerminalModes;
  value: TerminalSessionKind;
  disabled?: boolean;
  onChange: (mode: TerminalSessionKind) => void;
}) {
  const { modes, value, disabled, onChange } = props;
  const kinds = (Object.keys(MODE_LABELS) as TerminalSessionKind[]).filter(
    kind => modes[kind].shown,
  );
  return (
    <FormControl component="fieldset" disabled={disabled}>
      <FormLabel id={LABEL_ID} component="legend">
        Mode
      </FormLabel>
      <RadioGroup
        row
        aria-labelledby={LABEL_ID}
        name="kubernetes-terminal-mode"
        value={value}
        onChange={event => onChange(event.target.value as TerminalSessionKind)}
      >
        {kinds.map(kind => {
          const reason = modes[kind].disabledReason;
          return (
            <DisabledReason key={kind} reason={reason}>
              <FormControlLabel
                value={kind}
                control={<Radio color="primary" size="small" />}
                label={MODE_LABELS[kind]}
                disabled={Boolean(reason)}
              />
            </DisabledReason>
          );
        })}
      </RadioGroup>
      {kinds
        .filter(kind => modes[kind].disabledReason)
        .map(kind => (
          <Typography
            key={kind}
            variant="caption"
            color="textSecondary"
            data-testid={`mode-unavailable-${kind}`}
          >
            {MODE_LABELS[kind]}: {modes[kind].disabledReason}
          </Typography>
        ))}
    </FormControl>
  );
}
