/*
 * The IPC side of a backend under test (backendChild.ts, proxyChild.ts): memory after a full GC
 * (the process runs with --expose-gc), event-loop delay, on-demand V8 CPU profiles and heap
 * snapshots, and stop.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import {
  PerformanceObserver,
  constants,
  monitorEventLoopDelay,
} from 'node:perf_hooks';

async function fullGc() {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise(r => setTimeout(r, 20));
  }
  return !!gc;
}

/** An inspector session of this process, after the given commands. */
async function startInspector(
  ...commands: Array<[string] | [string, object]>
): Promise<Session> {
  const session = new Session();
  session.connect();
  for (const [method, params] of commands) {
    await session.post(method as 'Profiler.enable', params as undefined);
  }
  return session;
}

export function serveControl(port: number, stop: () => Promise<void>) {
  let inspector: Session | undefined;
  let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;
  let gcPauses: Array<{ ms: number; major: boolean }> = [];
  const gcObserver = new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      gcPauses.push({
        ms: entry.duration,
        major: kind === constants.NODE_PERFORMANCE_GC_MAJOR,
      });
    }
  });
  process.on(
    'message',
    async (msg: { type: string; id: number; file?: string }) => {
      if (msg.type === 'prof-start') {
        inspector = await startInspector(
          ['Profiler.enable'],
          ['Profiler.setSamplingInterval', { interval: 100 }],
          ['Profiler.start'],
        );
        process.send!({ type: msg.type, id: msg.id });
      } else if (msg.type === 'alloc-start') {
        inspector = await startInspector(
          ['HeapProfiler.enable'],
          [
            'HeapProfiler.startSampling',
            {
              samplingInterval: 4096,
              // BENCH_ALLOC_SURVIVORS=1: only what outlived a scavenge (what gets promoted).
              includeObjectsCollectedByMajorGC: true,
              includeObjectsCollectedByMinorGC:
                !process.env.BENCH_ALLOC_SURVIVORS,
            },
          ],
        );
        process.send!({ type: msg.type, id: msg.id });
      } else if (msg.type === 'prof-stop' || msg.type === 'alloc-stop') {
        const { profile } =
          msg.type === 'prof-stop'
            ? await inspector!.post('Profiler.stop')
            : await inspector!.post('HeapProfiler.stopSampling');
        fs.writeFileSync(msg.file!, JSON.stringify(profile));
        inspector!.disconnect();
        inspector = undefined;
        process.send!({ type: msg.type, id: msg.id });
      } else if (msg.type === 'mem') {
        const gc = await fullGc();
        process.send!({
          type: 'mem',
          id: msg.id,
          gc,
          usage: process.memoryUsage(),
        });
      } else if (msg.type === 'loop-delay-start') {
        loopDelay = monitorEventLoopDelay({ resolution: 1 });
        loopDelay.enable();
        gcPauses = [];
        gcObserver.observe({ entryTypes: ['gc'] });
        process.send!({ type: 'loop-delay-start', id: msg.id });
      } else if (msg.type === 'loop-delay-stop') {
        loopDelay!.disable();
        gcObserver.disconnect();
        const ms = (ns: number) => ns / 1e6;
        process.send!({
          type: 'loop-delay-stop',
          id: msg.id,
          p50: ms(loopDelay!.percentile(50)),
          p99: ms(loopDelay!.percentile(99)),
          max: ms(loopDelay!.max),
          gcMs: gcPauses.reduce((a, b) => a + b.ms, 0),
          gcMaxMs: Math.max(0, ...gcPauses.map(g => g.ms)),
          gcCount: gcPauses.length,
          gcMajorCount: gcPauses.filter(g => g.major).length,
          gcMajorMaxMs: Math.max(
            0,
            ...gcPauses.filter(g => g.major).map(g => g.ms),
          ),
        });
        loopDelay = undefined;
      } else if (msg.type === 'heap-snapshot') {
        await fullGc();
        v8.writeHeapSnapshot(msg.file!);
        process.send!({ type: 'heap-snapshot', id: msg.id });
      } else if (msg.type === 'stop') {
        await stop().catch(() => {});
        process.exit(0);
      }
    },
  );
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', port });
}
