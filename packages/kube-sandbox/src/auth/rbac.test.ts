import { Registry } from '../registry/Registry';
import { RESOURCE_TYPES, resourceForKind } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { KubeObject, UserInfo } from '../types';
import { bootstrapPolicy } from './defaultRoles';
import { AuthorizationAttributes, RbacAuthorizer } from './rbac';

function setup(extra: KubeObject[] = []) {
  const store = new ObjectStore();
  const registry = new Registry(store);
  for (const o of [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
    ...bootstrapPolicy(),
    ...extra,
  ] as KubeObject[]) {
    registry.create(
      resourceForKind(o.apiVersion, o.kind)!,
      o.metadata.namespace,
      o,
    );
  }
  return { store, registry, rbac: new RbacAuthorizer(store) };
}

const user = (name: string, groups: string[] = []): UserInfo => ({
  name,
  groups: [...groups, 'system:authenticated'],
});
const pods = (
  u: UserInfo,
  verb: string,
  namespace = 'demo',
  extra: Partial<AuthorizationAttributes> = {},
): AuthorizationAttributes => ({
  user: u,
  verb,
  resourceRequest: true,
  namespace,
  apiGroup: '',
  resource: 'pods',
  ...extra,
});

const binding = (
  name: string,
  namespace: string | undefined,
  roleKind: string,
  role: string,
  subject: object,
): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  roleRef: {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: roleKind,
    name: role,
  },
  subjects: [subject],
});

