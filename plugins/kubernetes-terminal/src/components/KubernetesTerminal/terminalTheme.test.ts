import { darkTheme, lightTheme } from '@backstage/theme';
import { terminalThemeFromMui } from './terminalTheme';

/** The channels (0–255) of `#rrggbb` or `rgba(r, g, b, a)`, the latter blended onto `over`. */
function channels(color: string, over?: number[]): number[] {
  if (/^#[0-9a-f]{3}$/i.test(color)) {
    return [1, 2, 3].map(i => parseInt(color[i] + color[i], 16));
  }
  if (color.startsWith('#')) {
    return [1, 3, 5].map(i => parseInt(color.slice(i, i + 2), 16));
  }
  const [r, g, b, a = 1] = color.match(/[\d.]+/g)!.map(Number);
  const base = over ?? [255, 255, 255];
  return [r, g, b].map((c, i) => c * a + base[i] * (1 - a));
}

/** WCAG 2 relative luminance. */
function luminance(rgb: number[]): number {
  const [r, g, b] = rgb
    .map(c => c / 255)
    .map(c => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(color: string, background: string): number {
  const bg = channels(background);
  const [light, dark] = [luminance(channels(color, bg)), luminance(bg)].sort(
    (x, y) => y - x,
  );
  return (light + 0.05) / (dark + 0.05);
}

const ANSI = [
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'brightBlack',
  'brightRed',
  'brightGreen',
  'brightYellow',
  'brightBlue',
  'brightMagenta',
  'brightCyan',
  'brightWhite',
] as const;

describe('terminalThemeFromMui', () => {
  it.each([
    ['light', lightTheme],
    ['dark', darkTheme],
  ])(
    'draws every ANSI colour but black at a WCAG contrast of 4.5:1 or more on the %s paper',
    (_name, theme) => {
      const colors = terminalThemeFromMui(theme);
      const background = colors.background!;
      const ratios = Object.fromEntries(
        ANSI.map(name => [
          name,
          Math.round(contrast(colors[name]!, background) * 100) / 100,
        ]),
      );
      // eslint-disable-next-line no-console
      console.info(
        `terminal ANSI contrast on ${_name} paper: ${JSON.stringify(ratios)}`,
      );
      for (const [name, ratio] of Object.entries(ratios)) {
        expect([name, ratio >= 4.5]).toEqual([name, true]);
      }
      expect(contrast(colors.foreground!, background)).toBeGreaterThanOrEqual(
        4.5,
      );
    },
  );
});
