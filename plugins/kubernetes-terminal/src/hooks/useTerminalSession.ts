import { useCallback, useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { toError } from '@backstage/errors';
import type { Terminal } from '@xterm/xterm';
import { kubernetesTerminalApiRef } from '../api';
import { TerminalSessionAddon } from '../addons/TerminalSessionAddon';
import {
  describeCloseCode,
  describeError,
  describeTermination,
  type TerminalConnectionState,
  type TerminalIdleWarning,
} from './connectionState';
import type { TerminalTarget } from '../types';

// WebSocket.readyState values.
const CONNECTING = 0;
const OPEN = 1;

const dim = (text: string) => `\x1b[2m${text}\x1b[0m`;
const red = (text: string) => `\x1b[31m${text}\x1b[0m`;
const yellow = (text: string) => `\x1b[33m${text}\x1b[0m`;

/**
 * Runs a terminal session on the given xterm.js terminal: creates the session, opens its socket,
 * attaches the terminal, and tracks the connection state and the backend's idle warnings.
 * `reconnect` starts a new session on the same terminal.
 *
 * @internal
 */
export function useTerminalSession(options: {
  terminal: Terminal | undefined;
  entityRef: string;
  target: TerminalTarget;
}): {
  state: TerminalConnectionState;
  idle: TerminalIdleWarning | undefined;
  reconnect: () => void;
} {
  const { terminal, entityRef } = options;
  const { cluster, namespace, pod, container } = options.target;
  const api = useApi(kubernetesTerminalApiRef);
  const [state, setState] = useState<TerminalConnectionState>({
    status: 'connecting',
  });
  const [idle, setIdle] = useState<TerminalIdleWarning>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!terminal) {
      return undefined;
    }
    let cancelled = false;
    let socket: WebSocket | undefined;
    let addon: TerminalSessionAddon | undefined;
    let exited = false;
    let terminated = false;
    let lastError: string | undefined;
    // Typing is what the backend counts as activity, so it ends an idle warning.
    const inputListener = terminal.onData(() => setIdle(undefined));

    setState({ status: 'connecting' });
    setIdle(undefined);
    if (attempt > 0) {
      terminal.write(`\r\n${dim('[reconnecting…]')}\r\n`);
    }

    const start = async () => {
      const session = await api.createSession({
        entityRef,
        cluster,
        namespace,
        pod,
        container,
        cols: terminal.cols,
        rows: terminal.rows,
      });
      if (cancelled) {
        return;
      }
      socket = await api.openStream(session);
      if (cancelled) {
        socket.close(1000, 'closed by the user');
        return;
      }
      addon = new TerminalSessionAddon(socket);
      addon.onMessage(message => {
        switch (message.type) {
          case 'connected':
            setState({ status: 'connected', shell: message.shell });
            terminal.focus();
            break;
          case 'shell-fallback':
            terminal.write(
              `${dim(
                `[${message.tried} is not available, trying ${message.next}]`,
              )}\r\n`,
            );
            setState({
              status: 'connecting',
              detail: `trying ${message.next}`,
            });
            break;
          case 'exit':
            exited = true;
            terminal.write(
              `\r\n[process exited with code ${message.code}]\r\n`,
            );
            setState({
              status: 'exited',
              code: message.code,
              message: message.message,
            });
            break;
          case 'terminated': {
            terminated = true;
            setIdle(undefined);
            const text = describeTermination(message.by, message.reason);
            terminal.write(`\r\n${yellow(`[${text}]`)}\r\n`);
            setState({
              status: 'terminated',
              by: message.by,
              reason: message.reason,
            });
            break;
          }
          case 'idle':
            setIdle({
              idleSeconds: message.idleSeconds,
              disconnectAt:
                message.disconnectInSeconds === undefined
                  ? undefined
                  : Date.now() + message.disconnectInSeconds * 1000,
            });
            break;
          case 'error':
            lastError = message.message;
            terminal.write(`\r\n${red(`[error: ${message.message}]`)}\r\n`);
            break;
          default:
            break;
        }
      });
      addon.onClose(({ code, reason }) => {
        if (cancelled) {
          return;
        }
        setIdle(undefined);
        if (exited || terminated) {
          return;
        }
        const text = reason || lastError || describeCloseCode(code);
        terminal.write(`\r\n${red(`[disconnected: ${text}]`)}\r\n`);
        setState({ status: 'closed', code, reason: text });
      });
      terminal.loadAddon(addon);
    };

    start().catch(e => {
      if (cancelled) {
        return;
      }
      const error = toError(e);
      terminal.write(`\r\n${red(`[${describeError(error)}]`)}\r\n`);
      setState({ status: 'failed', error });
    });

    return () => {
      cancelled = true;
      inputListener.dispose();
      addon?.dispose();
      if (
        socket &&
        (socket.readyState === CONNECTING || socket.readyState === OPEN)
      ) {
        socket.close(1000, 'closed by the user');
      }
    };
  }, [api, terminal, entityRef, cluster, namespace, pod, container, attempt]);

  const reconnect = useCallback(() => setAttempt(a => a + 1), []);
  return { state, idle, reconnect };
}
