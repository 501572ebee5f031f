import knexFactory, { type Knex } from 'knex';
import net, { type AddressInfo } from 'node:net';
import {
  type SandboxEndpoint,
  type TerminalBackendOptions,
  startTerminalBackend,
} from './terminalBackend';

/** A fixed address for a replica whose real port is known only once it runs. */
export async function addressFor(): Promise<{
  port: number;
  pointTo(port: number): void;
  close(): void;
}> {
  let target = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    pointTo: port => {
      target = port;
    },
    close: () => {
      sockets.forEach(s => s.destroy());
      server.close();
    },
  };
}

/**
 * Two backend replicas on one database (the test's `first` knex and a second connection to it), each
 * with the address the other reaches it at (`resume.instanceUrl`, a port forwarded to the replica as a
 * pod IP would be). `terminalConfig` gets that address; what else each replica has is `options`'.
 */
export async function startTwoReplicas(
  sandbox: SandboxEndpoint,
  first: Knex,
  options: (instanceUrl: string) => TerminalBackendOptions,
): Promise<{
  backends: Array<Awaited<ReturnType<typeof startTerminalBackend>>>;
  /** The replicas' fixed addresses, as `resume.instanceUrl` names them. */
  instanceUrls: string[];
  stop(): Promise<void>;
}> {
  const knexes = [first, knexFactory(first.client.config)];
  const forwards: Array<Awaited<ReturnType<typeof addressFor>>> = [];
  const backends: Array<Awaited<ReturnType<typeof startTerminalBackend>>> = [];
  const instanceUrls: string[] = [];
  for (const knex of knexes) {
    const forward = await addressFor();
    forwards.push(forward);
    const instanceUrl = `http://127.0.0.1:${forward.port}/api/kubernetes-terminal`;
    instanceUrls.push(instanceUrl);
    const started = await startTerminalBackend(sandbox, {
      skipTaskRunOnStartup: true,
      ...options(instanceUrl),
      knex,
    });
    forward.pointTo(started.port);
    backends.push(started);
  }
  return {
    backends,
    instanceUrls,
    async stop() {
      for (const b of backends) await b.backend.stop();
      forwards.forEach(f => f.close());
      await knexes[1].destroy();
    },
  };
}
