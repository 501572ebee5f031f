import { TicketStore } from './TicketStore';

describe('TicketStore', () => {
  const claims = {
    sessionId: '11111111-2222-3333-4444-555555555555',
    userEntityRef: 'user:default/alice',
  };

  it('redeems a ticket once, for its own session', () => {
    const store = new TicketStore(30_000);
    const { ticket } = store.issue(claims);
    expect(store.redeem(ticket, claims.sessionId)).toEqual({
      ok: true,
      claims,
    });
    expect(store.redeem(ticket, claims.sessionId)).toEqual({
      ok: false,
      reason: 'unknown, expired or already used ticket',
    });
  });

  it('refuses a ticket presented for another session, and burns it', () => {
    const store = new TicketStore(30_000);
    const { ticket } = store.issue(claims);
    expect(
      store.redeem(ticket, '99999999-2222-3333-4444-555555555555'),
    ).toEqual({
      ok: false,
      reason: 'ticket was issued for another session',
    });
    expect(store.redeem(ticket, claims.sessionId).ok).toBe(false);
  });

  it('refuses an expired ticket and forgets it', () => {
    let now = 1_000;
    const store = new TicketStore(30_000, () => now);
    const { ticket, expiresAt } = store.issue(claims);
    expect(expiresAt.getTime()).toBe(31_000);
    now = 31_000;
    expect(store.redeem(ticket, claims.sessionId).ok).toBe(false);
    expect(store.size).toBe(0);
  });

  it('refuses malformed tickets without looking them up', () => {
    const store = new TicketStore(30_000);
    expect(store.redeem('../../etc/passwd', claims.sessionId)).toEqual({
      ok: false,
      reason: 'malformed ticket',
    });
  });

  it('issues distinct 256-bit tickets', () => {
    const store = new TicketStore(30_000);
    const a = store.issue(claims).ticket;
    const b = store.issue(claims).ticket;
    expect(a).not.toEqual(b);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
  });
});
