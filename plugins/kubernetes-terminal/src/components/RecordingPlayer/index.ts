export { RecordingPlayer } from './RecordingPlayer';
export { SessionRecordingPanel } from './SessionRecordingPanel';
