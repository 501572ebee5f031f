import { KubeObject } from '../types';
import { PolicyRule } from './rbac';

/*
 * The bootstrap policy a fresh cluster has (k8s plugin/pkg/auth/authorizer/rbac/bootstrappolicy),
 * trimmed to the resources the sandbox serves plus the common workload kinds so roles read naturally.
 * `view` deliberately has neither secrets nor pods/exec, like the real one.
 */

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const viewRules: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'pods',
      'pods/log',
      'pods/status',
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'replicationcontrollers/status',
      'serviceaccounts',
      'services',
      'services/status',
      'bindings',
      'events',
      'limitranges',
      'resourcequotas',
      'resourcequotas/status',
      'namespaces',
      'namespaces/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: ['apps'],
    resources: [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: ['batch'],
    resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'],
    verbs: READ,
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses', 'ingresses/status', 'networkpolicies'],
    verbs: READ,
  },
  {
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'],
    verbs: READ,
  },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
];

const editRules: PolicyRule[] = [
  ...viewRules,
  {
    apiGroups: [''],
    resources: [
      'pods',
      'pods/attach',
      'pods/exec',
      'pods/portforward',
      'pods/proxy',
    ],
    verbs: [
      'create',
      'delete',
      'deletecollection',
      'patch',
      'update',
      'get',
      'list',
      'watch',
    ],
  },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
    verbs: WRITE,
  },
  { apiGroups: [''], resources: ['secrets'], verbs: READ },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  {
    apiGroups: ['apps'],
    resources: [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
    verbs: WRITE,
  },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: WRITE },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses', 'networkpolicies'],
    verbs: WRITE,
  },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
];

const adminRules: PolicyRule[] = [
  ...editRules,
  {
    apiGroups: ['authorization.k8s.io'],
    resources: ['localsubjectaccessreviews'],
    verbs: ['create'],
  },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['rolebindings', 'roles'],
    verbs: [...WRITE, ...READ],
  },
];

function clusterRole(
  name: string,
  rules: PolicyRule[],
  aggregateTo?: string,
  aggregateFrom?: string,
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: {
        'kubernetes.io/bootstrapping': 'rbac-defaults',
        ...(aggregateTo
          ? {
              [`rbac.authorization.k8s.io/aggregate-to-${aggregateTo}`]: 'true',
            }
          : {}),
      },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    ...(aggregateFrom
      ? {
          aggregationRule: {
            clusterRoleSelectors: [
              {
                matchLabels: {
                  [`rbac.authorization.k8s.io/aggregate-to-${aggregateFrom}`]:
                    'true',
                },
              },
            ],
          },
        }
      : {}),
    rules,
  };
}

function groupBinding(
  name: string,
  role: string,
  groups: string[],
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {
      name,
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role,
    },
    subjects: groups.map(g => ({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Group',
      name: g,
    })),
  };
}

export function bootstrapPolicy(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    // The built-in roles carry their rules themselves; the aggregation rule lets seeds extend them
    // with `rbac.authorization.k8s.io/aggregate-to-<role>: "true"` ClusterRoles as in a real cluster.
    clusterRole('admin', adminRules, undefined, 'admin'),
    clusterRole('edit', editRules, 'admin', 'edit'),
    clusterRole('view', viewRules, 'edit', 'view'),
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ]),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      {
        apiGroups: ['authentication.k8s.io'],
        resources: ['selfsubjectreviews'],
        verbs: ['create'],
      },
    ]),
    clusterRole('system:public-info-viewer', [
      {
        nonResourceURLs: [
          '/healthz',
          '/livez',
          '/readyz',
          '/version',
          '/version/',
        ],
        verbs: ['get'],
      },
    ]),
    groupBinding('cluster-admin', 'cluster-admin', ['system:masters']),
    groupBinding('system:discovery', 'system:discovery', [
      'system:authenticated',
    ]),
    groupBinding('system:basic-user', 'system:basic-user', [
      'system:authenticated',
    ]),
    groupBinding('system:public-info-viewer', 'system:public-info-viewer', [
      'system:authenticated',
      'system:unauthenticated',
    ]),
  ];
}
