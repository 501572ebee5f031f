import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import { startTwoReplicas } from '../__testUtils__/replicaAddress';
import {
  openTerminal,
  startDemoSandbox,
} from '../__testUtils__/terminalBackend';

/*
 * Two backend replicas on one PostgreSQL database, each with the address the other reaches it at
 * (`resume.instanceUrl`, here a port forwarded to the replica as a pod IP would be). A session opened
 * on one and resumed through the other is served by the one that holds the shell: the resume call
 * and then the WebSocket are forwarded to it.
 */

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const BASE = '/api/kubernetes-terminal';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

describe('resuming through the other of two replicas', () => {
  let sandbox: SandboxCluster;
  let db: Knex;
  let replicas: Awaited<ReturnType<typeof startTwoReplicas>>;
  let backends: typeof replicas.backends;
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    sandbox = await startDemoSandbox();
    db = await databases.init('POSTGRES_15');
    replicas = await startTwoReplicas(sandbox, db, instanceUrl => ({
      decide: () => AuthorizeResult.ALLOW,
      terminalConfig: { resume: { grace: { seconds: 30 }, instanceUrl } },
    }));
    backends = replicas.backends;
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    await replicas?.stop();
    await sandbox?.close();
  });

  const resume = (replica: number, id: string, offset: number, user = ALICE) =>
    request(backends[replica].backend.server)
      .post(`${BASE}/sessions/${id}/resume`)
      .set('Authorization', mockCredentials.user.header(user))
      .send({ offset });

  const connect = async (
    replica: number,
    body: { streamPath: string; ticket: string },
  ) => {
    const client = await TerminalClient.connect(
      `ws://127.0.0.1:${backends[replica].port}${BASE}${body.streamPath}`,
      { ticket: body.ticket },
    );
    clients.push(client);
    return client;
  };

  it('serves a session held by replica A to a browser that reaches replica B, twice', async () => {
    const { client, sessionId } = await openTerminal(
      backends[0].backend.server,
      ALICE,
    );
    clients.push(client);
    await client.waitForOutput(/[$#] $/);
    client.type('export WHERE=replica-a; sleep 1; echo "held-by-$WHERE"\n');
    await client.waitForOutput(/sleep 1; echo/);
    client.ws.terminate();

    const res = await resume(1, sessionId, client.outputBytes);
    expect(res.status).toBe(200);
    const again = await connect(1, res.body);
    await again.waitForOutput(/held-by-replica-a/);
    const whole = client.output + again.output;
    expect(whole.split('held-by-replica-a').length - 1).toBe(1);

    // Cut again, and back through replica B once more: still the same shell on A.
    again.ws.terminate();
    const third = await connect(
      1,
      (
        await resume(1, sessionId, client.outputBytes + again.outputBytes)
      ).body,
    );
    third.type('echo "still-$WHERE"\n');
    await third.waitForOutput(/still-replica-a\r\n/);

    await eventually(async () => {
      const detail = await request(backends[1].backend.server)
        .get(`${BASE}/sessions/${sessionId}`)
        .set('Authorization', mockCredentials.user.header(ALICE));
      expect(
        detail.body.events.filter((e: any) => e.type === 'resume'),
      ).toHaveLength(2);
    });
    // The replicas' internal addresses are theirs: not in what the API shows.
    const listed = await request(backends[1].backend.server)
      .get(`${BASE}/sessions`)
      .set('Authorization', mockCredentials.user.header(ALICE));
    expect(JSON.stringify(listed.body)).not.toContain(BASE);
    expect(listed.body.items[0]).not.toHaveProperty('backendAddress');
  });

  it('refuses, through either replica, a resume by someone else', async () => {
    const { client, sessionId } = await openTerminal(
      backends[0].backend.server,
      ALICE,
    );
    clients.push(client);
    client.ws.terminate();
    for (const replica of [0, 1]) {
      const res = await resume(replica, sessionId, 0, BOB);
      expect(res.status).toBe(404);
    }
  });

  it('never forwards a socket in a circle: a session whose replica is gone, at a reused address, is refused at once', async () => {
    const { client, sessionId } = await openTerminal(
      backends[0].backend.server,
      ALICE,
    );
    clients.push(client);
    // As after a crash: a live row whose instance is gone, at an address a replica runs at again.
    const row = await db('kubernetes_terminal_sessions')
      .where({ id: sessionId })
      .first();
    for (const at of [1, 0]) {
      const id = randomUUID();
      await db('kubernetes_terminal_sessions').insert({
        ...row,
        id,
        backend_instance: 'gone',
        backend_address: replicas.instanceUrls[at],
      });
      const started = Date.now();
      const socket = await TerminalClient.connect(
        `ws://127.0.0.1:${backends[1].port}${BASE}/sessions/${id}/stream`,
        { ticket: 'x'.repeat(43) },
      );
      clients.push(socket);
      expect(await socket.waitForClose(5000)).toMatchObject({
        code: 4401,
        reason: 'unknown, expired or already used ticket',
      });
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('accepts forwarded resumes only from the plugin itself', async () => {
    const { client, sessionId } = await openTerminal(
      backends[0].backend.server,
      ALICE,
    );
    clients.push(client);
    const asUser = await request(backends[0].backend.server)
      .post(`${BASE}/internal/sessions/${sessionId}/resume`)
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ offset: 0, userEntityRef: ALICE });
    expect(asUser.status).toBe(403);
    const asOtherPlugin = await request(backends[0].backend.server)
      .post(`${BASE}/internal/sessions/${sessionId}/resume`)
      .set(
        'Authorization',
        mockCredentials.service.header({
          onBehalfOf: mockCredentials.service('plugin:catalog'),
          targetPluginId: 'kubernetes-terminal',
        }),
      )
      .send({ offset: 0, userEntityRef: ALICE });
    expect(asOtherPlugin.status).toBe(403);
    expect(asOtherPlugin.body.error.message).toBe(
      'only another replica of this plugin may forward a resume',
    );
  });
});
