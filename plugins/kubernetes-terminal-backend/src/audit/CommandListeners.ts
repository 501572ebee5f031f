import type { RecordedCommand } from './CommandCapture';

const TRUNCATION_MARKER = ' …[truncated]';

/**
 * Who is told of the commands a recorder finds: stamps them, cuts long ones, and keeps a failing
 * listener from stopping the recorder or the listeners after it.
 *
 * @internal
 */
export class CommandListeners {
  private readonly listeners = new Set<(command: RecordedCommand) => void>();

  constructor(
    private readonly maxLength: number,
    private readonly now: () => Date,
  ) {}

  add(listener: (command: RecordedCommand) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  clear(): void {
    this.listeners.clear();
  }

  emit(text: string, uncertain = false): void {
    if (!text) return;
    const command =
      text.length > this.maxLength
        ? `${text.slice(0, this.maxLength)}${TRUNCATION_MARKER}`
        : text;
    const recorded: RecordedCommand = uncertain
      ? { command, at: this.now(), uncertain: true }
      : { command, at: this.now() };
    for (const listener of [...this.listeners]) {
      try {
        listener(recorded);
      } catch {
        // Nothing a listener does may stop the recorder.
      }
    }
  }
}
