import path from 'node:path';
import { SandboxCluster, SeedObject } from '../index';
import { findHostBinary } from '../pods/containerTools';

/** The demo portal's seed, so the tests also prove that file loads and behaves as documented. */
export const EXAMPLE_SEED = path.resolve(
  __dirname,
  '../../../../examples/sandbox-seed.yaml',
);

export const DEMO_POD = 'demo-service-7d9f8b6c5-abcde';
export const DEMO_POD_2 = 'demo-service-7d9f8b6c5-fghij';

/** A compact seed for tests that do not need the example's contents. */
export const TEST_SEED: SeedObject = {
  users: [
    { name: 'alice', token: 'alice-token' },
    { name: 'bob', token: 'bob-token', groups: ['viewers'] },
  ],
  namespaces: ['demo', 'other'],
  pods: [
    {
      name: 'shell',
      namespace: 'demo',
      labels: { app: 'shell' },
      containers: [
        {
          name: 'main',
          image: 'example/shell:1',
          shells: ['bash', 'sh'],
          tools: ['cat', 'echo', 'stty', 'sleep', 'yes', 'head', 'env', 'ls'],
        },
        {
          name: 'minimal',
          image: 'busybox',
          shells: ['sh'],
          tools: ['cat', 'echo'],
        },
      ],
    },
  ],
  objects: [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'bob-view', namespace: 'demo' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'view',
      },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: 'viewers',
        },
      ],
    },
  ],
};

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** One HTTP call against the sandbox's plain-HTTP URL; the body is parsed when it is JSON. */
export async function api(
  sandbox: SandboxCluster,
  method: string,
  pathAndQuery: string,
  options: {
    token?: string | null;
    body?: unknown;
    headers?: Record<string, string>;
    raw?: string | Buffer;
  } = {},
): Promise<ApiResponse> {
  const token =
    options.token === undefined ? sandbox.adminToken : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | Buffer | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(`${sandbox.url}${pathAndQuery}`, {
    method,
    headers,
    body,
  });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export function podManifest(
  name: string,
  extra: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    spec?: object;
  } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: extra.labels, annotations: extra.annotations },
    spec: {
      containers: [{ name: 'main', image: 'example/app:1' }],
      ...extra.spec,
    },
  };
}

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

/** The host's kubectl, or undefined when it is not installed (kubectl tests then skip visibly). */
export function findKubectl(): string | undefined {
  return findHostBinary('kubectl');
}

/** RBAC letting a user impersonate any user and group: a ClusterRole and its binding. */
export function impersonatorRbac(user: string, role = 'impersonator') {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules: [
        {
          apiGroups: [''],
          resources: ['users', 'groups'],
          verbs: ['impersonate'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${user}-impersonates` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: role,
      },
      subjects: [{ kind: 'User', name: user }],
    },
  ];
}
