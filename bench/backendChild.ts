/*
 * Our terminal backend (the real plugin, with the test-backend wiring of
 * plugins/kubernetes-terminal-backend/src/__testUtils__/terminalBackend.ts) in a process of its own,
 * started with --expose-gc. Argument: JSON {sandbox, terminalConfig?, extraClusters?} (terminalConfig is merged into
 * `kubernetesTerminal`). IPC: see childControl.ts.
 */
import {
  startTerminalBackend,
  type SandboxEndpoint,
} from '../plugins/kubernetes-terminal-backend/src/__testUtils__/terminalBackend';
import { serveControl } from './childControl';

async function main() {
  const { sandbox, terminalConfig, extraClusters } = JSON.parse(
    process.argv[2],
  ) as {
    sandbox: SandboxEndpoint;
    terminalConfig?: Record<string, unknown>;
    /** Clusters besides the sandbox's plain-HTTP one (`kubernetes.clusterLocatorMethods` entries). */
    extraClusters?: Array<Record<string, string | boolean>>;
  };
  const { backend, port } = await startTerminalBackend(sandbox, {
    // Idle sessions for the memory figure: no per-user cap in the way, heartbeats far apart.
    terminalConfig: {
      maxSessionsPerUser: 10_000,
      heartbeatIntervalSeconds: 600,
      ...terminalConfig,
    },
    skipTaskRunOnStartup: true,
    extraClusters,
  });
  serveControl(port, () => backend.stop());
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
