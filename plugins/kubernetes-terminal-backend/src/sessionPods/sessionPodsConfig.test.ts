import { ConfigReader } from '@backstage/config';
import { readSessionPodsConfig } from './sessionPodsConfig';

const read = (sessionPods: object | undefined) =>
  readSessionPodsConfig(new ConfigReader(sessionPods ? { sessionPods } : {}));

describe('readSessionPodsConfig', () => {
  it('is off by default, with safe defaults', () => {
    const config = read(undefined);
    expect(config).toMatchObject({
      anyEnabled: false,
      expiryMs: 30 * 60_000,
      extendByMs: 30 * 60_000,
      maxLifetimeMs: 8 * 3600_000,
      warningBeforeMs: 5 * 60_000,
      provisionTimeoutMs: 2 * 60_000,
      janitorIntervalMs: 60_000,
    });
    expect(config.forCluster('any')).toEqual({
      enabled: false,
      image: 'bitnami/kubectl:latest',
      command: ['sleep', 'infinity'],
      clusterRole: 'view',
      apiServerUrl: 'https://kubernetes.default.svc',
      podAnnotations: {},
      resources: {
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      },
      networkPolicy: {
        enabled: true,
        apiServerCidrs: [],
        apiServerPorts: [443, 6443],
        dnsPort: 53,
        extraEgress: [],
      },
    });
  });

  it('applies per-cluster overrides over the global settings', () => {
    const config = read({
      enabled: true,
      image: 'registry.example.com/kubectl:1.33',
      expiry: '45m',
      maxLifetime: { hours: 2 },
      resources: { limits: { memory: '512Mi' } },
      networkPolicy: { apiServerCidrs: ['10.0.0.1/32'] },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      clusters: {
        prod: {
          clusterRole: 'edit',
          networkPolicy: {
            apiServerCidrs: ['192.168.1.10/32'],
            extraEgress: [{ ports: [{ port: 8443 }] }],
          },
        },
        legacy: { enabled: false },
      },
    });
    expect(config.anyEnabled).toBe(true);
    expect(config.expiryMs).toBe(45 * 60_000);
    expect(config.maxLifetimeMs).toBe(2 * 3600_000);
    expect(config.forCluster('dev')).toMatchObject({
      enabled: true,
      clusterRole: 'view',
      image: 'registry.example.com/kubectl:1.33',
      resources: { limits: { cpu: '500m', memory: '512Mi' } },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      networkPolicy: { apiServerCidrs: ['10.0.0.1/32'], extraEgress: [] },
    });
    expect(config.forCluster('prod')).toMatchObject({
      enabled: true,
      clusterRole: 'edit',
      image: 'registry.example.com/kubectl:1.33',
      resources: { limits: { memory: '512Mi' } },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      networkPolicy: {
        apiServerCidrs: ['192.168.1.10/32'],
        extraEgress: [{ ports: [{ port: 8443 }] }],
      },
    });
    expect(config.forCluster('legacy').enabled).toBe(false);
    expect(read({ clusters: { only: { enabled: true } } }).anyEnabled).toBe(
      true,
    );
  });

  it.each([
    [
      { expiry: '1h', maxLifetime: '30m' },
      /maxLifetime must not be shorter than expiry/,
    ],
    [
      { clusterRole: 'a/b' },
      /clusterRole 'a\/b' is not a valid ClusterRole name/,
    ],
    [
      { resources: { limits: { cpu: 'lots' } } },
      /resources.limits.cpu 'lots' is not a Kubernetes quantity/,
    ],
    [
      { networkPolicy: { apiServerCidrs: ['10.0.0.1'] } },
      /'10.0.0.1' is not a CIDR/,
    ],
    [
      { networkPolicy: { apiServerPorts: [0] } },
      /apiServerPorts must list port numbers/,
    ],
    [
      { podAnnotations: { 'bad key!': 'x' } },
      /'bad key!' is not a valid annotation key/,
    ],
    [{ command: [] }, /command must list at least the program/],
    [
      { clusters: { prod: { image: ' ' } } },
      /sessionPods.clusters.prod.image must not be empty/,
    ],
  ])('refuses %j', (sessionPods, error) => {
    expect(() => read(sessionPods)).toThrow(error);
  });
});
