import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeSharedConnectionApiClient } from './sharedConnectionApi';

describe('makeSharedConnectionApiClient', () => {
  let server: http.Server;
  let connections = 0;
  const authorizations: Array<string | undefined> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: {},
          items: [],
        }),
      );
    });
    server.on('connection', () => connections++);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise(resolve => server.close(resolve)));

  function kubeConfig() {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      // skipTLSVerify gives the KubeConfig TLS options, which is when it builds an Agent per request.
      clusters: [
        {
          name: 'c',
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    return kc;
  }

  it('sends the requests of a client over one connection pool, authenticated', async () => {
    connections = 0;
    authorizations.length = 0;
    const api = makeSharedConnectionApiClient(kubeConfig(), CoreV1Api);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      await api.listNamespacedPod({ namespace: 'demo' });
      seen.push(connections);
    }
    // undici may open a second connection while the first response is still being read; no more.
    expect(seen[4]).toBeLessThanOrEqual(2);
    expect(new Set(seen.slice(1)).size).toBe(1);
    expect(authorizations).toEqual(Array(5).fill('Bearer secret-token'));
  });

  it('differs from makeApiClient, which opens a connection per request', async () => {
    connections = 0;
    const api = kubeConfig().makeApiClient(CoreV1Api);
    for (let i = 0; i < 3; i++) {
      await api.listNamespacedPod({ namespace: 'demo' });
    }
    expect(connections).toBe(3);
  });
});
