// The portal's one URL in front of its backend replicas, as a load balancer or an ingress is: it
// forwards TCP to the replica it points at, and can cut every connection (as a network blip or a
// proxy restart does) or refuse new ones for a while (as a network that is down does).
import net from 'node:net';

export async function startFrontProxy(port, targetPort) {
  let target = targetPort;
  let refusing = false;
  const sockets = new Set();
  const server = net.createServer(socket => {
    if (refusing) {
      socket.destroy();
      return;
    }
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(socket);
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    /** Later connections go to this replica. */
    pointTo(port) {
      target = port;
    },
    /** Cuts every open connection, without a close frame or a FIN the peers could read as a choice. */
    cut() {
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
    },
    /** While true, new connections are dropped at once. */
    refuse(value) {
      refusing = value;
    },
    close() {
      this.cut();
      return new Promise(resolve => server.close(() => resolve()));
    },
  };
}
