export { TerminalSessionDetail } from './TerminalSessionDetail';
