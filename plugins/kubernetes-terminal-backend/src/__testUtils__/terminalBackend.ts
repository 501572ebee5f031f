import {
  mockCredentials,
  mockServices,
  startTestBackend,
  type TestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { AuthorizeResult } from '@backstage/plugin-permission-common';
import { startSandbox, type SandboxCluster } from '@internal/kube-sandbox';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { JsonObject } from '@backstage/types';
import { kubernetesTerminalPlugin } from '../plugin';

export const DEMO_POD = 'demo-service-7d9f8b6c5-abcde';
export const APP_ORIGIN = 'http://localhost:3000';

const SEED = path.resolve(__dirname, '../../../../examples/sandbox-seed.yaml');

export const demoEntities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'demo-service',
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': 'demo-service' },
    },
    spec: { owner: 'guests' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'docs-site', namespace: 'default' },
    spec: { owner: 'guests' },
  },
];

export interface TerminalTestEnv {
  sandbox: SandboxCluster;
  backend: TestBackend;
  port: number;
  stop(): Promise<void>;
}

/**
 * A sandbox cluster seeded with the demo, and a test backend with the terminal plugin pointed at it.
 * `decide` answers every permission request; requests without a token are unauthenticated.
 */
export async function startTerminalTestEnv(options: {
  decide: (permission: string, userEntityRef: string) => AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  extraClusters?: JsonObject[];
  terminalConfig?: JsonObject;
}): Promise<TerminalTestEnv> {
  const sandbox = await startSandbox({ port: 0, seed: SEED, startDelayMs: 0 });
  const backend = await startTestBackend({
    features: [
      kubernetesTerminalPlugin,
      catalogServiceMock.factory({ entities: demoEntities }),
      mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
      mockServices.permissions.mock({
        authorize: async (requests, { credentials }) => {
          const user = (credentials.principal as { userEntityRef: string }).userEntityRef;
          return requests.map(r => ({ result: options.decide(r.permission.name, user) }));
        },
      }).factory,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: APP_ORIGIN },
          kubernetes: {
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
                  },
                  ...(options.extraClusters ?? []),
                ],
              },
            ],
          },
          kubernetesTerminal: options.terminalConfig ?? {},
        },
      }),
    ],
  });
  return {
    sandbox,
    backend,
    port: (backend.server.address() as AddressInfo).port,
    async stop() {
      await backend.stop();
      await sandbox.close();
    },
  };
}
