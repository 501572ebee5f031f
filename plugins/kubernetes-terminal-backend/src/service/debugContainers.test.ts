import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { eventually } from '../__testUtils__/eventually';
import { messagesOf } from '../__testUtils__/sessionPodHarness';
import {
  DEMO_POD,
  DEMO_TARGET,
  openTerminal,
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';
import type { TerminalClient } from '../__testUtils__/TerminalClient';
import {
  DEBUG_USER_ENV,
  debugContainerBaseName,
} from '../debugContainers/DebugContainers';

jest.setTimeout(60_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const MALLORY = 'user:default/mallory';
const BASE = '/api/kubernetes-terminal';
const DEBUG = { ...DEMO_TARGET, kind: 'debug', cols: 100, rows: 30 };

/** Mallory may open shells but not debug containers. */
function decide(permission: string, user: string) {
  return permission === 'kubernetes.terminal.debugContainer.create' &&
    user === MALLORY
    ? AuthorizeResult.DENY
    : AuthorizeResult.ALLOW;
}

describe('debug containers', () => {
  let env: TerminalTestEnv;
  const clients: TerminalClient[] = [];
  const api = (method: 'get' | 'post', url: string, user = ALICE) =>
    request(env.backend.server)
      [method](`${BASE}${url}`)
      .set('Authorization', mockCredentials.user.header(user));
  const ephemeral = () =>
    (env.sandbox.get('v1', 'Pod', DEMO_POD, 'demo') as any).spec
      .ephemeralContainers ?? [];

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide,
      terminalConfig: {
        debugContainers: {
          enabled: true,
          image: 'busybox:1.36',
          profile: 'general',
          maxPerPod: 2,
        },
      },
    });
  });
  afterAll(async () => {
    clients.forEach(c => c.close());
    await env?.stop();
  });

  async function open(user: string) {
    const opened = await openTerminal(env.backend.server, user, DEBUG);
    clients.push(opened.client);
    return opened;
  }

  it('adds a debug container beside the target, attaches to it, and audits it', async () => {
    const { client, sessionId } = await open(ALICE);
    const name = debugContainerBaseName(ALICE, 'app');
    expect(client.message('connected')).toMatchObject({
      shell: `debug container ${name}`,
    });
    expect(messagesOf(client, 'progress').map(m => m.message)).toEqual(
      expect.arrayContaining([
        `adding debug container ${name} (image busybox:1.36, profile general) beside app; it stays in the pod until the pod is replaced`,
        `attached to debug container ${name}: if no prompt shows, press Enter`,
      ]),
    );
    expect(ephemeral()).toEqual([
      expect.objectContaining({
        name,
        image: 'busybox:1.36',
        targetContainerName: 'app',
        stdin: true,
        tty: true,
        env: [{ name: DEBUG_USER_ENV, value: ALICE }],
        securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
      }),
    ]);

    client.type('\r');
    client.type('echo dbg-$((6*7))\r');
    await client.waitForOutput(/dbg-42\r\n/);
    client.type('exit\r');
    await client.waitForClose();

    await eventually(async () => {
      const events = await api('get', `/audit-events?sessionId=${sessionId}`);
      const types = events.body.items.map((e: any) => e.type);
      expect(types).toEqual(
        expect.arrayContaining(['connect', 'debug_container_created']),
      );
      expect(
        events.body.items.find((e: any) => e.type === 'debug_container_created')
          .details,
      ).toEqual({
        container: name,
        image: 'busybox:1.36',
        profile: 'general',
        target: 'app',
      });
      expect(
        events.body.items
          .filter((e: any) => e.type === 'command_executed')
          .map((e: any) => e.command),
      ).toEqual(expect.arrayContaining(['echo dbg-$((6*7))']));
    });
    const session = await api('get', `/sessions/${sessionId}`);
    expect(session.body.session).toMatchObject({
      kind: 'debug',
      container: 'app',
    });
  });

  it("re-attaches a person's running debug container instead of adding another", async () => {
    const first = await open(BOB);
    const name = debugContainerBaseName(BOB, 'app');
    const before = ephemeral().length;
    const second = await open(BOB);
    expect(messagesOf(second.client, 'progress').map(m => m.message)).toContain(
      `attaching to your debug container ${name} beside app`,
    );
    expect(ephemeral()).toHaveLength(before);
    // Both tabs type into the one shell.
    second.client.type('echo shared-$((1+1))\r');
    await first.client.waitForOutput(/shared-2\r\n/);
    await second.client.waitForOutput(/shared-2\r\n/);
  });

  it('stops at the limit per pod, saying why', async () => {
    // Alice's (ended) and Bob's hold the pod's two places.
    const res = await request(env.backend.server)
      .post(`${BASE}/sessions`)
      .set('Authorization', mockCredentials.user.header('user:default/carol'))
      .send(DEBUG);
    expect(res.status).toBe(201);
    const opened = await openTerminal(
      env.backend.server,
      'user:default/dave',
      DEBUG,
      { connected: false },
    );
    clients.push(opened.client);
    await opened.client.waitForClose();
    expect(opened.client.closed?.code).toBe(4425);
    expect(messagesOf(opened.client, 'error')[0]?.message).toMatch(
      /already holds 2 ephemeral containers, the most the portal adds to one pod \(debugContainers\.maxPerPod\); they cannot be removed/,
    );
  });

  it('needs kubernetes.terminal.debugContainer.create, and says so in the targets', async () => {
    const refused = await api('post', '/sessions', MALLORY).send(DEBUG);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'you are not allowed to start a debug container on component:default/demo-service',
    );
    const targets = await api(
      'get',
      `/targets?entityRef=${encodeURIComponent(DEMO_TARGET.entityRef)}`,
      MALLORY,
    );
    expect(targets.body).toMatchObject({ canExec: true, canDebug: false });
    const allowed = await api(
      'get',
      `/targets?entityRef=${encodeURIComponent(DEMO_TARGET.entityRef)}`,
    );
    expect(allowed.body.canDebug).toBe(true);
    await eventually(async () => {
      const denied = await api(
        'get',
        `/audit-events?type=denied&user=${encodeURIComponent(MALLORY)}`,
      );
      expect(denied.body.items[0]?.details).toEqual({
        kind: 'debug',
        permission: 'kubernetes.terminal.debugContainer.create',
      });
    });
  });
});

