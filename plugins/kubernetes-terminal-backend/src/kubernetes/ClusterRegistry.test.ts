import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type {
  AuthenticationStrategy,
  ClusterDetails,
} from '@backstage/plugin-kubernetes-node';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CoreV1Api } from '@kubernetes/client-node';
import { createSelfSignedCertificate } from '@internal/kube-sandbox';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { standInApiServer } from '../__testUtils__/standInApiServer';
import { ClusterRegistry } from './ClusterRegistry';

const registryOf = (
  clusters: object[],
  strategies?: Map<string, AuthenticationStrategy>,
  extraMethods: object[] = [],
) =>
  ClusterRegistry.fromConfig(
    new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [{ type: 'config', clusters }, ...extraMethods],
      },
    }),
    { logger: mockServices.logger.mock(), strategies },
  );

const listPods = (registry: ClusterRegistry, name: string) =>
  registry
    .get(name)!
    .kubeConfig!.makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: 'demo' });

describe('ClusterRegistry', () => {
  it('puts the service account token of the Kubernetes plugin strategy on every request', async () => {
    const api = await standInApiServer();
    try {
      const registry = registryOf([
        {
          name: 'a',
          url: api.url,
          skipTLSVerify: true,
          authProvider: 'serviceAccount',
          serviceAccountToken: 'token-a',
        },
      ]);
      await listPods(registry, 'a');
      expect(api.seen).toEqual(['Bearer token-a']);
      // Nothing of the credential is kept in the KubeConfig itself.
      expect(
        JSON.stringify(registry.get('a')!.kubeConfig!.users),
      ).not.toContain('token-a');
    } finally {
      api.close();
    }
  });

  it('asks the strategy again at every request, so rotating credentials stay fresh', async () => {
    const api = await standInApiServer();
    let n = 0;
    const rotating: AuthenticationStrategy = {
      getCredential: async () => ({ type: 'bearer token', token: `t${++n}` }),
      validateCluster: () => [],
      presentAuthMetadata: () => ({}),
    };
    try {
      const registry = registryOf(
        [
          {
            name: 'r',
            url: api.url,
            authProvider: 'rotating',
            skipTLSVerify: true,
          },
        ],
        new Map([['rotating', rotating]]),
      );
      await listPods(registry, 'r');
      await listPods(registry, 'r');
      expect(api.seen).toEqual(['Bearer t1', 'Bearer t2']);
    } finally {
      api.close();
    }
  });

  it('reads the auth provider and metadata as the Kubernetes plugin does, authMetadata winning', async () => {
    const calls: Record<string, string>[] = [];
    const recording: AuthenticationStrategy = {
      getCredential: async cluster => {
        calls.push(cluster.authMetadata);
        return { type: 'anonymous' };
      },
      validateCluster: () => [],
      presentAuthMetadata: () => ({}),
    };
    const api = await standInApiServer();
    try {
      const registry = registryOf(
        [
          {
            name: 'eks',
            url: api.url,
            skipTLSVerify: true,
            authProvider: 'other',
            assumeRole: 'arn:aws:iam::1:role/r',
            externalId: 'x',
            authMetadata: { 'kubernetes.io/auth-provider': 'aws' },
          },
        ],
        new Map([['aws', recording]]),
      );
      await listPods(registry, 'eks');
      expect(calls).toEqual([
        {
          'kubernetes.io/auth-provider': 'aws',
          'kubernetes.io/aws-assume-role': 'arn:aws:iam::1:role/r',
          'kubernetes.io/aws-external-id': 'x',
        },
      ]);
      expect(api.seen).toEqual([undefined]);
    } finally {
      api.close();
    }
  });

  it('presents an x509 client certificate from the strategy as the TLS client certificate', async () => {
    const serverTls = createSelfSignedCertificate('api-server');
    const clientTls = createSelfSignedCertificate('backstage-client');
    const seen: { subject?: string; authorization?: string }[] = [];
    const server = https.createServer(
      { ...serverTls, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        seen.push({
          subject: peer.subject ? String(peer.subject.CN) : undefined,
          authorization: req.headers.authorization,
        });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [] }),
        );
      },
    );
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const x509: AuthenticationStrategy = {
      getCredential: async () => ({
        type: 'x509 client certificate',
        cert: clientTls.cert,
        key: clientTls.key,
      }),
      validateCluster: () => [],
      presentAuthMetadata: () => ({}),
    };
    try {
      const registry = registryOf(
        [
          {
            name: 'mtls',
            url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
            authProvider: 'x509',
            skipTLSVerify: true,
          },
        ],
        new Map([['x509', x509]]),
      );
      await listPods(registry, 'mtls');
      expect(seen).toEqual([
        { subject: 'backstage-client', authorization: undefined },
      ]);
    } finally {
      server.close();
    }
  });

  it("reaches the localKubectlProxy locator's cluster on 127.0.0.1:8001 without a credential", async () => {
    // kubectl proxy's port: this test fails if something else holds it.
    const proxy = await standInApiServer(8001);
    try {
      const registry = registryOf([], undefined, [
        { type: 'localKubectlProxy' },
      ]);
      expect(registry.get('local')).toMatchObject({
        url: 'http://127.0.0.1:8001',
        authProvider: 'localKubectlProxy',
      });
      expect(registry.get('local')!.unsupported).toBeUndefined();
      await listPods(registry, 'local');
      expect(proxy.seen).toEqual([undefined]);
    } finally {
      proxy.close();
    }
  });

  it('names every cluster and locator it cannot use, and why', () => {
    const registry = ClusterRegistry.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                { name: 'o', url: 'https://o', authProvider: 'oidc' },
                { name: 'u', url: 'https://u', authProvider: 'nope' },
                { name: 'g', url: 'https://g', authProvider: 'google' },
              ],
            },
            { type: 'catalog' },
          ],
        },
        kubernetesTerminal: {
          clusters: {
            g: { impersonate: true },
            gone: { impersonate: { user: 'email' } },
          },
        },
      }),
      { logger: mockServices.logger.mock() },
    );
    expect(registry.get('o')!.unsupported).toBe(
      "cluster 'o' is misconfigured: Must specify a token provider for 'oidc' strategy",
    );
    expect(registry.get('g')!.unsupported).toMatch(
      /impersonate needs a credential of the backend's own, but the 'google' auth provider's credential is the person's/,
    );
    expect(registry.get('u')!.unsupported).toMatch(
      /auth provider 'nope', which the kubernetes-terminal plugin does not know/,
    );
    for (const name of ['o', 'u', 'g']) {
      expect(registry.get(name)!.access).toBeUndefined();
    }
    // Without the catalog service the catalog locator cannot be read.
    expect(registry.skipped).toEqual([
      expect.stringMatching(/'catalog' cluster locator/),
      'kubernetesTerminal.clusters.gone.impersonate names no cluster of kubernetes.clusterLocatorMethods',
    ]);
  });

  it("reaches google, oidc and aks clusters with the person's token from the request, and no other", async () => {
    const api = await standInApiServer();
    try {
      const registry = registryOf([
        {
          name: 'o',
          url: api.url,
          skipTLSVerify: true,
          authProvider: 'oidc',
          oidcTokenProvider: 'okta',
        },
        {
          name: 'g',
          url: api.url,
          skipTLSVerify: true,
          authProvider: 'google',
        },
        { name: 'a', url: api.url, skipTLSVerify: true, authProvider: 'aks' },
      ]);
      expect(registry.list().map(c => c.browserAuthProvider)).toEqual([
        'oidc.okta',
        'google',
        'aks',
      ]);
      // The backend holds no credential of its own for them.
      expect(registry.list().map(c => c.kubeConfig)).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      const auth = {
        oidc: { okta: 'okta-id-token' },
        google: 'google-token',
        aks: 'aks-token',
      };
      for (const name of ['o', 'g', 'a']) {
        await registry.get(name)!.access!({ auth })
          .api(CoreV1Api)
          .listNamespacedPod({ namespace: 'demo' });
      }
      expect(api.seen).toEqual([
        'Bearer okta-id-token',
        'Bearer google-token',
        'Bearer aks-token',
      ]);
      // The Kubernetes plugin's OidcStrategy refuses a request without the token.
      await expect(
        registry.get('o')!.access!({})
          .api(CoreV1Api)
          .listNamespacedPod({ namespace: 'demo' }),
      ).rejects.toThrow(/Auth token not found under oidc.okta/);
    } finally {
      api.close();
    }
  });

  it("impersonates the person with the backend's credential: one Impersonate-Group header per group", async () => {
    const api = await standInApiServer();
    try {
      const registry = ClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'i',
                    url: api.url,
                    skipTLSVerify: true,
                    authProvider: 'serviceAccount',
                    serviceAccountToken: 'portal-token',
                  },
                ],
              },
            ],
          },
          kubernetesTerminal: {
            clusters: { i: { impersonate: { groupPrefix: 'backstage:' } } },
          },
        }),
        { logger: mockServices.logger.mock() },
      );
      expect(registry.get('i')!.impersonate).toEqual({
        user: 'entityRef',
        userPrefix: '',
        groups: 'entityRef',
        groupPrefix: 'backstage:',
      });
      const access = registry.get('i')!.access!({
        impersonate: {
          user: 'user:default/alice',
          groups: ['backstage:group:default/a', 'backstage:group:default/b'],
        },
      });
      await access.api(CoreV1Api).listNamespacedPod({ namespace: 'demo' });
      expect(api.headers[0]).toMatchObject({
        authorization: ['Bearer portal-token'],
        'impersonate-user': ['user:default/alice'],
        'impersonate-group': [
          'backstage:group:default/a',
          'backstage:group:default/b',
        ],
      });
      // The WebSocket (exec) path gets the same headers; Node's http sends an array as repeated headers.
      const wsOptions: { headers?: Record<string, string> } = {};
      await access.kubeConfig.applyToHTTPSOptions(wsOptions);
      expect(wsOptions.headers).toMatchObject({
        Authorization: 'Bearer portal-token',
        'Impersonate-User': 'user:default/alice',
        'Impersonate-Group': [
          'backstage:group:default/a',
          'backstage:group:default/b',
        ],
      });
      // The backend acting as itself (session pods, the janitor) impersonates no one.
      await registry.get('i')!.access!({})
        .api(CoreV1Api)
        .listNamespacedPod({ namespace: 'demo' });
      expect(api.headers[1]['impersonate-user']).toBeUndefined();
    } finally {
      api.close();
    }
  });

  it('refuses a cluster its strategy finds misconfigured', () => {
    const strict: AuthenticationStrategy = {
      getCredential: async () => ({ type: 'anonymous' }),
      validateCluster: () => [new Error('needs a role')],
      presentAuthMetadata: () => ({}),
    };
    const registry = registryOf(
      [{ name: 's', url: 'https://s', authProvider: 'strict' }],
      new Map([['strict', strict]]),
    );
    expect(registry.get('s')!.unsupported).toBe(
      "cluster 's' is misconfigured: needs a role",
    );
    expect(registry.get('s')!.kubeConfig).toBeUndefined();
  });
});

