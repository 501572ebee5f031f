/** A command a recorder found, as the audit log keeps it. @internal */
export interface RecordedCommand {
  command: string;
  at: Date;
  /**
   * Set where no shell of the session marks when it reads a line (dash, bash without bracketed paste):
   * the line was inferred from its echo after a prompt, and may have been a program's input.
   */
  uncertain?: true;
}

/**
 * Finds the commands of one session in its stream: `CommandRecorder` for a terminal (from what the
 * screen shows), `InputLineRecorder` for a session without one (from the lines sent).
 *
 * @internal
 */
export interface CommandCapture {
  input(data: Uint8Array): void;
  output(data: Uint8Array): void;
  resize(cols: number, rows: number): void;
  onCommand(listener: (command: RecordedCommand) => void): { dispose(): void };
  /** Resolves once the output given so far has been parsed. */
  flush(): Promise<void>;
  dispose(): void;
}
