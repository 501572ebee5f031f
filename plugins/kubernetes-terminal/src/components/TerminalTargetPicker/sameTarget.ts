import type { TerminalSessionTarget } from '../../types';

/** Whether two targets name the same container, or the same session pod namespace. @internal */
export function sameTarget(
  a: TerminalSessionTarget,
  b: TerminalSessionTarget,
): boolean {
  if ((a.kind ?? 'exec') !== (b.kind ?? 'exec')) {
    return false;
  }
  if (a.cluster !== b.cluster || a.namespace !== b.namespace) {
    return false;
  }
  return a.kind === 'session-pod' || b.kind === 'session-pod'
    ? true
    : a.pod === b.pod && a.container === b.container;
}
