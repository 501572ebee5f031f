import {
  mockCredentials,
  mockServices,
  startTestBackend,
  type TestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { startSandbox, type SandboxCluster } from '@internal/kube-sandbox';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { TerminalClient } from './TerminalClient';
import path from 'node:path';
import type { JsonObject } from '@backstage/types';
import type { Knex } from 'knex';
import type {
  BackendFeature,
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
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
  /** The backend's scheduler: `triggerTask(id)` runs a task now. */
  scheduler: SchedulerService;
  stop(): Promise<void>;
}

/** How a test backend reaches its sandbox: a running one, or its coordinates in another process. */
export type SandboxEndpoint = Pick<
  SandboxCluster,
  'url' | 'httpsUrl' | 'caCertificate'
>;

export interface TerminalBackendOptions {
  /** Answers every permission request; without it, everything is allowed. */
  decide?: (
    permission: string,
    userEntityRef: string,
    /** The catalog entity of a resource permission: a policy's conditions, decided. */
    resourceRef?: string,
  ) => AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  extraClusters?: JsonObject[] | ((sandbox: SandboxEndpoint) => JsonObject[]);
  terminalConfig?: JsonObject | ((sandbox: SandboxEndpoint) => JsonObject);
  /** A database shared with another backend; otherwise each backend has its own. */
  knex?: Knex;
  /** Tasks run only when triggered, not once at start-up. */
  skipTaskRunOnStartup?: boolean;
  /** More features: service factories (e.g. loggers that capture what is logged; they win over the defaults), backend modules. */
  features?: Array<ServiceFactory | BackendFeature>;
}

/**
 * A test backend with the terminal plugin pointed at a sandbox; requests without a token are
 * unauthenticated. Usable outside Jest too (see crashableBackend.ts).
 */
export async function startTerminalBackend(
  sandbox: SandboxEndpoint,
  options: TerminalBackendOptions,
): Promise<{
  backend: TestBackend;
  port: number;
  scheduler: SchedulerService;
}> {
  // The mock scheduler is a class the package does not export; its factory installs this instance.
  const scheduler = mockServices.scheduler() as SchedulerService & {
    factory(o?: { skipTaskRunOnStartup?: boolean }): ServiceFactory;
  };
  const resolve = <T>(value: T | ((s: SandboxEndpoint) => T) | undefined) =>
    typeof value === 'function'
      ? (value as (s: SandboxEndpoint) => T)(sandbox)
      : value;
  const decide = options.decide;
  const backend = await startTestBackend({
    features: [
      kubernetesTerminalPlugin,
      ...(options.features ?? []),
      scheduler.factory({ skipTaskRunOnStartup: options.skipTaskRunOnStartup }),
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      catalogServiceMock.factory({ entities: demoEntities }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      decide
        ? mockServices.permissions.mock({
            authorize: async (requests, { credentials }) => {
              const user = (credentials.principal as { userEntityRef: string })
                .userEntityRef;
              return requests.map(r => ({
                result: decide(
                  r.permission.name,
                  user,
                  (r as { resourceRef?: string }).resourceRef,
                ),
              }));
            },
          }).factory
        : mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
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
                  ...(resolve(options.extraClusters) ?? []),
                ],
              },
            ],
          },
          kubernetesTerminal: resolve(options.terminalConfig) ?? {},
        },
      }),
    ],
  });
  return {
    backend,
    port: (backend.server.address() as AddressInfo).port,
    scheduler,
  };
}

/**
 * A sandbox cluster seeded with the demo (or a running one, left running on stop), and a test backend
 * with the terminal plugin pointed at it.
 */
export async function startTerminalTestEnv(
  options: TerminalBackendOptions & {
    decide: NonNullable<TerminalBackendOptions['decide']>;
    sandbox?: SandboxCluster;
  },
): Promise<TerminalTestEnv> {
  const sandbox = options.sandbox ?? (await startDemoSandbox());
  const { backend, port, scheduler } = await startTerminalBackend(
    sandbox,
    options,
  );
  return {
    sandbox,
    backend,
    port,
    scheduler,
    async stop() {
      await backend.stop();
      if (!options.sandbox) {
        await sandbox.close();
      }
    },
  };
}

/** The demo seed; tokens may be as short-lived as session pod tests need. */
export function startDemoSandbox(): Promise<SandboxCluster> {
  return startSandbox({
    port: 0,
    seed: SEED,
    startDelayMs: 0,
    minTokenExpirationSeconds: 1,
  });
}

/** The demo pod's app container, as `POST /sessions` names it. */
export const DEMO_TARGET = {
  entityRef: 'component:default/demo-service',
  cluster: 'sandbox',
  namespace: 'demo',
  pod: DEMO_POD,
  container: 'app',
};

/**
 * Opens a terminal as the browser does: `POST /sessions` as `user`, then the stream with its ticket;
 * resolves once a shell runs (unless `connected: false`).
 */
export async function openTerminal(
  server: Server,
  user: string,
  body: Record<string, unknown> = DEMO_TARGET,
  options: { connected?: boolean } = {},
): Promise<{ client: TerminalClient; sessionId: string; ticket: string }> {
  const res = await request(server)
    .post('/api/kubernetes-terminal/sessions')
    .set('Authorization', mockCredentials.user.header(user))
    .send(body);
  if (res.status !== 201) {
    throw new Error(
      `POST /sessions answered ${res.status}: ${JSON.stringify(res.body)}`,
    );
  }
  const { port } = server.address() as AddressInfo;
  const client = await TerminalClient.connect(
    `ws://127.0.0.1:${port}/api/kubernetes-terminal${res.body.streamPath}`,
    { ticket: res.body.ticket },
  );
  if (options.connected !== false) {
    await client.waitFor(
      () => !!client.message('connected'),
      'connected',
      30_000,
    );
  }
  return { client, sessionId: res.body.sessionId, ticket: res.body.ticket };
}
