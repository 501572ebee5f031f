export { TerminalSessionsPage } from './TerminalSessionsPage';
export { TerminalSessionsContent } from './TerminalSessionsContent';