describe('RbacAuthorizer', () => {
  it('lets system:masters do anything and nobody else by default', () => {
    const { rbac } = setup();
    expect(
      rbac.allowed(pods(user('root', ['system:masters']), 'delete', 'other')),
    ).toBe(true);
    expect(rbac.allowed(pods(user('nobody'), 'list'))).toBe(false);
    // Bootstrap bindings: any authenticated user may discover and review itself.
    expect(
      rbac.allowed({
        user: user('nobody'),
        verb: 'get',
        resourceRequest: false,
        path: '/apis/rbac.authorization.k8s.io/v1',
      }),
    ).toBe(true);
    expect(
      rbac.allowed({
        user: user('nobody'),
        verb: 'create',
        resourceRequest: true,
        apiGroup: 'authorization.k8s.io',
        resource: 'selfsubjectaccessreviews',
      }),
    ).toBe(true);
  });

  it('scopes view to its namespace and keeps secrets and exec out of it', () => {
    const { rbac } = setup([
      binding('dev-view', 'demo', 'ClusterRole', 'view', {
        kind: 'User',
        name: 'dev',
      }),
    ]);
    const dev = user('dev');
    expect(rbac.allowed(pods(dev, 'list'))).toBe(true);
    expect(
      rbac.allowed(pods(dev, 'get', 'demo', { subresource: 'log', name: 'p' })),
    ).toBe(true);
    expect(rbac.allowed(pods(dev, 'list', 'other'))).toBe(false);
    expect(rbac.allowed(pods(dev, 'delete'))).toBe(false);
    expect(
      rbac.allowed(
        pods(dev, 'create', 'demo', { subresource: 'exec', name: 'p' }),
      ),
    ).toBe(false);
    expect(
      rbac.allowed(
        pods(dev, 'get', 'demo', { subresource: 'exec', name: 'p' }),
      ),
    ).toBe(false);
    expect(
      rbac.allowed(pods(dev, 'list', 'demo', { resource: 'secrets' })),
    ).toBe(false);
  });

  it('grants exec through edit, and honours resourceNames and subresource wildcards', () => {
    const { rbac } = setup([
      binding('ops-edit', 'demo', 'ClusterRole', 'edit', {
        kind: 'Group',
        name: 'ops',
      }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'one-pod', namespace: 'other' },
        rules: [
          {
            apiGroups: [''],
            resources: ['pods/exec'],
            resourceNames: ['only-me'],
            verbs: ['create'],
          },
          { apiGroups: [''], resources: ['*/log'], verbs: ['get'] },
        ],
      },
      binding('one-pod', 'other', 'Role', 'one-pod', {
        kind: 'User',
        name: 'carol',
      }),
    ]);
    expect(
      rbac.allowed(
        pods(user('x', ['ops']), 'create', 'demo', {
          subresource: 'exec',
          name: 'p',
        }),
      ),
    ).toBe(true);
    const carol = user('carol');
    expect(
      rbac.allowed(
        pods(carol, 'create', 'other', {
          subresource: 'exec',
          name: 'only-me',
        }),
      ),
    ).toBe(true);
    expect(
      rbac.allowed(
        pods(carol, 'create', 'other', {
          subresource: 'exec',
          name: 'someone-else',
        }),
      ),
    ).toBe(false);
    expect(
      rbac.allowed(
        pods(carol, 'get', 'other', { subresource: 'log', name: 'any' }),
      ),
    ).toBe(true);
    expect(rbac.allowed(pods(carol, 'get', 'other', { name: 'any' }))).toBe(
      false,
    );
  });

  it('matches service-account subjects, also from ClusterRoleBindings', () => {
    const { rbac } = setup([
      binding('robot-view', undefined, 'ClusterRole', 'view', {
        kind: 'ServiceAccount',
        name: 'robot',
        namespace: 'demo',
      }),
    ]);
    const robot = user('system:serviceaccount:demo:robot', [
      'system:serviceaccounts',
      'system:serviceaccounts:demo',
    ]);
    expect(rbac.allowed(pods(robot, 'watch', 'other'))).toBe(true);
    expect(
      rbac.allowed(
        pods(user('system:serviceaccount:other:robot'), 'watch', 'other'),
      ),
    ).toBe(false);
  });

  it('aggregates ClusterRoles labelled into view', () => {
    const { rbac } = setup([
      binding('dev-view', 'demo', 'ClusterRole', 'view', {
        kind: 'User',
        name: 'dev',
      }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: {
          name: 'widgets-view',
          labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
        },
        rules: [
          {
            apiGroups: ['example.com'],
            resources: ['widgets'],
            verbs: ['get'],
          },
        ],
      },
    ]);
    expect(
      rbac.allowed(
        pods(user('dev'), 'get', 'demo', {
          apiGroup: 'example.com',
          resource: 'widgets',
        }),
      ),
    ).toBe(true);
  });

  it('words denials like the API server', () => {
    const { rbac } = setup();
    expect(() => rbac.authorize(pods(user('alice'), 'list'))).toThrow(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "demo"',
    );
    expect(() =>
      rbac.authorize(
        pods(user('alice'), 'create', 'demo', {
          name: 'p',
          subresource: 'exec',
        }),
      ),
    ).toThrow(
      'pods "p" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "demo"',
    );
    expect(() =>
      rbac.authorize({
        user: user('alice'),
        verb: 'list',
        resourceRequest: true,
        apiGroup: 'rbac.authorization.k8s.io',
        resource: 'clusterroles',
      }),
    ).toThrow(
      'clusterroles.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    );
    expect(() =>
      rbac.authorize({
        user: user('alice'),
        verb: 'get',
        resourceRequest: false,
        path: '/metrics',
      }),
    ).toThrow('forbidden: User "alice" cannot get path "/metrics"');
  });

  it('follows bindings as they change', () => {
    const { rbac, registry } = setup();
    expect(rbac.allowed(pods(user('late'), 'list'))).toBe(false);
    registry.create(
      RESOURCE_TYPES.rolebindings,
      'demo',
      binding('late', 'demo', 'ClusterRole', 'view', {
        kind: 'User',
        name: 'late',
      }),
    );
    expect(rbac.allowed(pods(user('late'), 'list'))).toBe(true);
    registry.delete(RESOURCE_TYPES.rolebindings, 'demo', 'late');
    expect(rbac.allowed(pods(user('late'), 'list'))).toBe(false);
  });
});
