import {
  mockCredentials,
  type TestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TERMINAL_ACK_WINDOW_BYTES,
  TERMINAL_MAX_MESSAGE_BYTES,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import request from 'supertest';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import {
  DEMO_POD,
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';
import { eventually } from '../__testUtils__/eventually';

jest.setTimeout(60_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

describe('resuming a session after its socket was lost', () => {
  let env: TerminalTestEnv;
  let backend: TestBackend;
  let port: number;
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide: () => AuthorizeResult.ALLOW,
      terminalConfig: { resume: { grace: { seconds: 3 } } },
    });
    ({ backend, port } = env);
  });

  afterAll(async () => {
    await env?.stop();
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  const api = (path: string) => `/api/kubernetes-terminal${path}`;

  async function connect(autoAck = true) {
    const res = await request(backend.server)
      .post(api('/sessions'))
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({
        entityRef: 'component:default/demo-service',
        cluster: 'sandbox',
        namespace: 'demo',
        pod: DEMO_POD,
        container: 'app',
        cols: 100,
        rows: 30,
      });
    expect(res.status).toBe(201);
    const client = await open(res.body, autoAck);
    await client.waitFor(() => !!client.message('connected'), 'connected');
    return { client, sessionId: res.body.sessionId as string };
  }

  async function open(
    body: { streamPath: string; ticket: string },
    autoAck = true,
  ) {
    const client = await TerminalClient.connect(
      `ws://127.0.0.1:${port}/api/kubernetes-terminal${body.streamPath}`,
      { ticket: body.ticket, autoAck },
    );
    clients.push(client);
    return client;
  }

  function resume(sessionId: string, offset: number, user = ALICE) {
    return request(backend.server)
      .post(api(`/sessions/${sessionId}/resume`))
      .set('Authorization', mockCredentials.user.header(user))
      .send({ offset });
  }

  async function detail(sessionId: string) {
    const res = await request(backend.server)
      .get(api(`/sessions/${sessionId}`))
      .set('Authorization', mockCredentials.user.header(ALICE));
    return res.body as {
      session: { status: string; endReason?: string };
      events: Array<{ type: string; details?: any }>;
    };
  }

  /** Cuts the socket as a network would: no close frame. */
  async function cut(client: TerminalClient, sessionId: string) {
    client.ws.terminate();
    await eventually(async () =>
      expect((await detail(sessionId)).session.status).toBe('detached'),
    );
  }

  const count = (text: string, part: string) => text.split(part).length - 1;

  it('keeps the shell across a cut socket: the output during the cut arrives once, the shell state is kept', async () => {
    const { client, sessionId } = await connect();
    await client.waitForOutput(/[$#] $/);
    client.type("export KEPT=yes; sleep 1; echo 'fin''ished'\n");
    await client.waitForOutput(/sleep 1; echo/);
    await cut(client, sessionId);
    // The shell goes on while nobody watches: its output is held.
    await new Promise(r => setTimeout(r, 1500));

    const res = await resume(sessionId, client.outputBytes);
    expect(res.status).toBe(200);
    const again = await open(res.body);
    await again.waitForOutput(/finished/);
    expect(again.message('resumed')).toEqual({
      type: 'resumed',
      from: client.outputBytes,
      missed: 0,
    });
    const whole = client.output + again.output;
    expect(count(whole, 'finished')).toBe(1);
    expect(count(whole, "echo 'fin''ished'")).toBe(1);

    again.type('echo "kept=$KEPT"\n');
    await again.waitForOutput(/kept=yes/);
    const { session, events } = await eventually(async () => {
      const d = await detail(sessionId);
      expect(d.events.map(e => e.type)).toContain('resume');
      return d;
    });
    expect(session.status).toBe('active');
    const detach = events.find(e => e.type === 'detach');
    expect(detach?.details).toMatchObject({ graceSeconds: 3 });
    const resumed = events.find(e => e.type === 'resume');
    expect(resumed?.details).toMatchObject({
      offset: client.outputBytes,
      missedBytes: 0,
    });
    expect(resumed!.details.replayedBytes).toBeGreaterThan(0);
  });

  it('refuses to resume another person’s session, as if it did not exist, and audits the attempt', async () => {
    const { client, sessionId } = await connect();
    await cut(client, sessionId);
    const res = await resume(sessionId, 0, BOB);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      `terminal session ${sessionId} not found`,
    );
    await eventually(async () => {
      const { events } = await detail(sessionId);
      expect(events.find(e => e.type === 'denied')?.details).toMatchObject({
        action: 'resume',
      });
    });
  });

  it('holds a flood while detached to the ack window, and delivers all of it exactly once on resume', async () => {
    const { client, sessionId } = await connect();
    await client.waitForOutput(/[$#] $/);
    const total = 3 * TERMINAL_ACK_WINDOW_BYTES;
    client.type(
      `sleep 0.5; head -c ${total} /dev/zero; echo; echo 'flo''od-end'\n`,
    );
    await client.waitForOutput(/sleep 0\.5/);
    await cut(client, sessionId);
    // The flood runs into the window and the container is paused: well before its end.
    await new Promise(r => setTimeout(r, 1500));
    const res = await resume(sessionId, client.outputBytes);
    expect(res.status).toBe(200);
    const again = await open(res.body);
    await again.waitForOutput(/flood-end/, 20_000);
    const resumed = await eventually(async () => {
      const found = (await detail(sessionId)).events.find(
        e => e.type === 'resume',
      );
      expect(found).toBeDefined();
      return found;
    });
    // At most the window and one chunk of the exec stream was held.
    expect(resumed!.details.replayedBytes).toBeLessThanOrEqual(
      TERMINAL_ACK_WINDOW_BYTES + 64 * 1024,
    );
    expect(resumed!.details.replayedBytes).toBeGreaterThan(0);
    expect(count(client.output + again.output, '\0')).toBe(total);
  });

  it('ends a detached session when the grace period runs out, with its reason', async () => {
    const { client, sessionId } = await connect();
    await cut(client, sessionId);
    await eventually(
      async () =>
        expect((await detail(sessionId)).session.status).toBe('closed'),
      10_000,
    );
    const { session } = await detail(sessionId);
    expect(session.endReason).toBe(
      'the browser did not come back within 3 s of losing its connection',
    );
    const res = await resume(sessionId, client.outputBytes);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      /has ended \(closed\): the browser did not come back/,
    );
  });

  it('ends at once when the browser closes on purpose', async () => {
    const { client, sessionId } = await connect();
    client.ws.close(1000, 'closed by the user');
    await eventually(async () =>
      expect((await detail(sessionId)).session.status).toBe('closed'),
    );
    expect((await detail(sessionId)).events.map(e => e.type)).not.toContain(
      'detach',
    );
  });

  it('answers a bad resume with 400 and the reason', async () => {
    const { sessionId } = await connect();
    const negative = await resume(sessionId, -1);
    expect(negative.status).toBe(400);
    expect(negative.body.error.message).toMatch(/^offset: /);
    const notAnId = await request(backend.server)
      .post(api('/sessions/not-a-session/resume'))
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ offset: 0 });
    expect(notAnId.status).toBe(400);
    const unknown = await request(backend.server)
      .post(api(`/sessions/${sessionId}/resume`))
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ offset: 0, extra: true });
    expect(unknown.status).toBe(400);
    const anonymous = await request(backend.server)
      .post(api(`/sessions/${sessionId}/resume`))
      .send({ offset: 0 });
    expect(anonymous.status).toBe(401);
  });

  it('ends, rather than keeps, the session of a client that breaks the protocol', async () => {
    const { client, sessionId } = await connect();
    // Past the largest frame the backend takes: the socket fails with 1009, not as a network would.
    client.ws.send(Buffer.alloc(TERMINAL_MAX_MESSAGE_BYTES + 1));
    await eventually(async () =>
      expect((await detail(sessionId)).session.status).toBe('closed'),
    );
    expect((await detail(sessionId)).events.map(e => e.type)).not.toContain(
      'detach',
    );
  });

  it('hands the session to a new socket while the old one still seems open, and tells the old one', async () => {
    const { client, sessionId } = await connect();
    await client.waitForOutput(/[$#] $/);
    const res = await resume(sessionId, client.outputBytes);
    const again = await open(res.body);
    await again.waitFor(() => !!again.message('connected'), 'connected');
    expect(await client.waitForClose()).toMatchObject({ code: 4409 });
    again.type('echo taken-over\n');
    await again.waitForOutput(/taken-over\r\n/);
    expect(client.output).not.toMatch(/taken-over/);
  });
});
