/*
 * Path (3): Backstage's own kubernetes-backend (@backstage/plugin-kubernetes-backend) and its /proxy
 * endpoint, which relays the exec WebSocket to the cluster (what Backstage's PodExecTerminal uses).
 * Same test-backend wiring as ours: mock auth, permissions ALLOW, the sandbox cluster from config.
 * Argument: JSON {sandbox}. IPC: see childControl.ts.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { AddressInfo } from 'node:net';
import { serveControl } from './childControl';

async function main() {
  const { sandbox } = JSON.parse(process.argv[2]) as {
    sandbox: { url: string };
  };
  const backend = await startTestBackend({
    features: [
      import('@backstage/plugin-kubernetes-backend'),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          kubernetes: {
            serviceLocatorMethod: { type: 'multiTenant' },
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'sandbox',
                    url: sandbox.url,
                    authProvider: 'serviceAccount',
                    serviceAccountToken: 'sandbox-portal-token',
                    skipTLSVerify: true,
                    skipMetricsLookup: true,
                  },
                ],
              },
            ],
          },
        },
      }),
    ],
  });
  // Backstage's /proxy hands exec upgrades to Express, where Node's HTTP server still counts them as
  // requests whose headers never completed: every proxied terminal is cut at 90 s (measured: idle or
  // typing, all at 90.0 s), which the scale phase outlives. Off here, so that the figures are the
  // relay's; ours keeps its own upgrade listener and is not affected (hardening suite).
  backend.server.headersTimeout = 0;
  backend.server.requestTimeout = 0;
  serveControl((backend.server.address() as AddressInfo).port, () =>
    backend.stop(),
  );
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
