import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi, useApiHolder } from '@backstage/core-plugin-api';
import {
  type EntityPresentationApi,
  defaultEntityPresentation,
  entityPresentationApiRef,
} from '@backstage/plugin-catalog-react';
import { toError } from '@backstage/errors';
import type { Terminal } from '@xterm/xterm';
import {
  type CreateTerminalSessionRequest,
  type TerminalSessionKind,
  formatProgressLine,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../api';
import { TerminalSessionAddon } from '../addons/TerminalSessionAddon';
import {
  describeCloseCode,
  describeError,
  describeTermination,
  type TerminalConnectionState,
  type TerminalExpiry,
  type TerminalIdleWarning,
} from './connectionState';
import type { TerminalSessionTarget } from '../types';
import { useClusterCredentials } from './useClusterCredentials';

// WebSocket.readyState values.
const CONNECTING = 0;
const OPEN = 1;

const dim = (text: string) => `\x1b[2m${text}\x1b[0m`;
const red = (text: string) => `\x1b[31m${text}\x1b[0m`;
const yellow = (text: string) => `\x1b[33m${text}\x1b[0m`;

/**
 * Runs a terminal session on the given xterm.js terminal: creates the session, opens its socket,
 * attaches the terminal, and tracks the connection state, the backend's idle warnings and, for a
 * session pod, its provisioning progress and expiry. `extend` asks for more time for a session pod;
 * `reconnect` starts a new session on the same terminal.
 *
 * @internal
 */
export function useTerminalSession(options: {
  terminal: Terminal | undefined;
  entityRef: string;
  target: TerminalSessionTarget;
}): {
  state: TerminalConnectionState;
  idle: TerminalIdleWarning | undefined;
  expiry: TerminalExpiry | undefined;
  /** An `extend` was sent and its answer has not arrived yet. */
  extending: boolean;
  extend: () => void;
  reconnect: () => void;
  /** Ends the session at once, as the person's own choice. */
  disconnect: () => void;
} {
  const { terminal, entityRef, target } = options;
  const { cluster, namespace } = target;
  // Primitives, so that a target object created on every render does not start a new session.
  const pod = target.kind === 'session-pod' ? undefined : target.pod;
  const container =
    target.kind === 'session-pod' ? undefined : target.container;
  const kind: TerminalSessionKind = target.kind ?? 'exec';
  const authProvider =
    target.kind === 'session-pod' ? undefined : target.authProvider;
  const api = useApi(kubernetesTerminalApiRef);
  const clusterCredentials = useClusterCredentials();
  const [state, setState] = useState<TerminalConnectionState>(
    initialState(kind),
  );
  const [idle, setIdle] = useState<TerminalIdleWarning>();
  const [expiry, setExpiry] = useState<TerminalExpiry>();
  const [extending, setExtending] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const addonRef = useRef<TerminalSessionAddon>();
  const disconnectRef = useRef<() => void>(() => {});
  // The catalog's names for people, where the app has the API (an instance: stable across renders).
  const presentationApi = useApiHolder().get(entityPresentationApiRef);

  useEffect(() => {
    if (!terminal) {
      return undefined;
    }
    let cancelled = false;
    let socket: WebSocket | undefined;
    let addon: TerminalSessionAddon | undefined;
    let exited = false;
    let terminated = false;
    let connected = false;
    let lastError: string | undefined;
    // The person pressed Disconnect: what follows is their choice, not a failure.
    let stopped = false;
    // Typing is what the backend counts as activity, so it ends an idle warning.
    const inputListener = terminal.onData(() => setIdle(undefined));

    setState(initialState(kind));
    setIdle(undefined);
    setExpiry(undefined);
    setExtending(false);
    if (attempt > 0) {
      terminal.write(`\r\n${dim('[reconnecting…]')}\r\n`);
    }

    const start = async () => {
      const size = { cols: terminal.cols, rows: terminal.rows };
      // Asked for at each start: the auth API refreshes a token that has expired since the last one.
      const credentials = authProvider
        ? await clusterCredentials([authProvider])
        : undefined;
      const problem = authProvider && credentials?.problems[authProvider];
      if (problem) {
        throw new Error(problem);
      }
      const request: CreateTerminalSessionRequest =
        pod === undefined || container === undefined
          ? { kind: 'session-pod', entityRef, cluster, namespace, ...size }
          : {
              ...(kind === 'debug' && { kind: 'debug' as const }),
              entityRef,
              cluster,
              namespace,
              pod,
              container,
              ...size,
              ...(credentials && { auth: credentials.auth }),
            };
      const session = await api.createSession(request);
      if (cancelled || stopped) {
        return;
      }
      socket = await api.openStream(session);
      if (cancelled || stopped) {
        socket.close(1000, 'closed by the user');
        return;
      }
      addon = new TerminalSessionAddon(socket);
      addonRef.current = addon;
      addon.onMessage(message => {
        switch (message.type) {
          case 'progress':
            terminal.write(formatProgressLine(message.step, message.message));
            setState({ status: 'provisioning', message: message.message });
            break;
          case 'expiry': {
            const { type: _type, ...next } = message;
            setExpiry(next);
            setExtending(false);
            break;
          }
          case 'connected':
            connected = true;
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
            // Said with the person's name from the catalog, not their ref.
            void displayName(presentationApi, message.by).then(name => {
              if (!cancelled) {
                const text = describeTermination(name, message.reason);
                terminal.write(`\r\n${yellow(`[${text}]`)}\r\n`);
              }
            });
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
            setExtending(false);
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
        setExpiry(undefined);
        setExtending(false);
        if (exited || terminated || stopped) {
          return;
        }
        // A close frame's reason holds 123 bytes: the error message before it has the whole text.
        const truncated =
          reason.endsWith('…') && lastError?.startsWith(reason.slice(0, -1));
        const text =
          (truncated ? lastError : reason) ||
          lastError ||
          describeCloseCode(code, kind);
        terminal.write(`\r\n${red(`[disconnected: ${text}]`)}\r\n`);
        setState({
          status: 'closed',
          code,
          reason: text,
          whileStarting: !connected,
        });
      });
      terminal.loadAddon(addon);
    };

    disconnectRef.current = () => {
      if (stopped) {
        return;
      }
      stopped = true;
      setIdle(undefined);
      setExpiry(undefined);
      terminal.write(`\r\n${dim('[disconnected]')}\r\n`);
      setState({ status: 'disconnected' });
      if (
        socket &&
        (socket.readyState === CONNECTING || socket.readyState === OPEN)
      ) {
        socket.close(1000, 'closed by the user');
      }
    };

    start().catch(e => {
      if (cancelled || stopped) {
        return;
      }
      const error = toError(e);
      const text = describeError(error, kind);
      terminal.write(`\r\n${red(`[${text}]`)}\r\n`);
      setState({ status: 'failed', error });
    });

    return () => {
      cancelled = true;
      disconnectRef.current = () => {};
      inputListener.dispose();
      addon?.dispose();
      addonRef.current = undefined;
      if (
        socket &&
        (socket.readyState === CONNECTING || socket.readyState === OPEN)
      ) {
        socket.close(1000, 'closed by the user');
      }
    };
  }, [
    api,
    terminal,
    entityRef,
    kind,
    cluster,
    namespace,
    pod,
    container,
    authProvider,
    clusterCredentials,
    attempt,
    presentationApi,
  ]);

  const extend = useCallback(() => {
    if (addonRef.current?.extend()) {
      setExtending(true);
    }
  }, []);
  const reconnect = useCallback(() => setAttempt(a => a + 1), []);
  const disconnect = useCallback(() => disconnectRef.current(), []);
  return { state, idle, expiry, extending, extend, reconnect, disconnect };
}

/** The catalog's name for a person, or their ref when the catalog does not answer within 2 s. */
async function displayName(
  presentation: EntityPresentationApi | undefined,
  entityRef: string,
): Promise<string> {
  const fallback = defaultEntityPresentation(entityRef, {
    defaultKind: 'user',
  }).primaryTitle;
  if (!presentation) {
    return fallback;
  }
  const timeout = new Promise<string>(resolve =>
    setTimeout(() => resolve(fallback), 2000),
  );
  return Promise.race([
    presentation
      .forEntity(entityRef, { defaultKind: 'user' })
      .promise.then(p => p.primaryTitle)
      .catch(() => fallback),
    timeout,
  ]);
}

function initialState(kind: TerminalSessionKind): TerminalConnectionState {
  return kind === 'session-pod' || kind === 'debug'
    ? { status: 'provisioning' }
    : { status: 'connecting' };
}
