export { EntityTerminalPage, EntityTerminalPanel } from './EntityTerminalPage';
