import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import '@xterm/xterm/css/xterm.css';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Paper from '@material-ui/core/Paper';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import FileCopyIcon from '@material-ui/icons/FileCopy';
import AssignmentIcon from '@material-ui/icons/Assignment';
import SearchIcon from '@material-ui/icons/Search';
import Typography from '@material-ui/core/Typography';
import { useAvailableHeight } from '../../hooks/useAvailableHeight';
import { useTerminalSession } from '../../hooks/useTerminalSession';
import { loadTabSession } from '../../hooks/tabSession';
import { sameTarget } from '../TerminalTargetPicker/sameTarget';
import { useXterm } from '../../hooks/useXterm';
import type { TerminalSessionTarget } from '../../types';
import { ConnectionAlert } from './ConnectionAlert';
import { SessionPodExpiryAlert } from './SessionPodExpiryAlert';
import { TerminalSearchBar } from './TerminalSearchBar';
import { TerminalStatus } from './TerminalStatus';
import { terminalThemeFromMui } from './terminalTheme';

const useStyles = makeStyles(theme => ({
  // A column filling the page's height: search, alerts and the screen share it, the screen the rest.
  root: {
    display: 'flex',
    flexDirection: 'column',
  },
  toolbar: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  actions: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    flexShrink: 0,
  },
  screen: {
    flex: '1 1 0',
    minHeight: 0,
    display: 'flex',
    flexDirection: 'column',
    padding: theme.spacing(1),
    backgroundColor: theme.palette.background.paper,
  },
  // xterm measures this element to fit, so it carries no padding of its own.
  terminal: {
    flex: '1 1 0',
    minHeight: 0,
    overflow: 'hidden',
  },
  note: {
    whiteSpace: 'nowrap',
  },
}));

/** The least height of the whole terminal (toolbar and screen); below it the page scrolls. */
const MIN_HEIGHT = 320;
/** Room left under the terminal: the page content's own bottom padding. */
const BOTTOM_GAP = 24;
/** How long "Copied" stays beside the copy button. */
const COPY_NOTE_MS = 2500;

/** @public */
export interface KubernetesTerminalProps {
  /** Stringified ref of the entity the target belongs to. */
  entityRef: string;
  /** A container, or (`kind: 'session-pod'`) the namespace of a kubectl session pod. */
  target: TerminalSessionTarget;
  /** Told when the session starts or stops running (connecting, starting or connected). */
  onLiveChange?: (live: boolean) => void;
  /**
   * For a parent that offers Reconnect itself (like the Terminal tab's picker): each change starts a
   * new session on the same terminal, and the toolbar shows no Reconnect button of its own.
   */
  reconnectKey?: number;
  /**
   * Where the portal offers debug containers: offered when the container has no shell, to start one
   * beside it.
   */
  onDebug?: (target: TerminalSessionTarget) => void;
}

/**
 * An interactive shell in one container or in a kubectl session pod, with a status line, search,
 * copy/paste and reconnect; for a session pod also its start-up progress and expiry.
 *
 * @public
 */
