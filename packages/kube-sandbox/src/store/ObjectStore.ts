import { ResourceType } from '../resources';
import { alreadyExists, conflict, gone, notFound } from '../status';
import { KubeObject } from '../types';

/** @public */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** @public */
export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED change; watches with selectors need it. */
  previous?: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

/** Byte order, as etcd sorts keys (localeCompare would not). */
function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function keyOf(
  resource: ResourceType,
  namespace: string | undefined,
  name: string,
): string {
  return `${resource.group}/${resource.resource}/${namespace ?? ''}/${name}`;
}

function prefixOf(resource: ResourceType, namespace?: string): string {
  return namespace === undefined
    ? `${resource.group}/${resource.resource}/`
    : `${resource.group}/${resource.resource}/${namespace}/`;
}

/**
 * In-memory storage for every kind, keyed by group/resource/namespace/name, with one global,
 * monotonically increasing resourceVersion like etcd's revision. A bounded history of events lets
 * watches resume from a resourceVersion; older ones get 410 Gone, as from a compacted etcd.
 */
export class ObjectStore {
  private revision: number;
  private readonly objects = new Map<
    string,
    { resource: ResourceType; object: KubeObject }
  >();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  constructor(
    private readonly options: {
      historyLimit?: number;
      initialRevision?: number;
      onListenerError?: (error: unknown) => void;
    } = {},
  ) {
    this.revision = options.initialRevision ?? 1000;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  get(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    const entry = this.objects.get(
      keyOf(resource, resource.namespaced ? namespace : undefined, name),
    );
    return entry ? structuredClone(entry.object) : undefined;
  }

  mustGet(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const found = this.get(resource, namespace, name);
    if (!found) {
      throw notFound(resource, name);
    }
    return found;
  }

  /** Objects of one resource, in namespace/name order as etcd keys sort. */
  list(resource: ResourceType, namespace?: string): KubeObject[] {
    const prefix = prefixOf(
      resource,
      resource.namespaced ? namespace : undefined,
    );
    const items: Array<[string, KubeObject]> = [];
    for (const [key, entry] of this.objects) {
      if (key.startsWith(prefix) && entry.resource === resource) {
        items.push([key, entry.object]);
      }
    }
    items.sort((a, b) => compareKeys(a[0], b[0]));
    return items.map(([, o]) => structuredClone(o));
  }

  /** Every stored object, for garbage collection and namespace cleanup. */
  all(): Array<{ resource: ResourceType; object: KubeObject }> {
    return [...this.objects.values()].map(e => ({
      resource: e.resource,
      object: structuredClone(e.object),
    }));
  }

  create(resource: ResourceType, object: KubeObject): KubeObject {
    const name = object.metadata.name!;
    const key = keyOf(
      resource,
      resource.namespaced ? object.metadata.namespace : undefined,
      name,
    );
    if (this.objects.has(key)) {
      throw alreadyExists(resource, name);
    }
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, { resource, object: stored });
    this.emit({
      type: 'ADDED',
      resource,
      object: stored,
      resourceVersion: this.revision,
    });
    return structuredClone(stored);
  }

  /**
   * Replaces an object. With `expectedResourceVersion`, a stale writer gets 409 Conflict
   * (optimistic concurrency as the API server does it).
   */
  update(
    resource: ResourceType,
    object: KubeObject,
    expectedResourceVersion?: string,
  ): KubeObject {
    const name = object.metadata.name!;
    const key = keyOf(
      resource,
      resource.namespaced ? object.metadata.namespace : undefined,
      name,
    );
    const existing = this.objects.get(key);
    if (!existing) {
      throw notFound(resource, name);
    }
    if (
      expectedResourceVersion !== undefined &&
      expectedResourceVersion !== existing.object.metadata.resourceVersion
    ) {
      throw conflict(
        resource,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, { resource, object: stored });
    this.emit({
      type: 'MODIFIED',
      resource,
      object: stored,
      previous: existing.object,
      resourceVersion: this.revision,
    });
    return structuredClone(stored);
  }

  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const key = keyOf(
      resource,
      resource.namespaced ? namespace : undefined,
      name,
    );
    const existing = this.objects.get(key);
    if (!existing) {
      throw notFound(resource, name);
    }
    this.objects.delete(key);
    // A deletion is itself a revision; watchers see the object stamped with it, as from etcd.
    const stamped = structuredClone(existing.object);
    stamped.metadata.resourceVersion = String(++this.revision);
    this.emit({
      type: 'DELETED',
      resource,
      object: stamped,
      previous: existing.object,
      resourceVersion: this.revision,
    });
    return structuredClone(stamped);
  }

  /** Synchronous listener for every change; used by watches, garbage collection and the pod runtime. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Events after `resourceVersion`, or a 410 when the window no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    if (resourceVersion >= this.revision) {
      return [];
    }
    const oldest = this.history.length
      ? this.history[0].resourceVersion
      : this.revision + 1;
    if (resourceVersion + 1 < oldest && this.historyTruncated) {
      throw gone(
        `too old resource version: ${resourceVersion} (${oldest - 1})`,
      );
    }
    return this.history.filter(e => e.resourceVersion > resourceVersion);
  }

  private historyTruncated = false;

  private emit(event: StoreEvent): void {
    this.history.push(event);
    const limit = this.options.historyLimit ?? 10000;
    if (this.history.length > limit) {
      this.history.splice(0, this.history.length - limit);
      this.historyTruncated = true;
    }
    for (const listener of [...this.listeners]) {
      // One failing listener (a broken watch socket, say) must not undo or block the write.
      try {
        listener(event);
      } catch (error) {
        this.options.onListenerError?.(error);
      }
    }
  }
}
