import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { AuthenticationStrategy } from '@backstage/plugin-kubernetes-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { createSelfSignedCertificate } from '@internal/kube-sandbox';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ClusterRegistry } from './ClusterRegistry';

/**
 * A stand-in API server that answers every pod list and keeps each request's Authorization header;
 * on a free port unless given one.
 */
async function apiServer(port = 0) {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [] }));
  });
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => server.close() };
}

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
    const api = await apiServer();
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
    const api = await apiServer();
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
    const api = await apiServer();
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
    const proxy = await apiServer(8001);
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
    const registry = registryOf(
      [
        {
          name: 'o',
          url: 'https://o',
          authProvider: 'oidc',
          oidcTokenProvider: 'okta',
        },
        { name: 'u', url: 'https://u', authProvider: 'nope' },
        { name: 'g', url: 'https://g', authProvider: 'google' },
      ],
      undefined,
      [{ type: 'catalog' }],
    );
    expect(registry.get('o')!.unsupported).toMatch(
      /'oidc' auth provider, whose credential is the signed-in person's/,
    );
    expect(registry.get('g')!.unsupported).toMatch(/'google' auth provider/);
    expect(registry.get('u')!.unsupported).toMatch(
      /auth provider 'nope', which the kubernetes-terminal plugin does not know/,
    );
    expect(registry.skipped).toEqual([
      expect.stringMatching(/'catalog' cluster locator/),
    ]);
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
