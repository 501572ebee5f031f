import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import knexFactory from 'knex';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { eventually } from '../__testUtils__/eventually';
import {
  ENTITY,
  objectsOf,
  sessionPodHarness,
} from '../__testUtils__/sessionPodHarness';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import {
  type SandboxEndpoint,
  startDemoSandbox,
  startTerminalTestEnv,
} from '../__testUtils__/terminalBackend';

jest.setTimeout(90_000);

const DAVE = 'user:default/dave';
const FRANK = 'user:default/frank';
const JANITOR = 'kubernetes-terminal-session-pod-janitor';
/** The janitor leaves a pod alone this long after its expiry (SessionPodJanitor's grace). */
const GRACE_MS = 5_000;

const allow = () => AuthorizeResult.ALLOW;

const config = (s: SandboxEndpoint) => ({
  sessionPods: {
    enabled: true,
    image: 'kubectl-shell',
    expiry: { seconds: 2 },
    maxLifetime: { seconds: 60 },
    clusters: { sandbox: { apiServerUrl: s.httpsUrl } },
  },
});

const gone = (o: ReturnType<typeof objectsOf>) =>
  [o.pod, o.serviceAccount, o.roleBinding, o.networkPolicy, o.secret].every(
    x => x === undefined,
  );

function sleepUntil(at: number) {
  return new Promise(r => setTimeout(r, Math.max(0, at - Date.now())));
}

