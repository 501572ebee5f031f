import type { TerminalSessionTarget } from '../types';

/**
 * The session a browser tab had open on an entity's page, kept in the tab's `sessionStorage` (which a
 * reload keeps, and no other tab sees) so that a reload returns to it: its target, its id, and, saved
 * as the page goes away, the terminal's screen and how many output bytes it holds. Nothing in it is a
 * credential: resuming needs the person signed in and a fresh ticket.
 *
 * @internal
 */
export interface SavedTabSession {
  entityRef: string;
  target: TerminalSessionTarget;
  sessionId: string;
  /** Output bytes the saved screen holds; 0 without a screen. */
  offset: number;
  /** The terminal's screen and scrollback, serialized (xterm's serialize addon). */
  screen?: string;
  /** How long the backend keeps the session after its socket was lost. */
  graceSeconds: number;
  /** Epoch milliseconds. */
  savedAt: number;
}

const PREFIX = 'kubernetes-terminal:session:';

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    // Storage may be switched off; the session then only resumes within the page.
    return undefined;
  }
}

/** @internal */
export function saveTabSession(saved: SavedTabSession) {
  const key = PREFIX + saved.entityRef;
  try {
    storage()?.setItem(key, JSON.stringify(saved));
  } catch {
    // Full: keep what resumes without a screen (the backend sends what it holds, and says what not).
    try {
      storage()?.setItem(
        key,
        JSON.stringify({ ...saved, screen: undefined, offset: 0 }),
      );
    } catch {
      // Nothing can be kept.
    }
  }
}

/** The session this tab had on the entity's page, while the backend may still hold it. @internal */
export function loadTabSession(
  entityRef: string,
  now = Date.now(),
): SavedTabSession | undefined {
  const text = storage()?.getItem(PREFIX + entityRef);
  if (!text) {
    return undefined;
  }
  try {
    const saved = JSON.parse(text) as SavedTabSession;
    if (
      typeof saved.sessionId !== 'string' ||
      typeof saved.offset !== 'number' ||
      !saved.target ||
      saved.savedAt + saved.graceSeconds * 1000 < now
    ) {
      clearTabSession(entityRef);
      return undefined;
    }
    return saved;
  } catch {
    clearTabSession(entityRef);
    return undefined;
  }
}

/** Forgets the entity's saved session (it ended); only that session when `sessionId` is given. @internal */
export function clearTabSession(entityRef: string, sessionId?: string) {
  const store = storage();
  if (!store) return;
  if (sessionId) {
    const text = store.getItem(PREFIX + entityRef);
    if (text && !text.includes(`"sessionId":"${sessionId}"`)) return;
  }
  store.removeItem(PREFIX + entityRef);
}
