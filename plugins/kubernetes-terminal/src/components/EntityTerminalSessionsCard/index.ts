export { EntityTerminalSessionsCard } from './EntityTerminalSessionsCard';
export type { EntityTerminalSessionsCardProps } from './EntityTerminalSessionsCard';
