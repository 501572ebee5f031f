import net, { type AddressInfo } from 'node:net';

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
