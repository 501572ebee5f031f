import { ResourceType } from '../resources';
import { KubeObject } from '../types';

/*
 * Server-side printing: kubectl asks for `as=Table;g=meta.k8s.io;v=v1` and prints the columns it gets.
 * Pods and namespaces get the columns of the real printers; other kinds get NAME and AGE.
 */

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0
      ? `${Math.floor(hours / 24)}d`
      : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0
      ? `${Math.floor(hours / 24 / 365)}y`
      : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(object: KubeObject): string {
  const created = object.metadata.creationTimestamp;
  return created
    ? humanDuration(Date.now() - Date.parse(created))
    : '<unknown>';
}

function col(
  name: string,
  description: string,
  priority = 0,
  type = 'string',
  format = '',
): Column {
  return { name, type, format, description, priority };
}

const NAME = col(
  'Name',
  'Name must be unique within a namespace.',
  0,
  'string',
  'name',
);
const AGE = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** The STATUS column of `kubectl get pods`, after pkg/printers/internalversion printPod. */
function podStatusReason(pod: KubeObject): string {
  let reason: string = pod.status?.reason || pod.status?.phase || 'Unknown';
  for (const cs of pod.status?.containerStatuses ?? []) {
    if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state?.terminated?.reason) reason = cs.state.terminated.reason;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

const podTable = {
  columns: [
    NAME,
    col(
      'Ready',
      'The aggregate readiness state of this pod for accepting traffic.',
    ),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    col(
      'IP',
      'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      1,
    ),
    col('Node', 'Name of the Node on which the Pod is scheduled.', 1),
    col(
      'Nominated Node',
      'nominatedNodeName is set when this pod preempts other pods on the node.',
      1,
    ),
    col(
      'Readiness Gates',
      'If specified, all readiness gates will be evaluated for pod readiness.',
      1,
    ),
  ],
  cells(pod: KubeObject): unknown[] {
    const statuses: any[] = pod.status?.containerStatuses ?? [];
    const ready = statuses.filter(s => s.ready).length;
    const total = (pod.spec?.containers ?? []).length;
    const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
    return [
      pod.metadata.name,
      `${ready}/${total}`,
      podStatusReason(pod),
      String(restarts),
      age(pod),
      pod.status?.podIP || '<none>',
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      '<none>',
    ];
  },
};

const namespaceTable = {
  columns: [NAME, col('Status', 'The status of the namespace'), AGE],
  cells: (ns: KubeObject) => [
    ns.metadata.name,
    ns.status?.phase ?? 'Active',
    age(ns),
  ],
};

const secretTable = {
  columns: [
    NAME,
    col('Type', 'The type of the secret'),
    col('Data', 'The number of entries in the secret', 0, 'integer'),
    AGE,
  ],
  cells: (s: KubeObject) => [
    s.metadata.name,
    s.type ?? 'Opaque',
    Object.keys(s.data ?? {}).length,
    age(s),
  ],
};

function since(timestamp: string | undefined): string {
  return timestamp
    ? humanDuration(Date.now() - Date.parse(timestamp))
    : '<unknown>';
}

const eventTable = {
  columns: [
    col('Last Seen', 'Time when last event occurred'),
    col('Type', 'Type of this event.'),
    col('Reason', 'Reason is why the action was taken.'),
    col('Object', 'The object that this event is about.'),
    col('Subobject', 'The subobject that this event is about.', 1),
    col('Source', 'The source of this event.', 1),
    col(
      'Message',
      'A human-readable description of the status of this operation.',
    ),
    col('First Seen', 'Time when first event occurred', 1),
    col('Count', 'Count of events', 1, 'integer'),
    NAME,
  ].map(c => (c === NAME ? { ...c, priority: 1 } : c)),
  cells: (e: KubeObject) => [
    since(e.lastTimestamp ?? e.eventTime),
    e.type ?? '',
    e.reason ?? '',
    `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${
      e.involvedObject?.name ?? ''
    }`,
    e.involvedObject?.fieldPath ?? '',
    e.source?.component ?? '',
    String(e.message ?? '').trim(),
    since(e.firstTimestamp ?? e.eventTime),
    e.count ?? 1,
    e.metadata.name,
  ],
};

const nodeTable = {
  columns: [
    NAME,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE,
    col('Version', 'Kubelet Version reported by the node.'),
  ],
  cells: (n: KubeObject) => {
    const ready = (n.status?.conditions ?? []).find(
      (c: any) => c.type === 'Ready',
    );
    const roles = Object.keys(n.metadata.labels ?? {})
      .filter(l => l.startsWith('node-role.kubernetes.io/'))
      .map(l => l.slice('node-role.kubernetes.io/'.length));
    return [
      n.metadata.name,
      ready?.status === 'True' ? 'Ready' : 'NotReady',
      roles.length ? roles.join(',') : '<none>',
      age(n),
      n.status?.nodeInfo?.kubeletVersion ?? '',
    ];
  },
};

const genericTable = {
  columns: [NAME, AGE],
  cells: (o: KubeObject) => [o.metadata.name, age(o)],
};

function tableFor(resource: ResourceType) {
  if (resource.group !== '') return genericTable;
  switch (resource.resource) {
    case 'pods':
      return podTable;
    case 'namespaces':
      return namespaceTable;
    case 'secrets':
      return secretTable;
    case 'events':
      return eventTable;
    case 'nodes':
      return nodeTable;
    default:
      return genericTable;
  }
}

export type IncludeObject = 'None' | 'Object' | 'Metadata';

function rowObject(object: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: object.metadata,
  };
}

export function toTable(
  resource: ResourceType,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  noHeaders = false,
): unknown {
  const table = tableFor(resource);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(noHeaders ? {} : { columnDefinitions: table.columns }),
    rows: objects.map(o => ({
      cells: table.cells(o),
      object: rowObject(o, include),
    })),
  };
}
