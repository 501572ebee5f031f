import { useCallback, useEffect, useMemo, useState } from 'react';
import '@xterm/xterm/css/xterm.css';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Paper from '@material-ui/core/Paper';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import FileCopyIcon from '@material-ui/icons/FileCopy';
import AssignmentIcon from '@material-ui/icons/Assignment';
import SearchIcon from '@material-ui/icons/Search';
import { useTerminalSession } from '../../hooks/useTerminalSession';
import { useXterm } from '../../hooks/useXterm';
import type { TerminalSessionTarget } from '../../types';
import { ConnectionAlert } from './ConnectionAlert';
import { SessionPodExpiryAlert } from './SessionPodExpiryAlert';
import { TerminalSearchBar } from './TerminalSearchBar';
import { TerminalStatus } from './TerminalStatus';
import { terminalThemeFromMui } from './terminalTheme';

const useStyles = makeStyles(theme => ({
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
    padding: theme.spacing(1),
    backgroundColor: theme.palette.background.paper,
  },
  // xterm measures this element to fit, so it carries no padding of its own.
  terminal: {
    // The rest of the window below the entity header, picker and status line.
    height: 'calc(100vh - 420px)',
    minHeight: 240,
    overflow: 'hidden',
  },
}));

/** @public */
export interface KubernetesTerminalProps {
  /** Stringified ref of the entity the target belongs to. */
  entityRef: string;
  /** A container, or (`kind: 'session-pod'`) the namespace of a kubectl session pod. */
  target: TerminalSessionTarget;
}

/**
 * An interactive shell in one container or in a kubectl session pod, with a status line, search,
 * copy/paste and reconnect; for a session pod also its start-up progress and expiry.
 *
 * @public
 */
export function KubernetesTerminal(props: KubernetesTerminalProps) {
  const { entityRef, target } = props;
  const classes = useStyles();
  const muiTheme = useTheme();
  const theme = useMemo(() => terminalThemeFromMui(muiTheme), [muiTheme]);
  const { containerRef, xterm } = useXterm(theme);
  const { state, idle, expiry, extending, extend, reconnect } =
    useTerminalSession({
      terminal: xterm?.terminal,
      entityRef,
      target,
    });
  const [searchOpen, setSearchOpen] = useState(false);

  const copySelection = useCallback(() => {
    const text = xterm?.terminal.getSelection();
    if (text && navigator.clipboard) {
      navigator.clipboard.writeText(text).catch(() => {
        // Clipboard access may be denied; the selection is still there for the browser's own copy.
      });
    }
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
    state.status === 'connected';

  return (
    <Paper variant="outlined">
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
          {!active && (
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
      <ConnectionAlert state={state} target={target} onReconnect={reconnect} />
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
