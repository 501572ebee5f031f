import {
  auditEventsQuery,
  filtersFromSearchParams,
  filtersToSearchParams,
  fromDateTimeLocal,
  normalizeRef,
  sessionsQuery,
  toDateTimeLocal,
} from './filters';

describe('filters', () => {
  it('round-trips through the URL, dropping unknown event types', () => {
    const params = new URLSearchParams(
      'user=user:default/alice&entityRef=component:default/web&cluster=prod&namespace=shop' +
        '&type=connect&type=bogus&type=denied&from=2024-05-01T10:00:00.000Z&q=rm&sessions=all',
    );
    const filters = filtersFromSearchParams(params);
    expect(filters).toEqual({
      user: 'user:default/alice',
      entityRef: 'component:default/web',
      cluster: 'prod',
      namespace: 'shop',
      types: ['connect', 'denied'],
      from: '2024-05-01T10:00:00.000Z',
      q: 'rm',
      includeEnded: true,
    });
    expect(filtersFromSearchParams(filtersToSearchParams(filters))).toEqual(
      filters,
    );
    expect(
      filtersToSearchParams({ types: [], includeEnded: false }).toString(),
    ).toBe('');
  });

  it('asks for live sessions unless ended ones are included', () => {
    expect(
      sessionsQuery({
        types: ['connect'],
        q: 'x',
        includeEnded: false,
        cluster: 'c',
      }),
    ).toEqual({
      cluster: 'c',
      status: ['active', 'idle', 'detached'],
      limit: 100,
    });
    expect(
      sessionsQuery({ types: [], includeEnded: true }).status,
    ).toBeUndefined();
  });

  it('builds the audit query with types only when some are chosen', () => {
    expect(
      auditEventsQuery({ types: [], includeEnded: false }).type,
    ).toBeUndefined();
    expect(
      auditEventsQuery({
        types: ['idle'],
        includeEnded: false,
        q: 'ls',
        to: 't',
      }),
    ).toMatchObject({ type: ['idle'], q: 'ls', to: 't' });
  });

  it.each([
    ['alice', 'user', 'user:default/alice'],
    ['user:ops/bob', 'user', 'user:ops/bob'],
    ['web', 'component', 'component:default/web'],
    ['api:default/pets', 'component', 'api:default/pets'],
    ['  ', 'user', undefined],
    [':::', 'user', ':::'],
  ])('normalizes %j as a %s ref', (value, kind, expected) => {
    expect(normalizeRef(value, kind)).toBe(expected);
  });

  it('converts datetime-local values to ISO and back', () => {
    const iso = fromDateTimeLocal('2024-05-01T10:30');
    expect(iso).toBe(new Date('2024-05-01T10:30').toISOString());
    expect(toDateTimeLocal(iso)).toBe('2024-05-01T10:30');
    expect(fromDateTimeLocal('')).toBeUndefined();
    expect(toDateTimeLocal(undefined)).toBe('');
    expect(toDateTimeLocal('garbage')).toBe('');
  });
});
