import { IllegalTransitionError, SessionRegistry } from './SessionRegistry';

const fields = {
  userEntityRef: 'user:default/alice',
  entityRef: 'component:default/demo-service',
  cluster: 'sandbox',
  namespace: 'demo',
  pod: 'demo-service-7d9f8b6c5-abcde',
  container: 'app',
};
const parts = () => ({ relay: {} as any, tracker: {} as any });

describe('SessionRegistry', () => {
  it('follows a session from pending to ended, and forgets it there', () => {
    const registry = new SessionRegistry();
    const session = registry.create(fields);
    expect(session.state).toBe('pending');
    registry.transition(session.id, 'connecting');
    registry.setParts(session, parts());
    expect(registry.live().map(l => l.session.id)).toEqual([session.id]);
    registry.transition(session.id, 'connected');
    registry.transition(session.id, 'detached');
    expect(registry.live()).toHaveLength(1);
    registry.transition(session.id, 'connected');
    // Taken over by another socket while still connected.
    registry.transition(session.id, 'connected');
    registry.transition(session.id, 'ended', { endReason: 'exited' });
    expect(registry.get(session.id)).toBeUndefined();
    expect(registry.partsOf(session.id)).toBeUndefined();
    expect(registry.liveCount).toBe(0);
  });

  it('refuses a move the state machine does not allow', () => {
    const registry = new SessionRegistry();
    const session = registry.create(fields);
    expect(() => registry.transition(session.id, 'detached')).toThrow(
      IllegalTransitionError,
    );
    registry.transition(session.id, 'connecting');
    expect(() => registry.transition(session.id, 'detached')).toThrow(
      `terminal session ${session.id} cannot go from connecting to detached`,
    );
    expect(registry.get(session.id)?.state).toBe('connecting');
  });

  it('drops pending sessions whose ticket was never used', () => {
    const registry = new SessionRegistry();
    const stale = registry.create(fields);
    const used = registry.create(fields);
    registry.transition(used.id, 'connecting');
    registry.sweep(new Date(Date.now() + 1000));
    expect(registry.get(stale.id)).toBeUndefined();
    expect(registry.get(used.id)?.state).toBe('connecting');
  });
});
