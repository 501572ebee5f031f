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
  TerminalTargetsResponse,
} from '@internal/plugin-kubernetes-terminal-common';
import {
  KubernetesTerminalClient,
  toWebSocketUrl,
} from './KubernetesTerminalClient';
import { FakeWebSocket } from '../testUtils/FakeWebSocket';

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
