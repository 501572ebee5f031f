import { randomUUID } from 'node:crypto';
import { apiVersionOf, RESOURCE_TYPES, ResourceType } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { applyPatch } from '../store/patch';
import {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  invalid,
  KubeStatus,
  notFound,
  successStatus,
} from '../status';
import { KubeObject } from '../types';
import { generateNameSuffix, validateObjectMeta } from '../validation';
import { validateEphemeralContainers } from './ephemeralContainers';
import { nowTimestamp } from './podStrategy';
import { KindStrategy, strategyFor } from './strategies';

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The write path every object takes, whether it comes over HTTP, from the seed or from a test helper:
 * type checks, defaulting, validation, admission, storage, and the controllers the sandbox emulates
 * synchronously (default service account per namespace, namespace cleanup, ownerReference GC).
 */
export class Registry {
  /**
   * PEM of the CA the sandbox serves with; once set, every new namespace gets the `kube-root-ca.crt`
   * ConfigMap, as the kube-controller-manager's root-ca-cert-publisher does.
   */
  rootCaCertificate?: string;

  constructor(readonly store: ObjectStore) {}

  private checkBody(resource: ResourceType, body: unknown): KubeObject {
    if (!isObject(body)) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${resource.kind})`,
      );
    }
    const expectedVersion = apiVersionOf(resource);
    if (body.kind !== undefined && body.kind !== resource.kind) {
      throw badRequest(
        `${body.kind} in version "${
          body.apiVersion ?? ''
        }" cannot be handled as a ${
          resource.kind
        }: the object provided is unrecognized`,
      );
    }
    if (body.apiVersion !== undefined && body.apiVersion !== expectedVersion) {
      throw badRequest(
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${expectedVersion})`,
      );
    }
    if (body.metadata !== undefined && !isObject(body.metadata)) {
      throw badRequest('metadata must be an object');
    }
    const object = structuredClone(body) as KubeObject;
    object.apiVersion = expectedVersion;
    object.kind = resource.kind;
    object.metadata = object.metadata ?? {};
    return object;
  }

  private resolveNamespace(
    resource: ResourceType,
    object: KubeObject,
    namespace: string | undefined,
  ): void {
    if (!resource.namespaced) {
      delete object.metadata.namespace;
      return;
    }
    if (
      namespace !== undefined &&
      object.metadata.namespace &&
      object.metadata.namespace !== namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    object.metadata.namespace = object.metadata.namespace || namespace;
  }

  private validate(
    resource: ResourceType,
    strategy: KindStrategy,
    object: KubeObject,
    old?: KubeObject,
  ): void {
    const errors = [
      ...validateObjectMeta(
        object.metadata,
        strategy.nameRule,
        resource.namespaced,
      ),
      ...(strategy.validate?.(object, old, { store: this.store }) ?? []),
    ];
    if (errors.length) {
      throw invalid(
        resource.kind,
        resource.group,
        object.metadata.name ?? object.metadata.generateName ?? '',
        errors,
      );
    }
  }

  create(
    resource: ResourceType,
    namespace: string | undefined,
    body: unknown,
  ): KubeObject {
    const strategy = strategyFor(resource.group, resource.resource);
    const object = this.checkBody(resource, body);
    this.resolveNamespace(resource, object, namespace);
    const meta = object.metadata;
    if (
      !meta.name &&
      typeof meta.generateName === 'string' &&
      meta.generateName
    ) {
      meta.name = `${meta.generateName}${generateNameSuffix()}`;
    }
    for (const dropped of [
      'uid',
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
      'managedFields',
    ]) {
      delete meta[dropped];
    }
    if (
      resource.namespaced &&
      meta.namespace &&
      !this.store.get(RESOURCE_TYPES.namespaces, undefined, meta.namespace)
    ) {
      throw notFound(RESOURCE_TYPES.namespaces, meta.namespace);
    }
    if (strategy.hasStatus) delete object.status;
    strategy.prepareForCreate?.(object, { store: this.store });
    this.validate(resource, strategy, object);
    this.admit(resource, object);
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    if (strategy.hasSpec) meta.generation = 1;
    const created = this.store.create(resource, object);
    if (resource === RESOURCE_TYPES.namespaces) {
      this.createNamespaceDefaults(created.metadata.name!);
    }
    return created;
  }

  /** Admission the sandbox enforces, with the API server's wording. */
  private admit(resource: ResourceType, object: KubeObject): void {
    if (resource === RESOURCE_TYPES.pods) {
      const sa = object.spec?.serviceAccountName;
      const ns = object.metadata.namespace!;
      if (sa && !this.store.get(RESOURCE_TYPES.serviceaccounts, ns, sa)) {
        throw forbidden(
          resource,
          object.metadata.name,
          `error looking up service account ${ns}/${sa}: serviceaccount "${sa}" not found`,
        );
      }
    }
  }

  private createNamespaceDefaults(namespace: string): void {
    if (!this.store.get(RESOURCE_TYPES.serviceaccounts, namespace, 'default')) {
      this.create(RESOURCE_TYPES.serviceaccounts, namespace, {
        metadata: { name: 'default' },
      });
    }
    if (
      this.rootCaCertificate &&
      !this.store.get(RESOURCE_TYPES.configmaps, namespace, 'kube-root-ca.crt')
    ) {
      this.create(RESOURCE_TYPES.configmaps, namespace, {
        metadata: {
          name: 'kube-root-ca.crt',
          annotations: {
            'kubernetes.io/description':
              'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
          },
        },
        data: { 'ca.crt': this.rootCaCertificate },
      });
    }
  }

  update(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
  ): KubeObject {
    const strategy = strategyFor(resource.group, resource.resource);
    const object = this.checkBody(resource, body);
    this.resolveNamespace(resource, object, namespace);
    if (object.metadata.name && object.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    object.metadata.name = name;
    const old = this.store.mustGet(resource, object.metadata.namespace, name);
    return this.replace(
      resource,
      strategy,
      object,
      old,
      object.metadata.resourceVersion as string | undefined,
    );
  }

  private replace(
    resource: ResourceType,
    strategy: KindStrategy,
    object: KubeObject,
    old: KubeObject,
    expectedResourceVersion: string | undefined,
  ): KubeObject {
    const meta = object.metadata;
    if (meta.uid && meta.uid !== old.metadata.uid) {
      throw conflict(
        resource,
        old.metadata.name!,
        `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    delete meta.managedFields;
    if (strategy.hasStatus) object.status = old.status;
    strategy.prepareForUpdate?.(object, old, { store: this.store });
    this.validate(resource, strategy, object, old);
    if (strategy.hasSpec) {
      const changed = JSON.stringify(object.spec) !== JSON.stringify(old.spec);
      meta.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
    return this.store.update(
      resource,
      object,
      expectedResourceVersion || undefined,
    );
  }

  /** The status subresource: only `status` changes, everything else is kept. */
  updateStatus(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
  ): KubeObject {
    const object = this.checkBody(resource, body);
    const old = this.store.mustGet(resource, namespace, name);
    const next = { ...old, status: object.status };
    return this.store.update(
      resource,
      next,
      (object.metadata.resourceVersion as string) || undefined,
    );
  }

  patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    subresource?: 'status',
  ): KubeObject {
    const old = this.store.mustGet(resource, namespace, name);
    const patched = applyPatch(contentType, old, patch) as KubeObject;
    if (!isObject(patched) || !isObject(patched.metadata)) {
      throw badRequest('the patch produced an object without metadata');
    }
    const expectedRv =
      isObject(patch) && isObject((patch as any).metadata)
        ? ((patch as any).metadata.resourceVersion as string | undefined)
        : undefined;
    if (patched.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (subresource === 'status') {
      return this.store.update(
        resource,
        { ...old, status: patched.status },
        expectedRv,
      );
    }
    const object = this.checkBody(resource, patched);
    this.resolveNamespace(resource, object, namespace);
    return this.replace(
      resource,
      strategyFor(resource.group, resource.resource),
      object,
      old,
      expectedRv,
    );
  }

  /**
   * The `pods/ephemeralcontainers` subresource: of the body (PUT) or the patched pod (PATCH) only
   * `spec.ephemeralContainers` is taken, as the API server's strategy does, and checked against its
   * rules; everything else of the pod is kept.
   */
  updateEphemeralContainers(
    namespace: string,
    name: string,
    update: { body: unknown } | { contentType: string; patch: unknown },
  ): KubeObject {
    const resource = RESOURCE_TYPES.pods;
    const old = this.store.mustGet(resource, namespace, name);
    const next =
      'body' in update
        ? this.checkBody(resource, update.body)
        : (applyPatch(update.contentType, old, update.patch) as KubeObject);
    const list = next?.spec?.ephemeralContainers ?? [];
    const errors = validateEphemeralContainers(old, list);
    if (errors.length) {
      throw invalid('Pod', '', name, errors);
    }
    const expectedRv =
      'body' in update
        ? (next.metadata?.resourceVersion as string | undefined)
        : undefined;
    return this.store.update(
      resource,
      {
        ...old,
        spec: { ...old.spec, ephemeralContainers: list },
      },
      expectedRv || undefined,
    );
  }

  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | KubeStatus {
    const existing = this.store.mustGet(resource, namespace, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== existing.metadata.uid) {
      throw conflict(
        resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (
      pre.resourceVersion &&
      pre.resourceVersion !== existing.metadata.resourceVersion
    ) {
      throw conflict(
        resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    if (
      resource === RESOURCE_TYPES.pods &&
      !existing.metadata.deletionTimestamp
    ) {
      // Graceful deletion as watchers know it: first a MODIFIED with deletionTimestamp (Terminating),
      // then the DELETED; the sandbox's "kubelet" needs no grace period to stop its processes.
      existing.metadata.deletionTimestamp = nowTimestamp();
      existing.metadata.deletionGracePeriodSeconds =
        existing.spec?.terminationGracePeriodSeconds ?? 30;
      this.store.update(resource, existing);
    }
    const deleted = this.store.delete(resource, namespace, name);
    if (resource === RESOURCE_TYPES.namespaces) {
      this.deleteNamespaceContents(name);
    }
    if (options.propagationPolicy !== 'Orphan') {
      this.deleteDependents(resource, deleted);
    }
    // The API server returns the object while graceful deletion is under way (pods, namespaces) and a
    // Status for immediate deletions; the sandbox deletes at once but keeps those shapes for clients.
    if (resource === RESOURCE_TYPES.pods) {
      return deleted;
    }
    if (resource === RESOURCE_TYPES.namespaces) {
      deleted.metadata.deletionTimestamp = nowTimestamp();
      deleted.status = { phase: 'Terminating' };
      return deleted;
    }
    return successStatus({
      name,
      ...(resource.group ? { group: resource.group } : {}),
      kind: resource.resource,
      uid: deleted.metadata.uid,
    });
  }

  private deleteQuietly(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): void {
    try {
      this.delete(resource, namespace, name);
    } catch (error) {
      // Already gone through another owner: the outcome the collector wants anyway.
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const { resource, object } of this.store.all()) {
      if (resource.namespaced && object.metadata.namespace === namespace) {
        this.deleteQuietly(resource, namespace, object.metadata.name!);
      }
    }
  }

  /** ownerReferences garbage collection; a namespaced owner only owns objects of its own namespace. */
  private deleteDependents(
    ownerResource: ResourceType,
    owner: KubeObject,
  ): void {
    const uid = owner.metadata.uid;
    for (const { resource, object } of this.store.all()) {
      const owned = (object.metadata.ownerReferences ?? []).some(
        ref => ref.uid === uid,
      );
      const reachable =
        !ownerResource.namespaced ||
        object.metadata.namespace === owner.metadata.namespace;
      if (owned && reachable) {
        this.deleteQuietly(
          resource,
          object.metadata.namespace,
          object.metadata.name!,
        );
      }
    }
  }
}
