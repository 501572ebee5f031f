import { format } from 'node:util';

/**
 * Warnings only the libraries underneath can fix, each with its source; every other React warning
 * (wrong nesting, missing keys, an input switching from uncontrolled to controlled, updates outside
 * act) is a bug of ours.
 */
const LIBRARY_WARNINGS = [
  // Material UI v4's ButtonBase and transitions under React.StrictMode.
  /findDOMNode is deprecated/,
  // Function components of Backstage's and Material UI's packages.
  /Support for defaultProps will be removed/,
  // JSS, under jsdom's partial CSSOM.
  /\[JSS\]/,
];

let warnings: string[] = [];

/** The React warnings logged since the last call (or the test's start), now forgotten. */
export function takeReactWarnings(): string[] {
  const taken = warnings;
  warnings = [];
  return taken;
}

/** Makes every test fail that leaves a React warning of ours behind. Called once, by setupTests. */
export function failOnReactWarnings() {
  /* eslint-disable no-console */
  const consoleError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const [first] = args;
    if (
      typeof first === 'string' &&
      first.startsWith('Warning:') &&
      !LIBRARY_WARNINGS.some(pattern => pattern.test(first))
    ) {
      warnings.push(format(...args).split('\n')[0]);
    }
    consoleError(...args);
  };
  /* eslint-enable no-console */
  beforeEach(() => {
    warnings = [];
  });
  afterEach(() => {
    const left = takeReactWarnings();
    if (left.length > 0) {
      throw new Error(`React warned during the test:\n${left.join('\n')}`);
    }
  });
}
