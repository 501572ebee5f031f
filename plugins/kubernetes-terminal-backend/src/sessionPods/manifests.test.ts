import { readSessionPodsConfig } from './sessionPodsConfig';
import { ConfigReader } from '@backstage/config';
import {
  kubeconfigSecretManifest,
  networkPolicyManifest,
  podManifest,
  podOwnerReference,
  renderKubeconfig,
  type SessionPodIdentity,
} from './manifests';
import { sessionPodName, userLabelValue } from './names';

const id: SessionPodIdentity = {
  name: 'kubectl-alice-0123456789',
  namespace: 'shop',
  userEntityRef: 'user:default/alice',
  entityRef: 'component:default/shop',
  sessionId: '00000000-0000-4000-8000-000000000001',
  expiresAt: new Date('2026-03-01T10:30:00.000Z'),
  maxExpiresAt: new Date('2026-03-01T18:00:00.000Z'),
};
const owner = podOwnerReference({ name: id.name, uid: 'pod-uid' });

describe('session pod names', () => {
  it('gives a user the same DNS-safe name, distinct from other users', () => {
    expect(sessionPodName('user:default/alice')).toBe(
      sessionPodName('user:default/alice'),
    );
    expect(sessionPodName('user:default/alice')).not.toBe(
      sessionPodName('user:other/alice'),
    );
    const long = sessionPodName(
      'user:default/Ãnne.Marie_de-la-Tour-Very-Long-Name',
    );
    expect(long).toMatch(/^kubectl-[a-z0-9-]{1,20}-[0-9a-f]{10}$/);
    expect(`${long}-kubeconfig`.length).toBeLessThanOrEqual(63);
    expect(sessionPodName('!!!')).toMatch(/^kubectl-[0-9a-f]{10}$/);
  });

  it('makes a label value of a user ref', () => {
    expect(userLabelValue('user:default/alice')).toBe('user.default.alice');
    expect(userLabelValue(`user:default/${'x'.repeat(80)}`)).toHaveLength(63);
  });
});

describe('session pod manifests', () => {
  it('puts configured annotations on the pod without letting them replace ours', () => {
    const settings = readSessionPodsConfig(
      new ConfigReader({
        sessionPods: {
          podAnnotations: {
            'sidecar.istio.io/inject': 'false',
            'kubernetes-terminal.backstage.io/user': 'user:default/mallory',
          },
        },
      }),
    ).forCluster('x');
    const pod = podManifest(id, settings, 8 * 3600_000);
    expect(pod.metadata!.annotations).toEqual({
      'sidecar.istio.io/inject': 'false',
      'kubernetes-terminal.backstage.io/user': 'user:default/alice',
      'kubernetes-terminal.backstage.io/entity-ref': 'component:default/shop',
      'kubernetes-terminal.backstage.io/expires-at': '2026-03-01T10:30:00.000Z',
      'kubernetes-terminal.backstage.io/max-expires-at':
        '2026-03-01T18:00:00.000Z',
    });
    expect(pod.spec!.activeDeadlineSeconds).toBe(8 * 3600 + 60);
    expect(
      pod.metadata!.labels!['kubernetes-terminal.backstage.io/expires-at'],
    ).toBe(String(Date.parse('2026-03-01T10:30:00.000Z') / 1000));
  });

  it('allows only DNS when the API server is unknown, and appends extra egress rules', () => {
    const policy = networkPolicyManifest(
      id,
      {
        enabled: true,
        apiServerCidrs: [],
        apiServerPorts: [443],
        dnsPort: 5353,
        extraEgress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16' } }] }],
      },
      [],
      owner,
    );
    expect(policy.spec!.egress).toEqual([
      expect.objectContaining({
        ports: [
          { protocol: 'UDP', port: 5353 },
          { protocol: 'TCP', port: 5353 },
        ],
      }),
      { to: [{ ipBlock: { cidr: '10.1.0.0/16' } }] },
    ]);
    expect(policy.metadata!.ownerReferences).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        name: id.name,
        uid: 'pod-uid',
        controller: true,
      },
    ]);
  });

  it('writes a kubeconfig with only the session token', () => {
    const kubeconfig = renderKubeconfig({
      cluster: 'prod',
      server: 'https://kubernetes.default.svc',
      namespace: 'shop',
      user: id.name,
      token: 'session-token',
    });
    expect(JSON.parse(kubeconfig)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'prod', cluster: { server: 'https://kubernetes.default.svc' } },
      ],
      users: [{ name: id.name, user: { token: 'session-token' } }],
      contexts: [
        {
          name: 'session',
          context: { cluster: 'prod', user: id.name, namespace: 'shop' },
        },
      ],
      'current-context': 'session',
      preferences: {},
    });
    const secret = kubeconfigSecretManifest(id, kubeconfig, owner);
    expect(secret.metadata!.name).toBe(`${id.name}-kubeconfig`);
    expect(
      Buffer.from(secret.data!.kubeconfig, 'base64').toString('utf8'),
    ).toBe(kubeconfig);
  });
});
