/*
 * Investigation of one figure: non-TTY bulk output over direct, ours and /proxy, N interleaved runs,
 * with each process's CPU per MiB. Not part of `yarn bench`.
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/pipe.ts [MiB=128] [runs=3]
 * BENCH_OURS_CONFIG and BENCH_BACKEND_PROF work as in run.ts.
 */
import { DirectTerm, OursTerm, type Term, kubeConfig, now } from './clients';
import {
  BackendProcess,
  oursOptions,
  firstLine,
  log,
  procCpuMs,
  startChild,
} from './processes';

const MiB = 1024 * 1024;

async function main() {
  const mib = Number(process.argv[2] ?? 128);
  const runs = Number(process.argv[3] ?? 3);
  const bytes = mib * MiB;
  const sandboxChild = startChild('sandboxChild.ts', []);
  const children = [sandboxChild];
  process.on('exit', () => children.forEach(c => c.kill('SIGKILL')));
  const sandbox = JSON.parse(await firstLine(sandboxChild, 'sandbox'));
  const [ours, proxy] = await Promise.all([
    BackendProcess.start('backendChild.ts', sandbox, oursOptions()),
    BackendProcess.start('proxyChild.ts', sandbox),
  ]);
  children.push(ours.child, proxy.child);
  const kc = {
    direct: kubeConfig(sandbox.url, 'sandbox-portal-token'),
    proxy: kubeConfig(
      `http://127.0.0.1:${proxy.port}/api/kubernetes/proxy`,
      'mock-user-token',
    ),
  };
  const paths = ['direct', 'ours', 'proxy'] as const;
  const results: Record<string, string[]> = {
    direct: [],
    ours: [],
    proxy: [],
  };
  for (let run = -1; run < runs; run++) {
    for (const p of paths) {
      const n = run < 0 ? 16 * MiB : bytes;
      const pid =
        p === 'ours' ? ours.child.pid : p === 'proxy' ? proxy.child.pid : 0;
      const c0 = {
        server: pid ? procCpuMs(pid) : 0,
        sandbox: procCpuMs(sandboxChild.pid!),
        client: process.cpuUsage(),
      };
      const t0 = now();
      const go = async () => {
        let t: Term;
        if (p === 'ours') {
          t = await OursTerm.open(ours.port, { tty: false });
          t.write(`exec head -c ${n} /dev/zero\n`);
        } else {
          t = await DirectTerm.open(
            kc[p],
            ['head', '-c', String(n), '/dev/zero'],
            false,
          );
        }
        await t.waitFor(() => t.closed, 'close', 120_000);
        if (t.total !== n) throw new Error(`${p}: ${t.total} of ${n}`);
      };
      if (p === 'ours' && run === runs - 1)
        await ours.profiled('pipe-ours', go);
      else await go();
      const ms = now() - t0;
      const cl = process.cpuUsage(c0.client);
      const m = n / MiB;
      const line = `${(m / (ms / 1000)).toFixed(0)} MiB/s, CPU ms/MiB server ${(
        (pid ? procCpuMs(pid) - c0.server : 0) / m
      ).toFixed(2)} sandbox ${(
        (procCpuMs(sandboxChild.pid!) - c0.sandbox) /
        m
      ).toFixed(2)} client ${((cl.user + cl.system) / 1000 / m).toFixed(2)}`;
      if (run >= 0) results[p].push(line);
      log(`${run < 0 ? 'warm-up ' : ''}${p}: ${line}`);
    }
  }
  for (const p of paths) console.log(p, '\n  ' + results[p].join('\n  '));
  await Promise.all([ours.stop(), proxy.stop()]);
  process.exit(0);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
