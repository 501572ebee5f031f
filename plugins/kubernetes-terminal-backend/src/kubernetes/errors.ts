import type { TerminalClusterErrorReason } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** A cluster could not be used for a request; the reason is shown per cluster. @internal */
export class ClusterAccessError extends Error {
  constructor(readonly reason: TerminalClusterErrorReason, message: string) {
    super(message);
    this.name = 'ClusterAccessError';
  }
}
