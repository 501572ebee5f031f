export { TerminalTargetPicker } from './TerminalTargetPicker';
export type { TerminalTargetPickerProps } from './TerminalTargetPicker';
