import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in API server that answers every pod list and keeps each request's Authorization header
 * and all its headers (repeated ones apart); on a free port unless given one.
 */
export async function standInApiServer(port = 0) {
  const seen: (string | undefined)[] = [];
  const headers: NodeJS.Dict<string[]>[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    headers.push(req.headersDistinct);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [] }));
  });
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, headers, close: () => server.close() };
}
