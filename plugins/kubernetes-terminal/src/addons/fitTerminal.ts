import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';

/** @internal */
export const MIN_TERMINAL_COLS = 20;
/** @internal */
export const MIN_TERMINAL_ROWS = 5;
// The protocol rejects larger resize messages.
const MAX_TERMINAL_DIMENSION = 1000;

/**
 * The size that fills the terminal's container, or undefined while it cannot be measured (not
 * attached, hidden, fonts not measured yet).
 *
 * @internal
 */
export function proposeTerminalSize(
  terminal: Pick<Terminal, 'element'>,
  fitAddon: Pick<FitAddon, 'proposeDimensions'>,
): { cols: number; rows: number } | undefined {
  const parent = terminal.element?.parentElement;
  // A hidden tab measures 0×0; fitting then would shrink the remote shell to the minimum.
  if (!parent || parent.clientWidth === 0 || parent.clientHeight === 0) {
    return undefined;
  }
  let dims: { cols: number; rows: number } | undefined;
  try {
    dims = fitAddon.proposeDimensions();
  } catch {
    return undefined;
  }
  if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) {
    return undefined;
  }
  return {
    cols: clamp(dims.cols, MIN_TERMINAL_COLS, MAX_TERMINAL_DIMENSION),
    rows: clamp(dims.rows, MIN_TERMINAL_ROWS, MAX_TERMINAL_DIMENSION),
  };
}

/**
 * Resizes the terminal to fill its container, keeping a usable minimum size.
 *
 * @internal
 */
export function fitTerminal(
  terminal: Pick<Terminal, 'element' | 'cols' | 'rows' | 'resize'>,
  fitAddon: Pick<FitAddon, 'proposeDimensions'>,
): boolean {
  const size = proposeTerminalSize(terminal, fitAddon);
  if (!size) {
    return false;
  }
  if (size.cols !== terminal.cols || size.rows !== terminal.rows) {
    terminal.resize(size.cols, size.rows);
  }
  return true;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}
