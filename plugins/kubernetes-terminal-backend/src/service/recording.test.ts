import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import {
  TerminalCloseCode,
  parseAsciicast,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import {
  DEMO_POD,
  startDemoSandbox,
  startTerminalTestEnv,
  type TerminalTestEnv,
  DEMO_TARGET,
  openTerminal,
} from '../__testUtils__/terminalBackend';
import type { SandboxCluster } from '@internal/kube-sandbox';
import { textBody } from '../__testUtils__/textBody';

jest.setTimeout(60_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const AUDITOR = 'user:default/auditor';
const ADMIN = 'user:default/admin';

/** Alice may replay her own sessions; the auditor reads the log but may not replay; admin may both. */
function decide(
  permission: string,
  user: string,
): AuthorizeResult.ALLOW | AuthorizeResult.DENY {
  const allowedUsers: Record<string, (u: string) => boolean> = {
    'kubernetes.terminal.exec': () => true,
    'kubernetes.terminal.audit.read': u => u === AUDITOR || u === ADMIN,
    'kubernetes.terminal.recording.read': u => u === ALICE || u === ADMIN,
  };
  return allowedUsers[permission]?.(user)
    ? AuthorizeResult.ALLOW
    : AuthorizeResult.DENY;
}

let sandbox: SandboxCluster;
beforeAll(async () => {
  sandbox = await startDemoSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

function helpers(getEnv: () => TerminalTestEnv, clients: TerminalClient[]) {
  const api = (method: 'get' | 'post', url: string, user?: string) => {
    const req = request(getEnv().backend.server)[method](
      `/api/kubernetes-terminal${url}`,
    );
    return user
      ? req.set('Authorization', mockCredentials.user.header(user))
      : req;
  };
  async function open(user: string) {
    const { client, sessionId } = await openTerminal(
      getEnv().backend.server,
      user,
      {
        ...DEMO_TARGET,
        cols: 100,
        rows: 30,
      },
    );
    clients.push(client);
    return { client, sessionId };
  }
  async function recording(sessionId: string, user = ALICE) {
    const res = await api('get', `/sessions/${sessionId}/recording`, user)
      .buffer(true)
      .parse(textBody);
    return res;
  }
  return { api, open, recording };
}

describe('session recordings', () => {
  let env: TerminalTestEnv;
  const clients: TerminalClient[] = [];
  const { api, open, recording } = helpers(() => env, clients);

  beforeAll(async () => {
    env = await startTerminalTestEnv({ decide, sandbox });
  });
  afterAll(async () => {
    clients.forEach(c => c.close());
    await env?.stop();
  });

  it('records exactly what the terminal showed, its resizes and a marker per command, never the input', async () => {
    const { client, sessionId } = await open(ALICE);
    client.type('echo rec-$((6*7)) café\r');
    await client.waitForOutput(/rec-42 café\r\n/);
    client.resize(120, 40);
    client.type('stty -echo; echo ready; read pw; stty echo; echo\r');
    await client.waitForOutput(/ready\r\n/);
    client.type('s3cret-pw\r');
    client.type('printf "%s\\n" "${#pw} chars"\r');
    await client.waitForOutput(/9 chars\r\n/);
    client.type('exit\r');
    await client.waitForClose();

    const detail = await eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`, ALICE);
      expect(res.body.recording).toMatchObject({ inProgress: false });
      return res.body;
    });
    expect(detail.recording).toMatchObject({
      truncated: false,
      canRead: true,
    });

    const res = await recording(sessionId);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-asciicast/);
    expect(res.headers['content-disposition']).toBeUndefined();
    // Stored as the terminal's bytes, framed; the asciicast served is larger (JSON).
    expect(detail.recording.bytes).toBeGreaterThan(client.outputBytes);
    expect(detail.recording.bytes).toBeLessThan(Buffer.byteLength(res.body));
    const cast = parseAsciicast(res.body);
    expect(cast.header).toMatchObject({
      version: 2,
      width: 100,
      height: 30,
      env: { TERM: 'xterm-256color' },
    });
    expect(Math.abs(cast.header.timestamp! * 1000 - Date.now())).toBeLessThan(
      60_000,
    );
    const output = cast.events
      .filter(([, code]) => code === 'o')
      .map(([, , data]) => data)
      .join('');
    // Byte for byte what the browser received, in order.
    expect(output).toBe(client.output);
    expect(cast.events.filter(([, code]) => code === 'r')).toEqual([
      [expect.any(Number), 'r', '120x40'],
    ]);
    const markers = cast.events.filter(([, code]) => code === 'm');
    expect(markers.map(([, , label]) => label)).toEqual([
      'echo rec-$((6*7)) café',
      'stty -echo; echo ready; read pw; stty echo; echo',
      'printf "%s\\n" "${#pw} chars"',
      'exit',
    ]);
    // A marker follows the command's echo: the recorder knows a command once the shell took it.
    // The echo may come in more than one event (the PTY's reads split it): the one that completes it.
    let shown = '';
    const echoed = cast.events.findIndex(([, code, data]) => {
      if (code === 'o') shown += data;
      return shown.includes('echo rec-$((6*7)) café\r\n');
    });
    expect(echoed).toBeGreaterThanOrEqual(0);
    const first = cast.events.indexOf(markers[0]);
    expect(first).toBeGreaterThan(echoed);
    expect(markers[0][0] - cast.events[echoed][0]).toBeLessThan(0.5);
    expect(res.body).not.toContain('s3cret');
    const times = cast.events.map(([t]) => t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[times.length - 1]).toBeGreaterThan(0);

    const download = await api(
      'get',
      `/sessions/${sessionId}/recording?download=true`,
      ALICE,
    );
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="terminal-session-${sessionId}.cast"`,
    );
  });

  it('lets only those who see the session and hold recording.read replay it', async () => {
    const { client, sessionId } = await open(ALICE);
    client.type('exit\r');
    await client.waitForClose();
    await eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`, ALICE);
      expect(res.body.recording?.inProgress).toBe(false);
    });

    expect((await recording(sessionId, ADMIN)).status).toBe(200);
    // Bob cannot see Alice's session at all: it does not exist for him.
    expect((await recording(sessionId, BOB)).status).toBe(404);
    // The auditor sees it, but replay needs its own permission; the refusal is in the log.
    const denied = await recording(sessionId, AUDITOR);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('kubernetes.terminal.recording.read');
    const asAuditor = await api('get', `/sessions/${sessionId}`, AUDITOR);
    expect(asAuditor.body.recording).toMatchObject({ canRead: false });
    await eventually(async () => {
      const events = await api(
        'get',
        `/audit-events?type=denied&sessionId=${sessionId}`,
        ADMIN,
      );
      expect(events.body.items).toEqual([
        expect.objectContaining({
          userEntityRef: AUDITOR,
          details: expect.objectContaining({ action: 'recording.read' }),
        }),
      ]);
    });
    expect((await api('get', `/sessions/${sessionId}/recording`)).status).toBe(
      401,
    );
    const bad = await api('get', '/sessions/not-a-uuid/recording', ALICE);
    expect(bad.status).toBe(400);
    const badQuery = await api(
      'get',
      `/sessions/${sessionId}/recording?download=yes`,
      ALICE,
    );
    expect(badQuery.status).toBe(400);
    const missing = await recording('00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
  });

  it('serves a live session\u2019s recording as far as it is written', async () => {
    const { client, sessionId } = await open(ALICE);
    client.type('echo live-$((1+1))\r');
    await client.waitForOutput(/live-2\r\n/);
    const partial = await eventually(async () => {
      const res = await recording(sessionId);
      expect(res.status).toBe(200);
      // The output as the terminal got it: where the shell's writes were cut into events is its own.
      const shown = parseAsciicast(res.body)
        .events.filter(([, code]) => code === 'o')
        .map(([, , data]) => data)
        .join('');
      expect(shown).toContain('live-2\r\n');
      return res;
    });
    expect(parseAsciicast(partial.body).header.width).toBe(100);
    const detail = await api('get', `/sessions/${sessionId}`, ALICE);
    expect(detail.body.recording.inProgress).toBe(true);
    client.type('exit\r');
    await client.waitForClose();
  });
});

describe('session recordings, fail-closed', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let env: TerminalTestEnv;
  let knex: Knex;
  const clients: TerminalClient[] = [];
  const { api, open, recording } = helpers(() => env, clients);

  beforeAll(async () => {
    knex = await databases.init('SQLITE_3');
    env = await startTerminalTestEnv({
      decide,
      sandbox,
      knex,
      terminalConfig: {
        recording: { failClosed: true, maxSessionMegabytes: 0.0625 },
      },
    });
  });
  afterAll(async () => {
    clients.forEach(c => c.close());
    await env?.stop();
  });

  it('ends a session that reaches the size limit, with the reason in the terminal and the recording', async () => {
    const { client, sessionId } = await open(ALICE);
    client.type("printf '%*s' 80000 ''; echo\r");
    await client.waitForClose();
    expect(client.closed).toMatchObject({
      code: TerminalCloseCode.AuditUnavailable,
    });
    expect(client.closed!.reason).toMatch(/size limit of 64 KiB/);
    const detail = await eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`, ALICE);
      expect(res.body.recording?.inProgress).toBe(false);
      return res.body;
    });
    expect(detail.recording.truncated).toBe(true);
    expect(detail.recording.bytes).toBeLessThanOrEqual(66 * 1024);
    const cast = parseAsciicast((await recording(sessionId)).body);
    expect(cast.events[cast.events.length - 1]).toEqual([
      expect.any(Number),
      'm',
      'recording stopped: the recording reached its size limit of 64 KiB',
    ]);
  });

  it('ends the session when its recording cannot be written, and refuses new ones until it can', async () => {
    const { client, sessionId } = await open(ALICE);
    await knex.schema.renameTable(
      'kubernetes_terminal_recording_chunks',
      'recording_chunks_away',
    );
    try {
      client.type('echo unrecordable\r');
      await client.waitForClose(15_000);
      expect(client.closed).toMatchObject({
        code: TerminalCloseCode.AuditUnavailable,
        reason:
          'the session was ended because its recording could not be written',
      });
      const refused = await api('post', '/sessions', ALICE).send({
        entityRef: 'component:default/demo-service',
        cluster: 'sandbox',
        namespace: 'demo',
        pod: DEMO_POD,
        container: 'app',
      });
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toMatch(
        /session recordings cannot be written/,
      );
    } finally {
      await knex.schema.renameTable(
        'recording_chunks_away',
        'kubernetes_terminal_recording_chunks',
      );
    }
    // The data held meanwhile is written on the next try, and sessions open again.
    await eventually(async () => {
      const res = await api('post', '/sessions', ALICE).send({
        entityRef: 'component:default/demo-service',
        cluster: 'sandbox',
        namespace: 'demo',
        pod: DEMO_POD,
        container: 'app',
      });
      expect(res.status).toBe(201);
    }, 20_000);
    const kept = await eventually(async () => {
      const res = await recording(sessionId);
      expect(res.body).toContain('recording stopped');
      return parseAsciicast(res.body);
    });
    expect(
      kept.events
        .filter(([, c]) => c === 'o')
        .map(([, , d]) => d)
        .join(''),
    ).toContain('unrecordable');
  });
});

