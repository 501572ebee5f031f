import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from './ObjectStore';
import { parseFieldSelector, parseLabelSelector } from './selectors';

const cm = (name: string, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', labels },
});

describe('ObjectStore', () => {
  it('stamps every write with a global, increasing resourceVersion and hands out copies', () => {
    const store = new ObjectStore({ initialRevision: 10 });
    const a = store.create(RESOURCE_TYPES.configmaps, cm('a'));
    const b = store.create(RESOURCE_TYPES.secrets, {
      ...cm('b'),
      kind: 'Secret',
    });
    const a2 = store.update(RESOURCE_TYPES.configmaps, {
      ...a,
      data: { x: '1' },
    });
    expect([a, b, a2].map(o => o.metadata.resourceVersion)).toEqual([
      '11',
      '12',
      '13',
    ]);
    a2.data.x = 'changed outside';
    expect(store.get(RESOURCE_TYPES.configmaps, 'ns', 'a')!.data.x).toBe('1');
    expect(
      store.delete(RESOURCE_TYPES.configmaps, 'ns', 'a').metadata
        .resourceVersion,
    ).toBe('14');
    expect(store.resourceVersion).toBe(14);
  });

  it('replays history and answers 410 Gone once it has been compacted away', () => {
    const store = new ObjectStore({ historyLimit: 3, initialRevision: 0 });
    for (const n of ['a', 'b', 'c', 'd', 'e'])
      store.create(RESOURCE_TYPES.configmaps, cm(n));
    expect(store.eventsSince(3).map(e => e.object.metadata.name)).toEqual([
      'd',
      'e',
    ]);
    expect(() => store.eventsSince(1)).toThrow('too old resource version');
  });

  it('keeps a failing listener from breaking writes', () => {
    const errors: unknown[] = [];
    const store = new ObjectStore({ onListenerError: e => errors.push(e) });
    store.subscribe(() => {
      throw new Error('boom');
    });
    expect(() =>
      store.create(RESOURCE_TYPES.configmaps, cm('a')),
    ).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});

describe('selectors', () => {
  const obj = (labels: Record<string, string>, extra: object = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', labels },
    ...extra,
  });

  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', {}, true],
    ['app in (web, api)', { app: 'api' }, true],
    ['app notin (web)', { app: 'web' }, false],
    ['app', { app: '' }, true],
    ['!app', { app: 'x' }, false],
    [
      'backstage.io/kubernetes-id=demo-service,app',
      { 'backstage.io/kubernetes-id': 'demo-service', app: 'x' },
      true,
    ],
    ['replicas>2', { replicas: '3' }, true],
    ['', { any: 'thing' }, true],
  ])('label selector %p on %p → %p', (selector, labels, expected) => {
    expect(parseLabelSelector(selector)(obj(labels))).toBe(expected);
  });

  it('rejects malformed label selectors', () => {
    expect(() => parseLabelSelector('a in b')).toThrow(
      /unable to parse requirement/,
    );
    expect(() => parseLabelSelector('bad key=x')).toThrow();
    expect(() => parseLabelSelector('a=b c')).toThrow(/invalid label value/);
  });

  it('matches supported field selectors only', () => {
    const running = obj(
      {},
      { status: { phase: 'Running' }, spec: { nodeName: 'n' } },
    );
    expect(
      parseFieldSelector(
        'status.phase=Running,metadata.name=p',
        RESOURCE_TYPES.pods,
      )(running),
    ).toBe(true);
    expect(
      parseFieldSelector('status.phase!=Running', RESOURCE_TYPES.pods)(running),
    ).toBe(false);
    expect(
      parseFieldSelector('spec.nodeName=', RESOURCE_TYPES.pods)(running),
    ).toBe(false);
    expect(() =>
      parseFieldSelector('status.phase=Running', RESOURCE_TYPES.configmaps),
    ).toThrow('field label not supported: status.phase');
  });
});
