import type { Theme } from '@material-ui/core/styles';
import type { ITheme } from '@xterm/xterm';

// xterm's default ANSI colours are made for a dark background; yellow and white vanish on white.
const lightAnsiColors: ITheme = {
  black: '#000000',
  red: '#cd3131',
  green: '#107c10',
  yellow: '#949800',
  blue: '#0451a5',
  magenta: '#bc05bc',
  cyan: '#0598bc',
  white: '#555555',
  brightBlack: '#666666',
  brightRed: '#cd3131',
  brightGreen: '#14ce14',
  brightYellow: '#b5ba00',
  brightBlue: '#0451a5',
  brightMagenta: '#bc05bc',
  brightCyan: '#0598bc',
  brightWhite: '#a5a5a5',
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
    ...(dark ? {} : lightAnsiColors),
  };
}