describe('session recordings in a directory', () => {
  let env: TerminalTestEnv;
  let directory: string;
  const clients: TerminalClient[] = [];
  const { api, open, recording } = helpers(() => env, clients);

  beforeAll(async () => {
    directory = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'terminal-recordings-')),
      'recordings',
    );
    env = await startTerminalTestEnv({
      decide,
      sandbox,
      terminalConfig: {
        recording: { storage: 'directory', directory, failClosed: true },
      },
    });
  });
  afterAll(async () => {
    clients.forEach(c => c.close());
    await env?.stop();
  });

  it('keeps a session in files only the backend may read, served as the same asciicast', async () => {
    const { client, sessionId } = await open(ALICE);
    client.type('echo in-a-file-$((2*3))\r');
    await client.waitForOutput(/in-a-file-6\r\n/);
    client.type('exit\r');
    await client.waitForClose();
    await eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`, ALICE);
      expect(res.body.recording).toMatchObject({
        inProgress: false,
        truncated: false,
      });
    });
    expect(fs.statSync(directory).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(directory).sort()).toEqual([
      `${sessionId}.events`,
      `${sessionId}.json`,
    ]);
    for (const name of fs.readdirSync(directory)) {
      expect(fs.statSync(path.join(directory, name)).mode & 0o777).toBe(0o600);
    }
    const cast = parseAsciicast((await recording(sessionId)).body);
    expect(
      cast.events
        .filter(([, code]) => code === 'o')
        .map(([, , data]) => data)
        .join(''),
    ).toBe(client.output);
    expect(
      cast.events.filter(([, code]) => code === 'm').map(([, , l]) => l),
    ).toEqual(['echo in-a-file-$((2*3))', 'exit']);
  });

  it('ends the session when its directory is gone (fail-closed), and writes what it held once it is back', async () => {
    const { client, sessionId } = await open(ALICE);
    client.type('echo before-$((1+1))\r');
    await client.waitForOutput(/before-2\r\n/);
    // What was shown so far is on disk before the directory goes.
    await eventually(async () => {
      const res = await recording(sessionId);
      expect(res.body).toContain('before-2\\r\\n');
    });
    const away = `${directory}-away`;
    fs.renameSync(directory, away);
    try {
      client.type('echo unrecordable\r');
      await client.waitForClose(15_000);
      expect(client.closed).toMatchObject({
        code: TerminalCloseCode.AuditUnavailable,
        reason:
          'the session was ended because its recording could not be written',
      });
    } finally {
      fs.renameSync(away, directory);
    }
    const kept = await eventually(async () => {
      const res = await recording(sessionId);
      expect(res.body).toContain('recording stopped');
      return parseAsciicast(res.body);
    }, 20_000);
    const shown = kept.events
      .filter(([, code]) => code === 'o')
      .map(([, , data]) => data)
      .join('');
    // Nothing twice, nothing cut: the retried writes append exactly once.
    expect(client.output.startsWith(shown)).toBe(true);
    expect(shown).toContain('unrecordable');
  });
});
