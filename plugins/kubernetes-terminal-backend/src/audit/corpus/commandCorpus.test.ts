import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { eventually } from '../../__testUtils__/eventually';
import { Random, seedFromEnv } from '../../__testUtils__/fuzz';
import { startSandboxProcess } from '../../__testUtils__/sandboxProcess';
import {
  openTerminal,
  startTerminalBackend,
} from '../../__testUtils__/terminalBackend';
import { CORPUS as ALL_CASES } from '../../__testUtils__/corpus/cases';
import type { CorpusCase } from '../../__testUtils__/corpus/corpusCase';
import { CaseRunner } from '../../__testUtils__/corpus/runCase';
import {
  scoreCase,
  summarize,
  formatSummary,
  type CaseScore,
} from '../../__testUtils__/corpus/score';

/*
 * The command audit's ground truth: every case of the corpus is a session typed against the sandbox
 * through the real relay, and the audit log must hold exactly the case's commands. Prints precision
 * and recall per shell; fails on any false command or leaked secret, and below the recall targets.
 */

const SEED = seedFromEnv(20261207);
/** `CORPUS_ONLY=pattern` plays the cases whose name matches, to look into one. */
const ONLY = process.env.CORPUS_ONLY;
const CORPUS = ONLY
  ? ALL_CASES.filter(c => new RegExp(ONLY).test(c.name))
  : ALL_CASES;
const CONCURRENCY = 6;
const BASE = '/api/kubernetes-terminal';
const USER = 'user:default/corpus';
const TARGETS = { bash: 0.99, sh: 0.95 };
jest.setTimeout(600_000);

/** The pods the corpus types into: bash (with busybox ash as `ash`), and busybox ash as `sh`. */
function corpusSeed(): string {
  const common = [
    'cat',
    'echo',
    'ls',
    'pwd',
    'id',
    'tr',
    'wc',
    'touch',
    'printf',
    'sleep',
    'seq',
    'less',
    'vi',
    'top',
    'clear',
    'tput',
    'head',
    'stty',
    'env',
    // The host's python3 may be a version manager's shim, which needs its own PATH.
    'python3=/usr/bin/python3',
  ];
  const pod = (name: string, tools: string[]) => ({
    name,
    namespace: 'demo',
    labels: { 'backstage.io/kubernetes-id': 'demo-service' },
    containers: [
      {
        name: 'shell',
        image: 'corpus',
        tools,
        env: [{ name: 'LANG', value: 'C.UTF-8' }],
      },
    ],
  });
  const seed = {
    namespaces: [{ name: 'demo' }],
    users: [{ name: 'portal', token: 'sandbox-portal-token' }],
    pods: [
      pod('corpus-bash', ['bash', 'ash=busybox', ...common]),
      // bash under another name, to nest: the terminal would start bash first.
      pod('corpus-sh', ['sh=busybox', 'bash5=bash', ...common]),
    ],
    objects: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'portal-admin' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [
          {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'User',
            name: 'portal',
          },
        ],
      },
    ],
  };
  const file = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'command-corpus-')),
    'seed.json',
  );
  fs.writeFileSync(file, JSON.stringify(seed));
  return file;
}

describe(`command audit corpus: ${CORPUS.length} sessions`, () => {
  let env: Awaited<ReturnType<typeof startTerminalBackend>>;
  let sandbox: ChildProcess | undefined;

  beforeAll(async () => {
    const started = await startSandboxProcess(corpusSeed());
    sandbox = started.child;
    env = await startTerminalBackend(
      { url: started.url, httpsUrl: '', caCertificate: '' },
      {
        decide: () => AuthorizeResult.ALLOW,
        terminalConfig: {
          maxSessionsPerUser: CORPUS.length + 10,
          recording: { enabled: false },
        },
      },
    );
  });
  afterAll(async () => {
    await env?.backend.stop();
    sandbox?.kill('SIGTERM');
  });

  async function commandsOf(id: string) {
    const res = await request(env.backend.server)
      .get(`${BASE}/audit-events?sessionId=${id}&limit=500`)
      .set('Authorization', mockCredentials.user.header(USER));
    const events = (res.body.items as any[]).reverse();
    if (!events.some(e => e.type === 'disconnect'))
      throw new Error(
        `session ${id} has not ended yet: ${res.status} ${JSON.stringify(
          events.map(e => e.type),
        )}`,
      );
    return events
      .filter(e => e.type === 'command_executed')
      .map(e => ({
        command: String(e.command),
        uncertain: e.details?.uncertain === true,
      }));
  }

  async function play(c: CorpusCase, index: number): Promise<CaseScore> {
    const { client, sessionId } = await openTerminal(env.backend.server, USER, {
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      namespace: 'demo',
      pod: c.shell === 'bash' ? 'corpus-bash' : 'corpus-sh',
      container: 'shell',
      ...c.size,
    });
    const runner = new CaseRunner(client, new Random(SEED + index), c.size);
    let error: string | undefined;
    try {
      await client.waitFor(
        // eslint-disable-next-line no-control-regex
        () => /[#$] (\x1b\[[0-9;?]*[a-zA-Z])*$/.test(client.output),
        'the first prompt',
        30_000,
      );
      await runner.play(c);
      if (c.endsItself) await client.waitForClose(15_000);
    } catch (e) {
      // Scored all the same: a case that could not be played to its end has missed its commands.
      error = (e as Error).message;
    } finally {
      runner.dispose();
      client.close();
    }
    const recorded = await eventually(() => commandsOf(sessionId), 20_000);
    return scoreCase(c, recorded, client.output, error);
  }

  it('records exactly the commands that were run, and nothing typed into programs', async () => {
    const started = Date.now();
    const cases = CORPUS;
    const scores: CaseScore[] = new Array(cases.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const index = next++;
          scores[index] = await play(cases[index], index);
        }
      }),
    );
    const summary = summarize(scores);
    // eslint-disable-next-line no-console
    console.log(
      `${formatSummary(summary)}\n${cases.length} sessions in ${(
        (Date.now() - started) /
        1000
      ).toFixed(1)} s (seed ${SEED})`,
    );
    if (ONLY) {
      // eslint-disable-next-line no-console
      console.log(scores.map(s => JSON.stringify(s.outputTail)).join('\n'));
      return;
    }
    expect(CORPUS.length).toBeGreaterThanOrEqual(80);
    expect(summary.errors).toEqual([]);
    expect(summary.leaks).toEqual([]);
    expect(summary.byShell.bash.falsePositives).toBe(0);
    expect(summary.byShell.sh.falsePositives).toBe(0);
    expect(summary.byShell.bash.recall).toBeGreaterThanOrEqual(TARGETS.bash);
    expect(summary.byShell.sh.recall).toBeGreaterThanOrEqual(TARGETS.sh);
  });
});
