import { rest } from 'msw';
import { setupServer } from 'msw/node';
import { ResponseError } from '@backstage/errors';
import {
  MockFetchApi,
  mockApis,
  registerMswTestHooks,
} from '@backstage/test-utils';
import type {
  CreateTerminalSessionRequest,
  TerminalSessionExpiry,
  TerminalTargetsResponse,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  KubernetesTerminalClient,
  filenameFromContentDisposition,
  toQueryString,
  toWebSocketUrl,
} from './KubernetesTerminalClient';
import { auditEvent, sessionRecord } from '../__testUtils__/sessions';
import { FakeWebSocket } from '../__testUtils__/FakeWebSocket';

const baseUrl = 'http://example.com/api/kubernetes-terminal';

const targets: TerminalTargetsResponse = {
  entityRef: 'component:default/my service',
  annotated: true,
  canExec: true,
  clusters: [],
};

describe('KubernetesTerminalClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new KubernetesTerminalClient({
    discoveryApi: mockApis.discovery(),
    fetchApi: new MockFetchApi({ injectIdentityAuth: { token: 'user-token' } }),
  });

  it('lists targets with the entity ref encoded in the query', async () => {
    let seen: { url?: URL; auth?: string | null } = {};
    server.use(
      rest.get(`${baseUrl}/targets`, (req, res, ctx) => {
        seen = { url: req.url, auth: req.headers.get('authorization') };
        return res(ctx.json(targets));
      }),
    );
    await expect(
      client.getTargets({ entityRef: 'component:default/my service&x=1' }),
    ).resolves.toEqual(targets);
    expect(seen.url?.search).toBe(
      '?entityRef=component%3Adefault%2Fmy%20service%26x%3D1',
    );
    expect(seen.url?.searchParams.get('entityRef')).toBe(
      'component:default/my service&x=1',
    );
    expect(seen.auth).toBe('Bearer user-token');
  });

  it('creates a session with a JSON body', async () => {
    const request: CreateTerminalSessionRequest = {
      entityRef: 'component:default/web',
      cluster: 'local',
      namespace: 'default',
      pod: 'web-1',
      container: 'app',
      cols: 120,
      rows: 40,
    };
    let body: unknown;
    server.use(
      rest.post(`${baseUrl}/sessions`, async (req, res, ctx) => {
        body = await req.json();
        return res(
          ctx.status(201),
          ctx.json({
            sessionId: 's1',
            ticket: 't1',
            ticketExpiresAt: '2030-01-01T00:00:00Z',
            streamPath: '/sessions/s1/stream',
          }),
        );
      }),
    );
    await expect(client.createSession(request)).resolves.toMatchObject({
      sessionId: 's1',
    });
    expect(body).toEqual(request);
  });

  it('creates a session pod session with the session-pod variant', async () => {
    const request: CreateTerminalSessionRequest = {
      kind: 'session-pod',
      entityRef: 'component:default/web',
      cluster: 'local',
      namespace: 'default',
      cols: 100,
      rows: 30,
    };
    let body: unknown;
    server.use(
      rest.post(`${baseUrl}/sessions`, async (req, res, ctx) => {
        body = await req.json();
        return res(
          ctx.status(201),
          ctx.json({
            sessionId: 's2',
            ticket: 't2',
            ticketExpiresAt: '2030-01-01T00:00:00Z',
            streamPath: '/sessions/s2/stream',
          }),
        );
      }),
    );
    await client.createSession(request);
    expect(body).toEqual(request);
    expect(body).not.toHaveProperty('pod');
  });

  it('extends a session with POST and returns the new expiry', async () => {
    const expiry: TerminalSessionExpiry = {
      expiresAt: '2030-01-01T01:00:00.000Z',
      maxExpiresAt: '2030-01-01T08:00:00.000Z',
      canExtend: true,
      extendBySeconds: 1800,
    };
    let seen: { path?: string; auth?: string | null } = {};
    server.use(
      rest.post(`${baseUrl}/sessions/:id/extend`, (req, res, ctx) => {
        seen = {
          path: req.url.pathname,
          auth: req.headers.get('authorization'),
        };
        return res(ctx.json(expiry));
      }),
    );
    await expect(client.extendSession('a/b c')).resolves.toEqual(expiry);
    expect(seen).toEqual({
      path: '/api/kubernetes-terminal/sessions/a%2Fb%20c/extend',
      auth: 'Bearer user-token',
    });
  });

  it('reports a refused extension as a ResponseError', async () => {
    server.use(
      rest.post(`${baseUrl}/sessions/:id/extend`, (_req, res, ctx) =>
        res(
          ctx.status(409),
          ctx.json({
            error: { name: 'ConflictError', message: 'not a session pod' },
            response: { statusCode: 409 },
          }),
        ),
      ),
    );
    const error = await client.extendSession('s1').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.cause.message).toBe('not a session pod');
  });

  it.each([
    [403, 'NotAllowedError'],
    [404, 'NotFoundError'],
    [400, 'InputError'],
    [503, 'ServiceUnavailableError'],
  ])(
    'maps a %s answer to a ResponseError caused by %s',
    async (status, name) => {
      server.use(
        rest.post(`${baseUrl}/sessions`, (_req, res, ctx) =>
          res(
            ctx.status(status),
            ctx.json({
              error: { name, message: `nope ${status}` },
              response: { statusCode: status },
            }),
          ),
        ),
      );
      const error = await client
        .createSession({
          entityRef: 'component:default/web',
          cluster: 'c',
          namespace: 'n',
          pod: 'p',
          container: 'c',
        })
        .catch(e => e);
      expect(error).toBeInstanceOf(ResponseError);
      expect(error.statusCode).toBe(status);
      expect(error.cause.name).toBe(name);
      expect(error.cause.message).toBe(`nope ${status}`);
    },
  );

  describe('sessions and audit log', () => {
    it('lists sessions with repeated statuses and encoded filters', async () => {
      let seen: URL | undefined;
      const page = { items: [sessionRecord()], nextCursor: 'c2' };
      server.use(
        rest.get(`${baseUrl}/sessions`, (req, res, ctx) => {
          seen = req.url;
          return res(ctx.json(page));
        }),
      );
      await expect(
        client.listSessions({
          user: 'user:default/alice',
          entityRef: 'component:default/web',
          cluster: 'prod',
          namespace: 'shop',
          status: ['active', 'idle'],
          kind: 'exec',
          cursor: 'c1',
          limit: 25,
        }),
      ).resolves.toEqual(page);
      expect(seen?.searchParams.get('user')).toBe('user:default/alice');
      expect(seen?.searchParams.get('entityRef')).toBe('component:default/web');
      expect(seen?.searchParams.getAll('status')).toEqual(['active', 'idle']);
      expect(seen?.searchParams.get('kind')).toBe('exec');
      expect(seen?.searchParams.get('cursor')).toBe('c1');
      expect(seen?.searchParams.get('limit')).toBe('25');
      expect(seen?.searchParams.get('cluster')).toBe('prod');
      expect(seen?.searchParams.get('namespace')).toBe('shop');
    });

    it('lists sessions without a query string when there are no filters', async () => {
      let search: string | undefined;
      server.use(
        rest.get(`${baseUrl}/sessions`, (req, res, ctx) => {
          search = req.url.search;
          return res(ctx.json({ items: [] }));
        }),
      );
      await client.listSessions();
      expect(search).toBe('');
    });

    it('gets a session with its id encoded in the path', async () => {
      const detail = {
        session: sessionRecord({ id: 'a/b c' }),
        events: [auditEvent()],
        canTerminate: true,
      };
      let path: string | undefined;
      server.use(
        rest.get(`${baseUrl}/sessions/:id`, (req, res, ctx) => {
          path = req.url.pathname;
          return res(ctx.json(detail));
        }),
      );
      await expect(client.getSession('a/b c')).resolves.toEqual(detail);
      expect(path).toBe('/api/kubernetes-terminal/sessions/a%2Fb%20c');
    });

    it('terminates a session with DELETE and accepts an empty 204', async () => {
      const handler = jest.fn();
      server.use(
        rest.delete(`${baseUrl}/sessions/:id`, (req, res, ctx) => {
          handler(req.params.id, req.headers.get('authorization'));
          return res(ctx.status(204));
        }),
      );
      await expect(client.terminateSession('s1')).resolves.toBeUndefined();
      expect(handler).toHaveBeenCalledWith('s1', 'Bearer user-token');
    });

    it('reports a refused termination as a ResponseError', async () => {
      server.use(
        rest.delete(`${baseUrl}/sessions/:id`, (_req, res, ctx) =>
          res(
            ctx.status(409),
            ctx.json({
              error: { name: 'ConflictError', message: 'session is not live' },
              response: { statusCode: 409 },
            }),
          ),
        ),
      );
      const error = await client.terminateSession('s1').catch(e => e);
      expect(error).toBeInstanceOf(ResponseError);
      expect(error.statusCode).toBe(409);
      expect(error.cause.message).toBe('session is not live');
    });

    it('lists audit events with repeated types, time range and text', async () => {
      let seen: URL | undefined;
      server.use(
        rest.get(`${baseUrl}/audit-events`, (req, res, ctx) => {
          seen = req.url;
          return res(ctx.json({ items: [auditEvent()] }));
        }),
      );
      await client.listAuditEvents({
        sessionId: 's1',
        type: ['connect', 'command_executed'],
        from: '2024-05-01T10:00:00.000Z',
        to: '2024-05-02T10:00:00.000Z',
        q: 'rm -rf & echo',
        limit: 50,
      });
      expect(seen?.searchParams.get('sessionId')).toBe('s1');
      expect(seen?.searchParams.getAll('type')).toEqual([
        'connect',
        'command_executed',
      ]);
      expect(seen?.searchParams.get('from')).toBe('2024-05-01T10:00:00.000Z');
      expect(seen?.searchParams.get('to')).toBe('2024-05-02T10:00:00.000Z');
      expect(seen?.searchParams.get('q')).toBe('rm -rf & echo');
      expect(seen?.searchParams.get('limit')).toBe('50');
    });

    it('exports audit events as a blob named by Content-Disposition, without cursor or limit', async () => {
      let seen: URL | undefined;
      let auth: string | null = null;
      server.use(
        rest.get(`${baseUrl}/audit-events/export`, (req, res, ctx) => {
          seen = req.url;
          auth = req.headers.get('authorization');
          return res(
            ctx.set('Content-Type', 'text/csv'),
            ctx.set(
              'Content-Disposition',
              'attachment; filename="terminal-audit-2024-05-01.csv"',
            ),
            ctx.body('id,type\n1,connect\n'),
          );
        }),
      );
      const result = await client.exportAuditEvents(
        { user: 'user:default/alice', type: ['denied'], cursor: 'c', limit: 5 },
        'csv',
      );
      expect(result.filename).toBe('terminal-audit-2024-05-01.csv');
      expect(await result.blob.text()).toBe('id,type\n1,connect\n');
      expect(seen?.searchParams.get('format')).toBe('csv');
      expect(seen?.searchParams.get('user')).toBe('user:default/alice');
      expect(seen?.searchParams.getAll('type')).toEqual(['denied']);
      expect(seen?.searchParams.has('cursor')).toBe(false);
      expect(seen?.searchParams.has('limit')).toBe(false);
      expect(auth).toBe('Bearer user-token');
    });

    it('names an export by its format when the backend gives no file name', async () => {
      server.use(
        rest.get(`${baseUrl}/audit-events/export`, (_req, res, ctx) =>
          res(ctx.json([])),
        ),
      );
      const result = await client.exportAuditEvents({}, 'json');
      expect(result.filename).toBe('terminal-audit-events.json');
    });

    it('reports a denied export as a ResponseError', async () => {
      server.use(
        rest.get(`${baseUrl}/audit-events/export`, (_req, res, ctx) =>
          res(
            ctx.status(403),
            ctx.json({
              error: { name: 'NotAllowedError', message: 'no audit.read' },
              response: { statusCode: 403 },
            }),
          ),
        ),
      );
      const error = await client.exportAuditEvents({}, 'csv').catch(e => e);
      expect(error).toBeInstanceOf(ResponseError);
      expect(error.cause.name).toBe('NotAllowedError');
    });
  });

  it('opens the stream with the ticket in the subprotocols, never in the URL', async () => {
    const factory = jest.fn((url: string, protocols: string[]) =>
      new FakeWebSocket(url, protocols).asWebSocket(),
    );
    const streamingClient = new KubernetesTerminalClient({
      discoveryApi: mockApis.discovery({
        baseUrl: 'https://backstage.example',
      }),
      fetchApi: new MockFetchApi(),
      webSocketFactory: factory,
    });
    const socket = await streamingClient.openStream({
      sessionId: 's1',
      ticket: 'secret-ticket',
      ticketExpiresAt: '2030-01-01T00:00:00Z',
      streamPath: '/sessions/s1/stream',
    });
    expect(factory).toHaveBeenCalledWith(
      'wss://backstage.example/api/kubernetes-terminal/sessions/s1/stream',
      ['kubernetes-terminal.v1', 'ticket.secret-ticket'],
    );
    expect(socket.binaryType).toBe('arraybuffer');
  });
});

