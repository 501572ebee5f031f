/*
 * The sandbox cluster in a process of its own, so that its CPU (PTYs, exec framing) is neither
 * counted in the backend's memory nor shares an event loop with the bench client.
 * Prints one JSON line {url, httpsUrl, caCertificate} once it listens; exits when stdin closes.
 */
import path from 'node:path';
import { startSandbox } from '@internal/kube-sandbox';
import { serveControl } from './childControl';

const SEED = path.resolve(__dirname, '../examples/sandbox-seed.yaml');

async function main() {
  const sandbox = await startSandbox({ port: 0, seed: SEED, startDelayMs: 0 });
  const { url, httpsUrl, caCertificate } = sandbox;
  process.stdout.write(`${JSON.stringify({ url, httpsUrl, caCertificate })}\n`);
  const stop = () => {
    sandbox.close().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  // Event-loop delay and GC on request (its own share of the latency under load).
  serveControl(0, () => sandbox.close());
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
