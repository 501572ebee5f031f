/*
 * The private-cluster agent in a process of its own (its CPU and memory are its own), relaying to the
 * sandbox's TLS port. Argument: JSON {portalUrl, token, sandboxPort}. Says it is ready (IPC, as
 * childControl.ts: memory after GC, stop) once its tunnel is open.
 */
import net from 'node:net';
import { TunnelAgent } from '../packages/kubernetes-terminal-agent/src';
import { serveControl } from './childControl';

async function main() {
  const { portalUrl, token, sandboxPort } = JSON.parse(process.argv[2]) as {
    portalUrl: string;
    token: string;
    sandboxPort: number;
  };
  const agent = new TunnelAgent({
    portalUrl,
    token,
    cluster: 'private',
    apiServer: 'kubernetes.default.svc:443',
    version: 'bench',
    // The cluster's DNS: the in-cluster name is the sandbox here.
    dial: () => net.connect(sandboxPort, '127.0.0.1'),
  });
  // Ready (for BackendProcess.start) once the tunnel is open.
  let served = false;
  agent.onState(state => {
    if (state.status === 'connected' && !served) {
      served = true;
      serveControl(0, () => agent.stop());
    }
  });
  agent.start();
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