describe('toWebSocketUrl', () => {
  it.each([
    [
      'http://localhost:7007/api/kubernetes-terminal',
      '/sessions/a/stream',
      'ws://localhost:7007/api/kubernetes-terminal/sessions/a/stream',
    ],
    [
      'https://bs.example/api/kubernetes-terminal/',
      'sessions/a/stream',
      'wss://bs.example/api/kubernetes-terminal/sessions/a/stream',
    ],
    [
      '/api/kubernetes-terminal',
      '/sessions/a/stream',
      'ws://localhost/api/kubernetes-terminal/sessions/a/stream',
    ],
  ])('joins %s and %s', (base, path, expected) => {
    expect(toWebSocketUrl(base, path)).toBe(expected);
  });
});

describe('toQueryString', () => {
  it('repeats array keys and leaves out empty values', () => {
    expect(
      toQueryString({
        a: 'x y',
        b: ['1', '2'],
        c: undefined,
        d: '',
        e: 3,
        f: [],
      }),
    ).toBe('?a=x%20y&b=1&b=2&e=3');
    expect(toQueryString({})).toBe('');
  });
});

describe('filenameFromContentDisposition', () => {
  it.each([
    ['attachment; filename="audit.csv"', 'audit.csv'],
    ['attachment; filename=audit.json', 'audit.json'],
    [
      `attachment; filename="fallback.csv"; filename*=UTF-8''audit%20%C3%A9.csv`,
      'audit é.csv',
    ],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment', undefined],
    [null, undefined],
  ])('reads %s', (header, expected) => {
    expect(filenameFromContentDisposition(header)).toBe(expected);
  });
});
