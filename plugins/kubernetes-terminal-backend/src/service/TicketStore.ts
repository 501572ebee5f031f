import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** @internal */
export interface TicketClaims {
  sessionId: string;
  userEntityRef: string;
  /** A ticket to resume a running session, from this output offset on. */
  resume?: { offset: number };
}

/**
 * Short-lived, single-use tickets that let a browser WebSocket attach to a session created over an
 * authenticated REST call. Only hashes are kept, so a memory dump or log line never holds a usable
 * ticket.
 *
 * @internal
 */
export class TicketStore {
  private readonly tickets = new Map<
    string,
    TicketClaims & { expiresAt: number }
  >();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(claims: TicketClaims): { ticket: string; expiresAt: Date } {
    this.sweep();
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.tickets.set(hash(ticket), { ...claims, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /**
   * Redeems a ticket for the session it was issued for; a ticket is valid once, and only for that
   * session.
   */
  redeem(
    ticket: string,
    sessionId: string,
  ): { ok: true; claims: TicketClaims } | { ok: false; reason: string } {
    this.sweep();
    if (!/^[A-Za-z0-9_-]{43}$/.test(ticket)) {
      return { ok: false, reason: 'malformed ticket' };
    }
    const key = hash(ticket);
    const entry = this.tickets.get(key);
    if (!entry) {
      return { ok: false, reason: 'unknown, expired or already used ticket' };
    }
    this.tickets.delete(key);
    if (
      entry.sessionId.length !== sessionId.length ||
      !timingSafeEqual(Buffer.from(entry.sessionId), Buffer.from(sessionId))
    ) {
      return { ok: false, reason: 'ticket was issued for another session' };
    }
    return {
      ok: true,
      claims: {
        sessionId: entry.sessionId,
        userEntityRef: entry.userEntityRef,
        ...(entry.resume && { resume: entry.resume }),
      },
    };
  }

  get size(): number {
    return this.tickets.size;
  }

  private sweep() {
    const now = this.now();
    for (const [key, entry] of this.tickets) {
      if (entry.expiresAt <= now) {
        this.tickets.delete(key);
      }
    }
  }
}

function hash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}
