import type { TerminalCloseCodeValue } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/**
 * Why a relay could not start: sent to the browser as an `error` message, then the close code.
 *
 * @internal
 */
export class RelayFailure extends Error {
  constructor(
    readonly code: TerminalCloseCodeValue,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'RelayFailure';
  }
}