describe('a debug image that cannot be pulled', () => {
  let env: TerminalTestEnv;
  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide: () => AuthorizeResult.ALLOW,
      terminalConfig: {
        debugContainers: {
          enabled: true,
          image: 'registry.example.com/no-such/debugger:1',
        },
      },
    });
  });
  afterAll(() => env?.stop());

  it("ends the session with the cluster's reason, after the steps it took", async () => {
    const { client } = await openTerminal(env.backend.server, ALICE, DEBUG, {
      connected: false,
    });
    await client.waitForClose();
    expect(client.closed?.code).toBe(4425);
    expect(client.message('error')).toMatchObject({
      reason: 'ImagePullBackOff',
      message: expect.stringMatching(
        /^debug container debug-alice-[0-9a-f]{6} cannot start: ImagePullBackOff: Back-off pulling image "registry\.example\.com\/no-such\/debugger:1"$/,
      ),
    });
    expect(messagesOf(client, 'progress')[0]?.message).toMatch(
      /^adding debug container debug-alice-[0-9a-f]{6} \(image registry\.example\.com\/no-such\/debugger:1, profile restricted\)/,
    );
    // restricted: kubectl's profile, with a non-root user for images whose user is root.
    const added = (env.sandbox.get('v1', 'Pod', DEMO_POD, 'demo') as any).spec
      .ephemeralContainers[0];
    expect(added.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });
});
