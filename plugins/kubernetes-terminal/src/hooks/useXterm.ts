import { useEffect, useRef, useState } from 'react';
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { fitTerminal } from '../addons/fitTerminal';

const RESIZE_DEBOUNCE_MS = 50;

/** @internal */
export interface XtermHandle {
  terminal: Terminal;
  searchAddon: SearchAddon;
  fit: () => void;
}

/**
 * Creates an xterm.js terminal in the returned container ref, fitted to the container as it or the
 * window resizes.
 *
 * @internal
 */
export function useXterm(theme: ITheme) {
  const containerRef = useRef<HTMLDivElement>(null);
  const [handle, setHandle] = useState<XtermHandle>();
  const initialTheme = useRef(theme);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) {
      return undefined;
    }
    const terminal = new Terminal({
      cursorBlink: true,
      fontFamily:
        'ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, "Liberation Mono", "Courier New", monospace',
      fontSize: 13,
      scrollback: 5000,
      // The search addon's match highlighting draws decorations, still a proposed API in xterm.js 6.
      allowProposedApi: true,
      theme: initialTheme.current,
    });
    const fitAddon = new FitAddon();
    const searchAddon = new SearchAddon();
    terminal.loadAddon(fitAddon);
    terminal.loadAddon(searchAddon);
    terminal.loadAddon(new WebLinksAddon());
    terminal.open(container);

    const fit = () => fitTerminal(terminal, fitAddon);
    fit();

    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const scheduleFit = () => {
      if (disposed) {
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(fit, RESIZE_DEBOUNCE_MS);
    };
    window.addEventListener('resize', scheduleFit);
    const observer =
      typeof ResizeObserver === 'undefined'
        ? undefined
        : new ResizeObserver(scheduleFit);
    observer?.observe(container);
    // Cells are measured with the font in use; a web font that arrives late changes them.
    document.fonts?.ready.then(scheduleFit).catch(() => {});

    setHandle({ terminal, searchAddon, fit });
    return () => {
      disposed = true;
      clearTimeout(timer);
      window.removeEventListener('resize', scheduleFit);
      observer?.disconnect();
      setHandle(undefined);
      terminal.dispose();
    };
  }, []);

  useEffect(() => {
    if (handle) {
      handle.terminal.options.theme = theme;
    }
  }, [handle, theme]);

  return { containerRef, xterm: handle };
}
