import type { CommandCapture, RecordedCommand } from './CommandCapture';
import { CommandListeners } from './CommandListeners';

/**
 * Records commands of a session without a terminal: the shell reads its input line by line, with no
 * editing and no echo, so each line sent is a command as the shell received it. Input meant for a
 * program the shell started is recorded too; nothing is left out.
 *
 * @internal
 */
export class InputLineRecorder implements CommandCapture {
  private readonly listeners: CommandListeners;
  private readonly decoder = new TextDecoder();
  private readonly maxLength: number;
  private pending = '';
  private disposed = false;

  constructor(options: { maxCommandLength?: number; now?: () => Date } = {}) {
    this.maxLength = options.maxCommandLength ?? 4096;
    this.listeners = new CommandListeners(
      this.maxLength,
      options.now ?? (() => new Date()),
    );
  }

  input(data: Uint8Array): void {
    if (this.disposed) return;
    const lines = (
      this.pending + this.decoder.decode(data, { stream: true })
    ).split('\n');
    this.pending = lines.pop()!;
    // A line that never ends must not grow without bound: what is past the cap is not kept.
    if (this.pending.length > this.maxLength + 1)
      this.pending = this.pending.slice(0, this.maxLength + 1);
    for (const line of lines) this.emit(line);
  }

  output(): void {}

  resize(): void {}

  onCommand(listener: (command: RecordedCommand) => void) {
    return this.listeners.add(listener);
  }

  async flush(): Promise<void> {}

  dispose(): void {
    if (this.disposed) return;
    // A last line without its line feed may still have run (the shell reads it at end of input).
    this.emit(this.pending);
    this.disposed = true;
    this.listeners.clear();
  }

  private emit(line: string) {
    this.listeners.emit(line.replace(/\r$/, '').trim());
  }
}
