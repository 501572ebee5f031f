/*
 * The API surface the sandbox serves. Discovery, routing, RBAC wording and storage all read this one
 * table, so a resource added here is served consistently everywhere.
 */

/** @public */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lower case, as in URLs and RBAC rules. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Create-only virtual resources (reviews) are answered, never stored. */
  virtual?: boolean;
  /** Read-only resources computed from others (pod metrics). */
  computed?: boolean;
  /** Field selector keys accepted beyond metadata.name / metadata.namespace. */
  fieldSelectors?: string[];
}

export interface SubresourceType {
  parent: string;
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

const CRUD = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function def(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    verbs: CRUD,
    ...extra,
  };
}

const RBAC = 'rbac.authorization.k8s.io';

export const RESOURCES: ResourceType[] = [
  def('', 'v1', 'namespaces', 'Namespace', false, {
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    fieldSelectors: ['status.phase'],
  }),
  def('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    categories: ['all'],
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  def('', 'v1', 'secrets', 'Secret', true, { fieldSelectors: ['type'] }),
  def('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  def('', 'v1', 'serviceaccounts', 'ServiceAccount', true, {
    shortNames: ['sa'],
  }),
  def('', 'v1', 'events', 'Event', true, {
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  }),
  def(RBAC, 'v1', 'roles', 'Role', true),
  def(RBAC, 'v1', 'rolebindings', 'RoleBinding', true),
  def(RBAC, 'v1', 'clusterroles', 'ClusterRole', false),
  def(RBAC, 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  def('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, {
    shortNames: ['netpol'],
  }),
  // Stored as they are, with no controller acting on them, so that kubectl and Backstage's
  // Kubernetes tab find the kinds they expect; a seed can describe a Deployment owning its pods.
  def('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'] }),
  def('', 'v1', 'services', 'Service', true, {
    shortNames: ['svc'],
    categories: ['all'],
  }),
  def('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'] }),
  def('', 'v1', 'limitranges', 'LimitRange', true, { shortNames: ['limits'] }),
  def('', 'v1', 'resourcequotas', 'ResourceQuota', true, {
    shortNames: ['quota'],
  }),
  def('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
    shortNames: ['pvc'],
  }),
  def('', 'v1', 'persistentvolumes', 'PersistentVolume', false, {
    shortNames: ['pv'],
  }),
  def('apps', 'v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    categories: ['all'],
  }),
  def('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    categories: ['all'],
  }),
  def('apps', 'v1', 'statefulsets', 'StatefulSet', true, {
    shortNames: ['sts'],
    categories: ['all'],
  }),
  def('apps', 'v1', 'daemonsets', 'DaemonSet', true, {
    shortNames: ['ds'],
    categories: ['all'],
  }),
  def(
    'autoscaling',
    'v2',
    'horizontalpodautoscalers',
    'HorizontalPodAutoscaler',
    true,
    { shortNames: ['hpa'], categories: ['all'] },
  ),
  def('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'] }),
  def('batch', 'v1', 'cronjobs', 'CronJob', true, {
    shortNames: ['cj'],
    categories: ['all'],
  }),
  def('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, {
    shortNames: ['ing'],
  }),
  def('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', true, {
    verbs: ['get', 'list'],
    computed: true,
  }),
  def(
    'authorization.k8s.io',
    'v1',
    'selfsubjectaccessreviews',
    'SelfSubjectAccessReview',
    false,
    {
      verbs: ['create'],
      virtual: true,
    },
  ),
  def(
    'authorization.k8s.io',
    'v1',
    'selfsubjectrulesreviews',
    'SelfSubjectRulesReview',
    false,
    {
      verbs: ['create'],
      virtual: true,
    },
  ),
  def(
    'authorization.k8s.io',
    'v1',
    'subjectaccessreviews',
    'SubjectAccessReview',
    false,
    {
      verbs: ['create'],
      virtual: true,
    },
  ),
  def(
    'authentication.k8s.io',
    'v1',
    'selfsubjectreviews',
    'SelfSubjectReview',
    false,
    {
      verbs: ['create'],
      virtual: true,
    },
  ),
  def('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false, {
    verbs: ['create'],
    virtual: true,
  }),
];

export const SUBRESOURCES: SubresourceType[] = [
  {
    parent: 'pods',
    name: 'exec',
    kind: 'PodExecOptions',
    verbs: ['create', 'get'],
  },
  {
    parent: 'pods',
    name: 'attach',
    kind: 'PodAttachOptions',
    verbs: ['create', 'get'],
  },
  {
    parent: 'pods',
    name: 'ephemeralcontainers',
    kind: 'Pod',
    verbs: ['get', 'patch', 'update'],
  },
  { parent: 'pods', name: 'log', kind: 'Pod', verbs: ['get'] },
  {
    parent: 'pods',
    name: 'status',
    kind: 'Pod',
    verbs: ['get', 'patch', 'update'],
  },
  {
    parent: 'serviceaccounts',
    name: 'token',
    kind: 'TokenRequest',
    group: 'authentication.k8s.io',
    version: 'v1',
    verbs: ['create'],
  },
];

export function findResource(
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return RESOURCES.find(
    r => r.group === group && r.version === version && r.resource === resource,
  );
}

/** Subresources exist only on core resources here (pods/exec, serviceaccounts/token, ...). */
export function findSubresource(
  parent: ResourceType,
  name: string,
): SubresourceType | undefined {
  if (parent.group !== '') return undefined;
  return SUBRESOURCES.find(
    s => s.parent === parent.resource && s.name === name,
  );
}

/** Resolves `apiVersion` + `kind` of a manifest, as seeds and bodies name them. */
export function resourceForKind(
  apiVersion: string,
  kind: string,
): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/')
    ? apiVersion.split('/', 2)
    : ['', apiVersion];
  return RESOURCES.find(
    r =>
      r.group === group &&
      r.version === version &&
      r.kind === kind &&
      !r.virtual &&
      !r.computed,
  );
}

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) {
    seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  }
  return [...seen.values()];
}

function mustFind(group: string, resource: string): ResourceType {
  const found = RESOURCES.find(
    r => r.group === group && r.resource === resource,
  );
  if (!found) throw new Error(`unknown resource ${group}/${resource}`);
  return found;
}

/** The resources the sandbox's own code refers to. */
export const RESOURCE_TYPES = {
  namespaces: mustFind('', 'namespaces'),
  pods: mustFind('', 'pods'),
  secrets: mustFind('', 'secrets'),
  configmaps: mustFind('', 'configmaps'),
  serviceaccounts: mustFind('', 'serviceaccounts'),
  events: mustFind('', 'events'),
  nodes: mustFind('', 'nodes'),
  roles: mustFind(RBAC, 'roles'),
  rolebindings: mustFind(RBAC, 'rolebindings'),
  clusterroles: mustFind(RBAC, 'clusterroles'),
  clusterrolebindings: mustFind(RBAC, 'clusterrolebindings'),
  networkpolicies: mustFind('networking.k8s.io', 'networkpolicies'),
};
