/*
 * Private clusters: what the agent's tunnel costs next to the direct path. Run by `yarn bench:agent`
 * (`--quick`: smaller workloads; `--write`: rewrites its section of docs/benchmarks.md).
 *
 * One backend (its own process) with two clusters that are the same sandbox (its own process) over TLS:
 * `direct`, dialled by the backend, and `agent`, reached only through the agent (its own process) —
 * an HTTP/2 CONNECT stream over the agent's WebSocket, with TLS to the sandbox inside it. Workloads,
 * interleaved direct/agent, best of the rounds for throughput, all samples for latency:
 * - keystroke echo: `exec cat` in the tty, one key at a time, each waiting for its echo;
 * - TTY throughput: `head -c N /dev/zero` in the tty, to a marker;
 * - memory: idle sessions opened to the prompt, per session, after a forced GC, in the backend and
 *   in the agent.
 * Targets (issue 19): throughput through the agent ≥ 90 % of direct; echo p99 ≤ direct + 1 ms.
 */
import {
  hashAgentToken,
  newAgentToken,
} from '../packages/kubernetes-terminal-agent/src';
import os from 'node:os';
import path from 'node:path';
import { OursTerm, now } from './clients';
import {
  BackendProcess,
  firstLine,
  log,
  procCpuMs,
  sleep,
  startChild,
  writeDocSection,
} from './processes';

const QUICK = process.argv.includes('--quick');
const WRITE = process.argv.includes('--write');
const ROUNDS = QUICK ? 1 : 5;
const KEYS = QUICK ? 200 : 1000;
const BULK_BYTES = (QUICK ? 16 : 64) * 1024 * 1024;
const IDLE_SESSIONS = QUICK ? 10 : 100;
const ROOT = path.resolve(__dirname, '..');
const MiB = 1024 * 1024;
const PATHS = ['direct', 'agent'] as const;
type PathName = (typeof PATHS)[number];
const CLUSTER: Record<PathName, string> = { direct: 'tls', agent: 'private' };

function quantile(values: number[], q: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function openShell(port: number, path_: PathName) {
  const t = await OursTerm.open(port, { cluster: CLUSTER[path_] });
  await t.waitPrompt();
  return t;
}

async function echo(port: number, path_: PathName, n: number, warmup = 20) {
  const t = await openShell(port, path_);
  try {
    await t.runUntilMarker('exec cat\r', 'exec cat\r\n');
    await sleep(50);
    const rtts: number[] = [];
    for (let i = 0; i < n + warmup; i++) {
      const before = t.total;
      const t0 = now();
      t.write('x');
      await t.waitBytes(before + 1, 5000);
      if (i >= warmup) rtts.push(now() - t0);
      if ((i + 1) % 50 === 0) {
        const b = t.total;
        t.write('\r');
        await t.waitBytes(b + 2 + 50 + 2, 5000);
      }
    }
    return rtts;
  } finally {
    await t.close();
  }
}

async function bulk(
  port: number,
  path_: PathName,
  pids: { backend: number; agent: number; sandbox: number },
) {
  const t = await openShell(port, path_);
  try {
    const cpu0 = {
      backend: procCpuMs(pids.backend),
      agent: procCpuMs(pids.agent),
      sandbox: procCpuMs(pids.sandbox),
      client: process.cpuUsage(),
    };
    const ms = await t.runUntilMarker(
      `head -c ${BULK_BYTES} /dev/zero; echo BENCH_''DONE\r`,
      'BENCH_DONE',
    );
    if (t.total < BULK_BYTES) {
      throw new Error(`got ${t.total} bytes, wanted ${BULK_BYTES}`);
    }
    const mib = BULK_BYTES / MiB;
    const client = process.cpuUsage(cpu0.client);
    const perMiB = {
      backend: (procCpuMs(pids.backend) - cpu0.backend) / mib,
      agent: (procCpuMs(pids.agent) - cpu0.agent) / mib,
      sandbox: (procCpuMs(pids.sandbox) - cpu0.sandbox) / mib,
      client: (client.user + client.system) / 1000 / mib,
    };
    return {
      mibps: mib / (ms / 1000),
      backendCpuMsPerMiB: perMiB.backend,
      agentCpuMsPerMiB: perMiB.agent,
      // Every process of the bench shares this machine's cores: the throughput is bounded by their sum.
      totalCpuMsPerMiB:
        perMiB.backend + perMiB.agent + perMiB.sandbox + perMiB.client,
      wallMsPerMiB: ms / mib,
    };
  } finally {
    await t.close();
  }
}

async function idleMemory(
  port: number,
  path_: PathName,
  backend: BackendProcess,
  agent: BackendProcess,
) {
  const before = {
    backend: await backend.memory(),
    agent: await agent.memory(),
  };
  const terms: OursTerm[] = [];
  for (let i = 0; i < IDLE_SESSIONS; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, IDLE_SESSIONS - i) }, () =>
        OursTerm.open(port, { cluster: CLUSTER[path_] }),
      ),
    );
    await Promise.all(batch.map(t => t.waitPrompt()));
    terms.push(...batch);
  }
  await sleep(1000);
  const after = {
    backend: await backend.memory(),
    agent: await agent.memory(),
  };
  const perSession = (a: NodeJS.MemoryUsage, b: NodeJS.MemoryUsage) =>
    (a.heapUsed + a.external - b.heapUsed - b.external) / IDLE_SESSIONS / 1024;
  await Promise.all(terms.map(t => t.close()));
  await sleep(500);
  return {
    backendKiB: perSession(after.backend.usage, before.backend.usage),
    agentKiB: perSession(after.agent.usage, before.agent.usage),
  };
}

