import type { Theme } from '@material-ui/core/styles';
import type { ITheme } from '@xterm/xterm';

// xterm's default ANSI colours are made for black: on Backstage's white paper yellow and bright green
// vanish, and on its dark paper (#424242) blue and red fall to about 2:1. These keep every colour but
// black at a WCAG contrast of 4.5:1 or more against the paper they are drawn on (terminalTheme.test.ts
// measures it); black is the background's own colour in a dark theme, and the foreground's in a light one.
const lightAnsiColors: ITheme = {
  black: '#000000',
  red: '#c72e2e',
  green: '#107c10',
  yellow: '#766a00',
  blue: '#0451a5',
  magenta: '#a804a8',
  cyan: '#00718a',
  white: '#555555',
  brightBlack: '#666666',
  brightRed: '#b02020',
  brightGreen: '#0b6b0b',
  brightYellow: '#665c00',
  brightBlue: '#003f8a',
  brightMagenta: '#8f038f',
  brightCyan: '#005f73',
  brightWhite: '#595959',
};

const darkAnsiColors: ITheme = {
  black: '#000000',
  red: '#ff8f87',
  green: '#7ee787',
  yellow: '#e3b341',
  blue: '#79c0ff',
  magenta: '#d2a8ff',
  cyan: '#56d4dd',
  white: '#e6edf3',
  brightBlack: '#b0b0b0',
  brightRed: '#ffa198',
  brightGreen: '#a6f0a6',
  brightYellow: '#f2cc60',
  brightBlue: '#a5d6ff',
  brightMagenta: '#e2c5ff',
  brightCyan: '#b3f0ff',
  brightWhite: '#ffffff',
};

/**
 * xterm.js colours that follow the Backstage theme, light or dark.
 *
 * @internal
 */
export function terminalThemeFromMui(theme: Theme): ITheme {
  const { palette } = theme;
  const dark = palette.type === 'dark';
  return {
    background: palette.background.paper,
    foreground: palette.text.primary,
    cursor: palette.text.primary,
    cursorAccent: palette.background.paper,
    selectionBackground: dark
      ? 'rgba(144, 202, 249, 0.4)'
      : 'rgba(25, 118, 210, 0.25)',
    ...(dark ? darkAnsiColors : lightAnsiColors),
  };
}
