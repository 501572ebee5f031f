import '@testing-library/jest-dom';
import { failOnReactWarnings } from './__testUtils__/reactWarnings';

// xterm.js asks for matchMedia (device pixel ratio) and a 2D canvas (glyph measurement), which jsdom lacks.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    } as unknown as MediaQueryList);
}
HTMLCanvasElement.prototype.getContext = (() =>
  null) as unknown as HTMLCanvasElement['getContext'];

// In CI every package's suites share the 2 CPUs: a test that renders MUI tables and types into a form took
// over jest's default 5 s there (its suite 36 s), while it takes under 2 s alone.
jest.setTimeout(30_000);

// A React warning from our components fails the test that caused it (src/__testUtils__/reactWarnings.ts).
failOnReactWarnings();
