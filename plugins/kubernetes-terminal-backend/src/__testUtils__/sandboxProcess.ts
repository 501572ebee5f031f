import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

/** The demo portal's seed. */
export const DEMO_SEED = path.join(ROOT, 'examples/sandbox-seed.yaml');

/**
 * A sandbox in a process of its own, so that its PTYs and processes do not share the backend's event
 * loop (as in a real deployment, where the cluster is elsewhere).
 */
export async function startSandboxProcess(
  seed: string = DEMO_SEED,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'packages/kube-sandbox/bin/kube-sandbox'),
      '--port',
      '0',
      '--seed',
      seed,
      '--start-delay-ms',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', d => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', code => reject(new Error(`sandbox exited (${code})`)));
  });
  child.stderr!.resume();
  return { child, url };
}
