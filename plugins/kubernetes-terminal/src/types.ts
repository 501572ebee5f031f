/**
 * The container a terminal is opened in.
 *
 * @public
 */
export interface TerminalTarget {
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
}