export function KubernetesTerminal(props: KubernetesTerminalProps) {
  const { entityRef, target, onLiveChange, reconnectKey, onDebug } = props;
  const classes = useStyles();
  const rootRef = useRef<HTMLDivElement>(null);
  const height = useAvailableHeight(rootRef, {
    min: MIN_HEIGHT,
    gap: BOTTOM_GAP,
  });
  const muiTheme = useTheme();
  const theme = useMemo(() => terminalThemeFromMui(muiTheme), [muiTheme]);
  const { containerRef, xterm } = useXterm(theme);
  // After a reload: the session this tab had on this target is resumed rather than a new one started.
  const [resume] = useState(() => {
    const saved = loadTabSession(entityRef);
    return saved && sameTarget(saved.target, target) ? saved : undefined;
  });
  const { state, idle, expiry, extending, extend, reconnect, disconnect } =
    useTerminalSession({
      terminal: xterm?.terminal,
      entityRef,
      target,
      resume,
    });
  const [searchOpen, setSearchOpen] = useState(false);
  const [copyNote, setCopyNote] = useState<string>();

  useEffect(() => {
    if (!copyNote) {
      return undefined;
    }
    const timer = setTimeout(() => setCopyNote(undefined), COPY_NOTE_MS);
    return () => clearTimeout(timer);
  }, [copyNote]);

  const copySelection = useCallback(() => {
    const text = xterm?.terminal.getSelection();
    if (!text) {
      setCopyNote('Select text to copy first');
      return;
    }
    if (!navigator.clipboard) {
      setCopyNote('The browser gives no clipboard here');
      return;
    }
    navigator.clipboard.writeText(text).then(
      () =>
        setCopyNote(
          text.length === 1
            ? 'Copied 1 character'
            : `Copied ${text.length} characters`,
        ),
      // Clipboard access may be denied; the selection is still there for the browser's own copy.
      () => setCopyNote('Copy was refused by the browser; use its own copy'),
    );
  }, [xterm]);

  const paste = useCallback(() => {
    if (!xterm || !navigator.clipboard) {
      return;
    }
    navigator.clipboard
      .readText()
      .then(text => {
        if (text) {
          xterm.terminal.paste(text);
        }
        xterm.terminal.focus();
      })
      .catch(() => {
        // Clipboard read permission denied; Ctrl+Shift+V still works through the paste event.
      });
  }, [xterm]);

  const closeSearch = useCallback(() => {
    setSearchOpen(false);
    xterm?.terminal.focus();
  }, [xterm]);

  useEffect(() => {
    if (!xterm) {
      return;
    }
    xterm.terminal.attachCustomKeyEventHandler(event => {
      if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) {
        return true;
      }
      switch (event.key.toLowerCase()) {
        case 'c':
          event.preventDefault();
          copySelection();
          return false;
        case 'v':
          // Leave the keystroke to the browser, whose paste event xterm handles itself.
          return false;
        case 'f':
          event.preventDefault();
          setSearchOpen(true);
          return false;
        default:
          return true;
      }
    });
  }, [xterm, copySelection]);

  const active =
    state.status === 'connecting' ||
    state.status === 'provisioning' ||
    state.status === 'connected' ||
    state.status === 'reconnecting';

  useEffect(() => onLiveChange?.(active), [active, onLiveChange]);

  // Leaving the page (closing the tab, going elsewhere) with a shell running asks first; a reload
  // that is confirmed comes back to the same session.
  useEffect(() => {
    if (!active) return undefined;
    const ask = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the dialog only when a value is returned.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [active]);

  // The parent's Reconnect: a new session on this terminal, its scrollback kept.
  const firstReconnectKey = useRef(reconnectKey);
  useEffect(() => {
    if (reconnectKey !== firstReconnectKey.current) {
      reconnect();
    }
  }, [reconnectKey, reconnect]);

  // Once connected, and when the window changes size, the whole terminal is brought into view: on
  // a small window the prompt would otherwise be below the fold.
  const connected = state.status === 'connected';
  useEffect(() => {
    if (connected) {
      rootRef.current?.scrollIntoView?.({ block: 'nearest' });
    }
  }, [connected, height]);

  return (
    <Paper
      variant="outlined"
      ref={rootRef}
      className={classes.root}
      style={{ height }}
      data-testid="terminal-panel"
    >
      <Box className={classes.toolbar}>
        <TerminalStatus
          target={target}
          state={state}
          idle={idle}
          expiry={expiry}
        />
        <Box className={classes.actions}>
          <IconButton
            title="Search (Ctrl+Shift+F)"
            size="small"
            aria-label="Search"
            onClick={() => setSearchOpen(open => !open)}
            disabled={!xterm}
          >
            <SearchIcon fontSize="small" />
          </IconButton>
          <IconButton
            title="Copy selection (Ctrl+Shift+C)"
            size="small"
            aria-label="Copy selection"
            onClick={copySelection}
            disabled={!xterm}
          >
            <FileCopyIcon fontSize="small" />
          </IconButton>
          <IconButton
            title="Paste (Ctrl+Shift+V)"
            size="small"
            aria-label="Paste"
            onClick={paste}
            disabled={!xterm || state.status !== 'connected'}
          >
            <AssignmentIcon fontSize="small" />
          </IconButton>
          {copyNote && (
            <Typography
              variant="caption"
              color="textSecondary"
              role="status"
              className={classes.note}
              data-testid="terminal-copy-note"
            >
              {copyNote}
            </Typography>
          )}
          {active && (
            <Button
              size="small"
              variant="outlined"
              onClick={disconnect}
              title="End this session now"
            >
              Disconnect
            </Button>
          )}
          {!active && reconnectKey === undefined && (
            <Button
              size="small"
              variant="outlined"
              color="primary"
              onClick={reconnect}
            >
              Reconnect
            </Button>
          )}
        </Box>
      </Box>
      {searchOpen && xterm && (
        <TerminalSearchBar
          searchAddon={xterm.searchAddon}
          onClose={closeSearch}
        />
      )}
      {active && expiry?.warning && (
        <SessionPodExpiryAlert
          expiry={expiry}
          extending={extending}
          onExtend={extend}
        />
      )}
      <ConnectionAlert
        state={state}
        target={target}
        onReconnect={reconnect}
        onDebug={
          onDebug && target.kind !== 'session-pod' && target.kind !== 'debug'
            ? () => onDebug({ ...target, kind: 'debug' })
            : undefined
        }
      />
      <Box className={classes.screen}>
        <div
          ref={containerRef}
          className={classes.terminal}
          data-testid="terminal"
        />
      </Box>
    </Paper>
  );
}