describe('ClusterRegistry with the catalog locator', () => {
  const cluster = (
    name: string,
    annotations: Record<string, string>,
  ): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      title: `Cluster ${name}`,
      annotations: {
        'kubernetes.io/api-server-certificate-authority': 'Q0E=',
        ...annotations,
      },
    },
    spec: { type: 'kubernetes-cluster', owner: 'platform' },
  });

  async function catalogRegistry(
    entities: Entity[],
    locator: Record<string, unknown> = {},
  ) {
    const logger = mockServices.logger.mock();
    const registry = ClusterRegistry.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [{ type: 'catalog', ...locator }],
        },
      }),
      {
        logger,
        catalog: catalogServiceMock({ entities }),
        auth: mockServices.auth(),
      },
    );
    await registry.refresh();
    return { registry, logger };
  }

  it('reads kubernetes-cluster Resources as the Kubernetes plugin does, with its safeguards', async () => {
    const { registry, logger } = await catalogRegistry([
      cluster('public', {
        'kubernetes.io/api-server': 'https://93.184.216.34:6443',
        'kubernetes.io/auth-provider': 'oidc',
        'kubernetes.io/oidc-token-provider': 'okta',
        'kubernetes.io/skip-tls-verify': 'true',
      }),
      cluster('private', {
        'kubernetes.io/api-server': 'https://10.0.0.1',
        'kubernetes.io/auth-provider': 'aws',
      }),
      cluster('with-token', {
        'kubernetes.io/api-server': 'https://93.184.216.34',
        'kubernetes.io/auth-provider': 'serviceAccount',
      }),
      cluster('credentials-in-url', {
        'kubernetes.io/api-server': 'https://user:pw@93.184.216.34',
        'kubernetes.io/auth-provider': 'aws',
      }),
    ]);
    expect(registry.list().map(c => c.name)).toEqual(['public']);
    expect(registry.get('public')).toMatchObject({
      title: 'Cluster public',
      url: 'https://93.184.216.34:6443',
      authProvider: 'oidc',
      browserAuthProvider: 'oidc.okta',
      caData: 'Q0E=',
    });
    // skip-tls-verify is honoured only with dangerouslyAllowSkipTLSVerify.
    expect(JSON.parse(registry.get('public')!.source!).skipTLSVerify).toBe(
      false,
    );
    const warnings = logger.warn.mock.calls.map(c => c[0]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /"private": .*resolves to a non-public address \(allow it with dangerouslyAllowClusterUrls\)/,
        ),
        expect.stringMatching(
          /"with-token": the catalog cluster locator does not support the serviceAccount auth provider/,
        ),
        expect.stringMatching(
          /"credentials-in-url": .*must not contain credentials/,
        ),
      ]),
    );
  });

  it("reaches a catalog cluster the locator allows, with the person's token", async () => {
    const api = await standInApiServer();
    try {
      const { registry } = await catalogRegistry(
        [
          cluster('local', {
            'kubernetes.io/api-server': api.url,
            'kubernetes.io/auth-provider': 'google',
            'kubernetes.io/skip-tls-verify': 'true',
          }),
        ],
        {
          dangerouslyAllowClusterUrls: ['127.0.0.1'],
          dangerouslyAllowSkipTLSVerify: true,
        },
      );
      await registry.get('local')!.access!({ auth: { google: 'google-token' } })
        .api(CoreV1Api)
        .listNamespacedPod({ namespace: 'demo' });
      expect(api.seen).toEqual(['Bearer google-token']);
    } finally {
      api.close();
    }
  });

  it('keeps what a supplier gave last when it fails, and an unchanged cluster as it was', async () => {
    let answer: () => Promise<ClusterDetails[]> = async () => [
      {
        name: 'supplied',
        url: 'https://93.184.216.34',
        authMetadata: { 'kubernetes.io/auth-provider': 'aws' },
      },
    ];
    const logger = mockServices.logger.mock();
    const registry = ClusterRegistry.fromConfig(new ConfigReader({}), {
      logger,
      suppliers: [{ getClusters: () => answer() }],
    });
    await registry.refresh();
    const first = registry.get('supplied');
    expect(first?.kubeConfig).toBeDefined();
    await registry.refresh();
    expect(registry.get('supplied')).toBe(first);
    answer = async () => {
      throw new Error('the cloud API is down');
    };
    await registry.refresh();
    expect(registry.get('supplied')).toBe(first);
    expect(logger.warn).toHaveBeenCalledWith(
      'cluster supplier 1 failed; its clusters are as they were: the cloud API is down',
    );
  });
});
