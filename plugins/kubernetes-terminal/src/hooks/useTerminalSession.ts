import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi, useApiHolder } from '@backstage/core-plugin-api';
import {
  type EntityPresentationApi,
  defaultEntityPresentation,
  entityPresentationApiRef,
} from '@backstage/plugin-catalog-react';
import { ResponseError, toError } from '@backstage/errors';
import type { Terminal } from '@xterm/xterm';
import { SerializeAddon } from '@xterm/addon-serialize';
import {
  type CreateTerminalSessionRequest,
  type CreateTerminalSessionResponse,
  type TerminalServerMessage,
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
import {
  type SavedTabSession,
  clearTabSession,
  saveTabSession,
} from './tabSession';

// WebSocket.readyState values.
const CONNECTING = 0;
const OPEN = 1;

/**
 * Close codes of a socket lost rather than closed: no close frame (the network, a proxy, sleep), or
 * the server going down abnormally. The session is resumed; any other code ends it.
 */
const LOST_CODES = new Set([1006, 1011, 1012, 1013, 1014]);
/** Keystrokes kept while reconnecting, sent once the session is back; more are refused, visibly. */
const MAX_HELD_INPUT_BYTES = 4096;
/**
 * Resuming goes on this long past the backend's grace period, so that a browser back after it hears
 * the backend's own reason for the end rather than a guess.
 */
const GRACE_SLACK_MS = 15_000;
/** Scrollback kept with the screen across a reload. */
const SAVED_SCROLLBACK_ROWS = 1000;

/** Resume attempts: 250 ms, doubling, at most 5 s apart, with up to 20 % jitter. */
function retryDelayMs(attempt: number): number {
  const base = Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
  return base + Math.random() * base * 0.2;
}

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
  /** The session this tab had before a reload: resumed instead of starting a new one. */
  resume?: SavedTabSession;
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
  // Used once, by the first session on this terminal: later ones (Reconnect) are new sessions.
  const resumeRef = useRef(options.resume);
  // Saved with the session for a reload; read when saving, so a new object each render is no change.
  const targetRef = useRef(target);
  targetRef.current = target;
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
    // The session, once the backend said hello; resumable when its grace period is above 0.
    let sessionId: string | undefined;
    let graceSeconds = 0;
    // Output bytes the terminal holds: where a resumed socket's output goes on from.
    let offset = 0;
    // Reconnecting after a lost socket: until when the backend keeps the session, and the attempt.
    let reconnectDeadline: number | undefined;
    let reconnectAttempt = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let held: Uint8Array[] = [];
    let heldBytes = 0;
    let refusedInput = false;
    const encoder = new TextEncoder();
    const resume = attempt === 0 ? resumeRef.current : undefined;
    resumeRef.current = undefined;
    const serializer = new SerializeAddon();
    terminal.loadAddon(serializer);
    // Typing is what the backend counts as activity, so it ends an idle warning.
    const inputListener = terminal.onData(data => {
      setIdle(undefined);
      if (reconnectDeadline === undefined) return;
      // No socket: the keys wait for the session to come back, within bounds, never silently lost.
      const bytes = encoder.encode(data);
      if (heldBytes + bytes.byteLength > MAX_HELD_INPUT_BYTES) {
        if (!refusedInput) {
          refusedInput = true;
          terminal.write(
            `\r\n${yellow(
              '[not sent: too much typed while reconnecting; type it again once connected]',
            )}\r\n`,
          );
        }
        return;
      }
      held.push(bytes);
      heldBytes += bytes.byteLength;
      setState(s => (s.status === 'reconnecting' ? { ...s, heldBytes } : s));
    });

    setState(initialState(kind));
    setIdle(undefined);
    setExpiry(undefined);
    setExtending(false);
    if (attempt > 0) {
      terminal.write(`\r\n${dim('[reconnecting…]')}\r\n`);
    }

    const remember = (withScreen: boolean) => {
      if (!sessionId || graceSeconds <= 0) return;
      saveTabSession({
        entityRef,
        target: targetRef.current,
        sessionId,
        graceSeconds,
        savedAt: Date.now(),
        ...(withScreen
          ? {
              offset: addon?.processed ?? offset,
              screen: serializer.serialize({
                scrollback: SAVED_SCROLLBACK_ROWS,
              }),
            }
          : { offset: 0 }),
      });
    };
    const forget = () => {
      if (sessionId) clearTabSession(entityRef, sessionId);
    };
    // A reload or a closed tab: the backend keeps the session for its grace period; this tab, when
    // it comes back, finds its screen and the session here.
    const onPageHide = () => {
      if (
        !stopped &&
        !exited &&
        !terminated &&
        (connected || reconnectDeadline)
      )
        remember(true);
    };
    window.addEventListener('pagehide', onPageHide);

    /** Gives up on resuming: the session ended while away, or could not be reached in time. */
    const lost = (text: string) => {
      reconnectDeadline = undefined;
      clearTimeout(retryTimer);
      forget();
      terminal.write(`\r\n${red(`[disconnected: ${text}]`)}\r\n`);
      // Told as a lost connection (1006): the alert's advice is to check the network and reconnect.
      setState({ status: 'closed', code: 1006, reason: text });
    };

    const onMessage = (message: TerminalServerMessage) => {
      switch (message.type) {
        case 'hello':
          sessionId = message.sessionId;
          graceSeconds = message.resumeGraceSeconds ?? 0;
          remember(false);
          break;
        case 'resumed':
          if (message.missed > 0) {
            terminal.write(
              `\r\n${dim(
                `[${message.missed} bytes of output from before the reload were not kept]`,
              )}\r\n`,
            );
          }
          break;
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
          if (reconnectDeadline !== undefined) {
            reconnectDeadline = undefined;
            reconnectAttempt = 0;
            refusedInput = false;
          }
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
          forget();
          terminal.write(`\r\n[process exited with code ${message.code}]\r\n`);
          setState({
            status: 'exited',
            code: message.code,
            message: message.message,
          });
          break;
        case 'terminated': {
          terminated = true;
          forget();
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
    };

    const onClose = (
      code: number,
      reason: string,
      from: TerminalSessionAddon,
    ) => {
      if (cancelled) {
        return;
      }
      offset = from.received;
      const wasConnected = connected;
      connected = false;
      setIdle(undefined);
      setExtending(false);
      if (exited || terminated || stopped) {
        setExpiry(undefined);
        return;
      }
      const resuming = reconnectDeadline !== undefined;
      if (
        sessionId &&
        graceSeconds > 0 &&
        (wasConnected || resuming) &&
        LOST_CODES.has(code)
      ) {
        if (!resuming) {
          // Said in the status line only: a line written into the terminal would shift what the
          // shell draws (a full-screen program, a prompt) and the screen would not come back exact.
          reconnectDeadline = Date.now() + graceSeconds * 1000 + GRACE_SLACK_MS;
        }
        scheduleResume();
        return;
      }
      setExpiry(undefined);
      forget();
      reconnectDeadline = undefined;
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
        whileStarting: !wasConnected && !resuming,
      });
    };

    const attach = async (ticket: CreateTerminalSessionResponse) => {
      socket = await api.openStream(ticket);
      if (cancelled || stopped) {
        socket.close(1000, 'closed by the user');
        return;
      }
      const next = new TerminalSessionAddon(socket, {
        offset,
        heldInput: held,
      });
      held = [];
      heldBytes = 0;
      addon = next;
      addonRef.current = next;
      next.onMessage(onMessage);
      next.onClose(({ code, reason }) => onClose(code, reason, next));
      terminal.loadAddon(next);
    };

    /** One attempt to take the session over on a new socket; the next is scheduled if it fails. */
    async function resumeNow() {
      clearTimeout(retryTimer);
      retryTimer = undefined;
      if (cancelled || stopped || !sessionId || reconnectDeadline === undefined)
        return;
      reconnectAttempt += 1;
      setState({
        status: 'reconnecting',
        attempt: reconnectAttempt,
        until: reconnectDeadline - GRACE_SLACK_MS,
        heldBytes,
      });
      try {
        const ticket = await api.resumeSession(sessionId, { offset });
        if (cancelled || stopped) return;
        await attach(ticket);
      } catch (e) {
        if (cancelled || stopped) return;
        const error = toError(e);
        // The backend answered: the session is gone, or not this person's. Nothing to retry.
        if (
          error instanceof ResponseError &&
          [400, 401, 403, 404, 409].includes(error.statusCode)
        ) {
          const ended =
            /^terminal session \S+ has ended \([a-z]+\): (.*)$/.exec(
              error.cause.message,
            );
          lost(
            ended
              ? `the session ended while the connection was lost: ${ended[1]}`
              : describeError(error, kind),
          );
          return;
        }
        scheduleResume();
      }
    }

    function scheduleResume() {
      if (reconnectDeadline === undefined) return;
      if (Date.now() > reconnectDeadline) {
        lost(
          `the connection could not be restored within ${graceSeconds} s; the session has ended`,
        );
        return;
      }
      clearTimeout(retryTimer);
      setState({
        status: 'reconnecting',
        attempt: reconnectAttempt,
        until: reconnectDeadline - GRACE_SLACK_MS,
        heldBytes,
      });
      retryTimer = setTimeout(
        () => void resumeNow(),
        reconnectAttempt === 0 ? 0 : retryDelayMs(reconnectAttempt - 1),
      );
    }
    // Back online: try at once rather than at the next step of the backoff.
    const onOnline = () => {
      if (reconnectDeadline !== undefined && retryTimer !== undefined)
        void resumeNow();
    };
    window.addEventListener('online', onOnline);

    const start = async () => {
      if (resume) {
        // This tab's session before the reload: its screen back, then the output it lacks.
        if (resume.screen) terminal.write(resume.screen);
        sessionId = resume.sessionId;
        graceSeconds = resume.graceSeconds;
        offset = resume.screen ? resume.offset : 0;
        reconnectDeadline =
          resume.savedAt + resume.graceSeconds * 1000 + GRACE_SLACK_MS;
        await resumeNow();
        return;
      }
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
      await attach(session);
    };

    disconnectRef.current = () => {
      if (stopped) {
        return;
      }
      stopped = true;
      reconnectDeadline = undefined;
      clearTimeout(retryTimer);
      forget();
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
      clearTimeout(retryTimer);
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('online', onOnline);
      disconnectRef.current = () => {};
      inputListener.dispose();
      serializer.dispose();
      addon?.dispose();
      addonRef.current = undefined;
      if (
        socket &&
        (socket.readyState === CONNECTING || socket.readyState === OPEN)
      ) {
        // Leaving on purpose (another target, another page of the portal): the session ends.
        forget();
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
