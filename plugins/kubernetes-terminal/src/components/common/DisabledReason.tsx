import type { ReactElement } from 'react';
import Tooltip from '@material-ui/core/Tooltip';

/**
 * Shows why a control is disabled in a tooltip; a disabled button gets no pointer events, so the
 * tooltip hangs on a wrapper.
 *
 * @internal
 */
export function DisabledReason(props: {
  reason?: string;
  children: ReactElement;
}) {
  if (!props.reason) {
    return props.children;
  }
  return (
    <Tooltip title={props.reason}>
      <span data-testid="disabled-reason">{props.children}</span>
    </Tooltip>
  );
}
