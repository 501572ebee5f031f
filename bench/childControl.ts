/*
 * The IPC side of a backend under test (backendChild.ts, proxyChild.ts): memory after a full GC
 * (the process runs with --expose-gc), on-demand V8 CPU profiles, and stop.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

async function fullGc() {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise(r => setTimeout(r, 20));
  }
  return !!gc;
}

export function serveControl(port: number, stop: () => Promise<void>) {
  let inspector: Session | undefined;
  process.on(
    'message',
    async (msg: { type: string; id: number; file?: string }) => {
      if (msg.type === 'prof-start') {
        inspector = new Session();
        inspector.connect();
        await inspector.post('Profiler.enable');
        await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
        await inspector.post('Profiler.start');
        process.send!({ type: 'prof-start', id: msg.id });
      } else if (msg.type === 'prof-stop') {
        const { profile } = await inspector!.post('Profiler.stop');
        fs.writeFileSync(msg.file!, JSON.stringify(profile));
        inspector!.disconnect();
        inspector = undefined;
        process.send!({ type: 'prof-stop', id: msg.id });
      } else if (msg.type === 'mem') {
        const gc = await fullGc();
        process.send!({
          type: 'mem',
          id: msg.id,
          gc,
          usage: process.memoryUsage(),
        });
      } else if (msg.type === 'stop') {
        await stop().catch(() => {});
        process.exit(0);
      }
    },
  );
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', port });
}
