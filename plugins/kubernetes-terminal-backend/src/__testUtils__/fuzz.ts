/**
 * Seeded, reproducible bad input for the hardening tests. `HARDENING_SEED` picks the seed (printed by
 * each suite), `HARDENING_<NAME>` the sizes (the CI subset by default).
 */

/** mulberry32: small, fast, good enough to pick test cases. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** Random text from a hostile alphabet. */
  text(maxLength: number): string {
    const alphabet = [
      'a',
      'Z',
      '0',
      '-',
      '.',
      '/',
      '\\',
      ' ',
      '\t',
      '\r',
      '\n',
      '\u0000',
      '%',
      '$',
      '`',
      ';',
      '|',
      '&',
      '"',
      "'",
      '<',
      '>',
      '{',
      '}',
      '[',
      ']',
      ':',
      '=',
      '?',
      '#',
      '*',
      'é',
      '🙂',
      '\u202e',
      '\ud800',
    ];
    let out = '';
    const length = this.int(0, maxLength);
    for (let i = 0; i < length; i++) out += this.pick(alphabet);
    return out;
  }
}

export function seedFromEnv(fallback: number): number {
  const value = process.env.HARDENING_SEED;
  return value ? Number(value) >>> 0 : fallback;
}

/** A size of a suite: `HARDENING_<NAME>` (e.g. `HARDENING_REST_CASES`), else `fallback` (the CI subset). */
export function casesFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[`HARDENING_${name}`]);
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** Values that break names, paths, headers, shells and parsers. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f',
  '/absolute',
  'a/b',
  'UPPER',
  'under_score',
  '-leading-dash',
  'trailing-dash-',
  'a'.repeat(64),
  'a'.repeat(254),
  'x'.repeat(5000),
  'pod;id',
  'pod && id',
  '$(id)',
  '`id`',
  'pod|id',
  "pod' OR '1'='1",
  'pod"; DROP TABLE kubernetes_terminal_sessions; --',
  'pod\r\nX-Injected: yes',
  'pod\nname',
  'pod\u0000name',
  '\u0000',
  'café',
  '🙂',
  '\u202egnp.exe',
  '\ud800',
  '%00',
  '%0d%0aX-Injected:%20yes',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'prototype',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
];

export const HOSTILE_VALUES: readonly unknown[] = [
  ...HOSTILE_STRINGS,
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  ['a', 'b'],
  {},
  { $gt: '' },
  { __proto__: { polluted: true } },
  { toString: 'x' },
];
