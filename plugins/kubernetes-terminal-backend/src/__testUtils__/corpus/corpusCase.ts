/*
 * The ground-truth corpus's vocabulary: a case is one terminal session, scripted as a person types it,
 * with the exact list of commands the audit log must hold afterwards.
 *
 * What counts as a command: every line a shell's own line editor reads and runs, as the terminal shows
 * it when Enter is pressed — including continuation and here-document lines (the shell reads those at
 * its `PS2` prompt) and a bracketed paste taken as one line. Never a line read by anything else: a
 * program (`cat`, `read`, a REPL, a password prompt), a full-screen program's keys, a line cancelled
 * with Ctrl-C.
 */

export const ESC = '\x1b';
export const KEY = {
  enter: '\r',
  backspace: '\x7f',
  tab: '\t',
  ctrlA: '\x01',
  ctrlC: '\x03',
  ctrlD: '\x04',
  ctrlE: '\x05',
  ctrlK: '\x0b',
  ctrlL: '\x0c',
  ctrlR: '\x12',
  ctrlU: '\x15',
  ctrlW: '\x17',
  ctrlZ: '\x1a',
  up: `${ESC}[A`,
  down: `${ESC}[B`,
  right: `${ESC}[C`,
  left: `${ESC}[D`,
  home: `${ESC}[H`,
  end: `${ESC}[F`,
  delete: `${ESC}[3~`,
  pasteStart: `${ESC}[200~`,
  pasteEnd: `${ESC}[201~`,
} as const;

/** The shell a case starts in; its figures are counted under it. */
export type CorpusShell = 'bash' | 'sh';

export type CorpusStep =
  /** Keys typed one at a time (an escape sequence is one key), with a person's gaps between them. */
  | { kind: 'type'; keys: string[]; until: Until; fast?: boolean }
  /** Sent in one message, as a browser sends a paste. */
  | { kind: 'paste'; text: string; until: Until }
  | { kind: 'resize'; cols: number; rows: number }
  | { kind: 'pause'; ms: number };

/**
 * What a step waits for in the output it caused: `prompt` a shell prompt at the end (an interactive
 * person waits for it), `quiet` no output for a moment, a pattern, or nothing (typing ahead).
 */
export type Until = 'prompt' | 'quiet' | 'none' | RegExp;

export interface CorpusCase {
  name: string;
  shell: CorpusShell;
  /** Set where the case runs a shell inside the first one: its figures are counted under this too. */
  nested?: string;
  size: { cols: number; rows: number };
  steps: CorpusStep[];
  /** The commands the audit log must hold, in order. */
  commands: string[];
  /** Text typed into programs: no recorded command may contain it. */
  secrets: string[];
  /** The session ends with the shell (`exit`, Ctrl-D); otherwise the client closes it. */
  endsItself?: boolean;
}

/** Splits text into keys as a keyboard sends them: escape sequences whole, characters one by one. */
export function keysOf(text: string): string[] {
  const keys: string[] = [];
  // eslint-disable-next-line no-control-regex
  const pattern = /\x1b(?:\[[0-9;?]*[@-~]|O.|.)?|[\s\S]/gu;
  for (const match of text.matchAll(pattern)) keys.push(match[0]);
  return keys;
}

/** Builds a case step by step; `run` types a line and says it is a command. */
export class CaseBuilder {
  readonly steps: CorpusStep[] = [];
  readonly commands: string[] = [];
  readonly secrets: string[] = [];
  endsItself = false;

  /** Types `line` and Enter; the line is a command; waits for the next prompt. */
  run(line: string, until: Until = 'prompt'): this {
    this.type(`${line}\r`, until);
    this.commands.push(line);
    return this;
  }

  /** Types keys; says nothing of what is recorded (add it with `expect`). */
  type(text: string, until?: Until): this {
    this.steps.push({
      kind: 'type',
      keys: keysOf(text),
      until: until ?? (text.endsWith('\r') ? 'prompt' : 'quiet'),
    });
    return this;
  }

  /** Types keys with no gaps and without waiting: type-ahead. */
  typeAhead(text: string): this {
    this.steps.push({
      kind: 'type',
      keys: keysOf(text),
      until: 'none',
      fast: true,
    });
    return this;
  }

  paste(text: string, until: Until = 'quiet'): this {
    this.steps.push({ kind: 'paste', text, until });
    return this;
  }

  resize(cols: number, rows: number): this {
    this.steps.push({ kind: 'resize', cols, rows });
    return this;
  }

  pause(ms: number): this {
    this.steps.push({ kind: 'pause', ms });
    return this;
  }

  expect(...commands: string[]): this {
    this.commands.push(...commands);
    return this;
  }

  /** Text that is typed into a program and must never be in the audit log. */
  secret(text: string): this {
    this.secrets.push(text);
    return this;
  }

  /** The last step ends the shell, and with it the session. */
  ends(): this {
    this.endsItself = true;
    return this;
  }
}

export function corpusCase(
  shell: CorpusShell,
  name: string,
  script: (s: CaseBuilder) => void,
  options: { size?: { cols: number; rows: number }; nested?: string } = {},
): CorpusCase {
  const builder = new CaseBuilder();
  script(builder);
  return {
    name,
    shell,
    nested: options.nested,
    size: options.size ?? { cols: 100, rows: 30 },
    steps: builder.steps,
    commands: builder.commands,
    secrets: builder.secrets,
    endsItself: builder.endsItself,
  };
}