async function main() {
  const sandboxChild = startChild('sandboxChild.ts', []);
  const children = [sandboxChild];
  process.on('exit', () => children.forEach(c => c.kill('SIGKILL')));
  const sandbox = JSON.parse(await firstLine(sandboxChild, 'sandbox'));
  const caData = Buffer.from(sandbox.caCertificate).toString('base64');
  const token = newAgentToken();
  const cluster = (name: string, url: string) => ({
    name,
    url,
    authProvider: 'serviceAccount',
    serviceAccountToken: 'sandbox-portal-token',
    caData,
  });
  const backend = await BackendProcess.start('backendChild.ts', sandbox, {
    extraClusters: [
      cluster('tls', sandbox.httpsUrl),
      cluster('private', 'https://kubernetes.default.svc:443'),
    ],
    terminalConfig: {
      clusters: {
        private: {
          agent: { tokens: [{ id: 'bench', sha256: hashAgentToken(token) }] },
        },
      },
    },
  });
  children.push(backend.child);
  const agent = await BackendProcess.start(
    'agentChild.ts',
    {},
    {
      portalUrl: `http://127.0.0.1:${backend.port}/api/kubernetes-terminal`,
      token,
      sandboxPort: Number(new URL(sandbox.httpsUrl).port),
    },
  );
  children.push(agent.child);
  const pids = {
    backend: backend.child.pid!,
    agent: agent.child.pid!,
    sandbox: sandboxChild.pid!,
  };
  const port = backend.port;
  try {
    // Warm-up: both paths once, so that code is compiled and connections pooled.
    for (const p of PATHS) await echo(port, p, 50);
    const rtts: Record<PathName, number[]> = { direct: [], agent: [] };
    const tput: Record<PathName, Array<Awaited<ReturnType<typeof bulk>>>> = {
      direct: [],
      agent: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of round % 2 ? [...PATHS].reverse() : PATHS) {
        log(`round ${round + 1}/${ROUNDS}: ${p}`);
        rtts[p].push(
          ...(await backend.profiled(`echo-${p}-backend`, () =>
            p === 'agent'
              ? agent.profiled('echo-agent', () => echo(port, p, KEYS))
              : echo(port, p, KEYS),
          )),
        );
        // BENCH_BACKEND_PROF=<dir>: CPU profiles of the backend and the agent during the bulk output.
        tput[p].push(
          await backend.profiled(`bulk-${p}-backend`, () =>
            p === 'agent'
              ? agent.profiled('bulk-agent', () => bulk(port, p, pids))
              : bulk(port, p, pids),
          ),
        );
      }
    }
    const memory: Record<PathName, Awaited<ReturnType<typeof idleMemory>>> = {
      direct: await idleMemory(port, 'direct', backend, agent),
      agent: await idleMemory(port, 'agent', backend, agent),
    };
    const best = (p: PathName) =>
      tput[p].reduce((a, b) => (b.mibps > a.mibps ? b : a));
    const fmt = (x: number, d = 2) => x.toFixed(d);
    const p99 = (p: PathName) => quantile(rtts[p], 0.99);
    const ratio = best('agent').mibps / best('direct').mibps;
    const echoDelta = p99('agent') - p99('direct');
    const rows = [
      ['figure', 'direct', 'through the agent'],
      [
        `keystroke echo p50 / p99, ${KEYS * ROUNDS} keys`,
        `${fmt(quantile(rtts.direct, 0.5))} / ${fmt(p99('direct'))} ms`,
        `${fmt(quantile(rtts.agent, 0.5))} / ${fmt(p99('agent'))} ms`,
      ],
      [
        `TTY throughput, ${BULK_BYTES / MiB} MiB (best of ${ROUNDS})`,
        `${fmt(best('direct').mibps, 1)} MiB/s`,
        `${fmt(best('agent').mibps, 1)} MiB/s (${fmt(ratio * 100, 1)} %)`,
      ],
      [
        'backend CPU per MiB of TTY output',
        `${fmt(best('direct').backendCpuMsPerMiB, 1)} ms`,
        `${fmt(best('agent').backendCpuMsPerMiB, 1)} ms`,
      ],
      [
        'agent CPU per MiB',
        '—',
        `${fmt(best('agent').agentCpuMsPerMiB, 1)} ms`,
      ],
      [
        `CPU per MiB, all processes (backend, agent, sandbox, client) / wall per MiB, ${
          os.cpus().length
        } cores`,
        `${fmt(best('direct').totalCpuMsPerMiB, 1)} / ${fmt(
          best('direct').wallMsPerMiB,
          1,
        )} ms`,
        `${fmt(best('agent').totalCpuMsPerMiB, 1)} / ${fmt(
          best('agent').wallMsPerMiB,
          1,
        )} ms`,
      ],
      [
        `memory per idle session, backend (${IDLE_SESSIONS} sessions)`,
        `${fmt(memory.direct.backendKiB, 1)} KiB`,
        `${fmt(memory.agent.backendKiB, 1)} KiB`,
      ],
      [
        'memory per idle session, agent',
        '—',
        `${fmt(memory.agent.agentKiB, 1)} KiB`,
      ],
    ];
    const targets = [
      `throughput through the agent ≥ 90 % of direct: ${fmt(
        ratio * 100,
        1,
      )} % — **${ratio >= 0.9 ? 'met' : 'NO'}**`,
      `echo p99 through the agent ≤ direct + 1 ms: +${fmt(echoDelta)} ms — **${
        echoDelta <= 1 ? 'met' : 'NO'
      }**`,
    ];
    const table = [
      `| ${rows[0].join(' | ')} |`,
      '| --- | --- | --- |',
      ...rows.slice(1).map(r => `| ${r.join(' | ')} |`),
    ].join('\n');
    console.log(table);
    console.log(targets.join('\n'));
    if (WRITE) {
      const file = path.join(ROOT, 'docs/benchmarks.md');
      writeDocSection(
        file,
        'bench/agent.ts',
        'Private clusters through the agent (`yarn bench:agent`)',
        `- date: ${new Date().toISOString()}, mode: **${
          QUICK ? 'quick' : 'full'
        }**, ${ROUNDS} rounds
- node ${process.version}, nproc ${os.cpus().length}, ${
          os.cpus()[0]?.model ?? '?'
        }

${table}

${targets.map(t => `- ${t}`).join('\n')}`,
      );
    }
  } finally {
    await agent.stop();
    await backend.stop();
    sandboxChild.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