describe('the session pod janitor', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startDemoSandbox();
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('deletes what a stopped backend left, by label, and records the expiry', async () => {
    const knex = await databases.init('SQLITE_3');
    let env = await startTerminalTestEnv({
      decide: allow,
      sandbox,
      knex,
      skipTaskRunOnStartup: true,
      terminalConfig: config,
    });
    const { open, connected } = sessionPodHarness(() => env);
    const { client, sessionId } = await open(DAVE);
    await connected(client);
    const expiresAt = Date.parse(client.message('expiry')!.expiresAt);
    // A crashed provisioning's leftover: a ServiceAccount without its pod.
    sandbox.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'kubectl-orphan-0000000000',
        namespace: 'demo',
        labels: {
          'app.kubernetes.io/managed-by': 'backstage-kubernetes-terminal',
          'app.kubernetes.io/component': 'session-pod',
          'kubernetes-terminal.backstage.io/session-pod':
            'kubectl-orphan-0000000000',
          'kubernetes-terminal.backstage.io/expires-at': String(
            Math.floor(Date.now() / 1000) - 60,
          ),
        },
      },
    });
    await env.stop();
    // The pod outlives its connections: a reconnect would reuse it.
    expect(objectsOf(sandbox, DAVE).pod).toBeDefined();

    env = await startTerminalTestEnv({
      decide: allow,
      sandbox,
      knex,
      skipTaskRunOnStartup: true,
      terminalConfig: config,
    });
    try {
      // Not expired yet (with the grace): the pod stays; the orphan goes.
      await env.scheduler.triggerTask(JANITOR);
      expect(objectsOf(sandbox, DAVE).pod).toBeDefined();
      expect(
        sandbox.get(
          'v1',
          'ServiceAccount',
          'kubectl-orphan-0000000000',
          'demo',
        ),
      ).toBeUndefined();

      await sleepUntil(expiresAt + GRACE_MS + 100);
      await env.scheduler.triggerTask(JANITOR);
      expect(gone(objectsOf(sandbox, DAVE))).toBe(true);
      const { api } = sessionPodHarness(() => env);
      await eventually(async () => {
        const detail = await api('get', `/sessions/${sessionId}`, DAVE);
        // Closed when its backend shut down; the janitor's expiry is recorded on it.
        expect(detail.body.session.status).toBe('closed');
        const expire = detail.body.events.filter(
          (e: any) => e.type === 'expire',
        );
        expect(expire).toEqual([
          expect.objectContaining({
            userEntityRef: DAVE,
            entityRef: ENTITY,
            cluster: 'sandbox',
            namespace: 'demo',
            pod: objectsOf(sandbox, DAVE).name,
            details: {
              by: 'janitor',
              expiresAt: new Date(expiresAt).toISOString(),
            },
          }),
        ]);
      });
    } finally {
      await env.stop();
    }
  });

  it('cleans up after a backend killed with SIGKILL, ending its live sessions as expired', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-janitor-'));
    const dbFile = path.join(dir, 'terminal.sqlite');
    const child = spawn(
      process.execPath,
      [
        '-r',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        path.resolve(__dirname, '../__testUtils__/crashableBackend.ts'),
        JSON.stringify({
          sandbox: {
            url: sandbox.url,
            httpsUrl: sandbox.httpsUrl,
            caCertificate: sandbox.caCertificate,
          },
          dbFile,
          terminalConfig: config(sandbox),
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | null>(resolve =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout!.on('data', d => {
          out += d;
          const ready = /READY (\d+)/.exec(out);
          if (ready) resolve(Number(ready[1]));
        });
        child.stderr!.on('data', d => {
          err += d;
        });
        child.once('exit', code =>
          reject(new Error(`backend exited (${code}): ${err.slice(-2000)}`)),
        );
      });
      const res = await request(`http://127.0.0.1:${port}`)
        .post('/api/kubernetes-terminal/sessions')
        .set('Authorization', mockCredentials.user.header(FRANK))
        .send({
          kind: 'session-pod',
          entityRef: ENTITY,
          cluster: 'sandbox',
          namespace: 'demo',
        });
      expect(res.status).toBe(201);
      const client = await TerminalClient.connect(
        `ws://127.0.0.1:${port}/api/kubernetes-terminal${res.body.streamPath}`,
        { ticket: res.body.ticket },
      );
      await client.waitFor(
        () => !!client.message('connected'),
        'connected',
        30_000,
      );
      const expiresAt = Date.parse(client.message('expiry')!.expiresAt);
      // Events are written in batches each second; what is still queued dies with the process.
      await eventually(async () => {
        const detail = await request(`http://127.0.0.1:${port}`)
          .get(`/api/kubernetes-terminal/sessions/${res.body.sessionId}`)
          .set('Authorization', mockCredentials.user.header(FRANK));
        expect(detail.body.events.map((e: any) => e.type)).toEqual(['connect']);
      });

      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await client.waitForClose();
      expect(objectsOf(sandbox, FRANK).pod).toBeDefined();

      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: dbFile },
        useNullAsDefault: true,
      });
      const env = await startTerminalTestEnv({
        decide: allow,
        sandbox,
        knex,
        skipTaskRunOnStartup: true,
        terminalConfig: config,
      });
      try {
        const { api } = sessionPodHarness(() => env);
        // Killed: nothing ended the session.
        expect(
          (await api('get', `/sessions/${res.body.sessionId}`, FRANK)).body
            .session.status,
        ).toBe('active');
        await sleepUntil(expiresAt + GRACE_MS + 100);
        await env.scheduler.triggerTask(JANITOR);
        expect(gone(objectsOf(sandbox, FRANK))).toBe(true);
        await eventually(async () => {
          const detail = await api(
            'get',
            `/sessions/${res.body.sessionId}`,
            FRANK,
          );
          expect(detail.body.session).toMatchObject({
            status: 'expired',
            endReason: expect.stringMatching(
              /^the session pod expired; its objects were deleted by the clean-up janitor$/,
            ),
          });
          expect(detail.body.events.map((e: any) => e.type)).toEqual([
            'connect',
            'expire',
          ]);
          expect(detail.body.events[1].details).toEqual({
            by: 'janitor',
            expiresAt: new Date(expiresAt).toISOString(),
          });
        });
      } finally {
        await env.stop();
        await knex.destroy();
      }
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
