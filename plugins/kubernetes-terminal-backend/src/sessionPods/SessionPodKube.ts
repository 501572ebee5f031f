import {
  CoreV1Api,
  type KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type CoreV1Event,
  type V1NetworkPolicy,
  type V1ObjectMeta,
  type V1Pod,
  type V1RoleBinding,
  type V1Secret,
  type V1ServiceAccount,
  setHeaderOptions,
} from '@kubernetes/client-node';

/*
 * The Kubernetes calls behind session pods, made with the backend's credentials, each bounded in
 * time and failing with the API server's own reason and message.
 */

/** A failed Kubernetes call: the HTTP status and the `Status` reason, when there was an answer. @internal */
export class KubeRequestError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeRequestError';
  }
}

/** @internal */
export function isNotFound(error: unknown): boolean {
  return error instanceof KubeRequestError && error.code === 404;
}

/** @internal */
export function isAlreadyExists(error: unknown): boolean {
  return (
    error instanceof KubeRequestError &&
    error.code === 409 &&
    error.reason === 'AlreadyExists'
  );
}

/** @internal */
export function isConflict(error: unknown): boolean {
  return (
    error instanceof KubeRequestError &&
    error.code === 409 &&
    error.reason !== 'AlreadyExists'
  );
}

/** The kinds a session pod consists of, besides the pod. @internal */
export type SessionObjectKind =
  | 'ServiceAccount'
  | 'RoleBinding'
  | 'NetworkPolicy'
  | 'Secret';

/** @internal */
export const SESSION_OBJECT_KINDS: SessionObjectKind[] = [
  'ServiceAccount',
  'RoleBinding',
  'NetworkPolicy',
  'Secret',
];

/** @internal */
export interface ObjectRef {
  kind: SessionObjectKind | 'Pod';
  namespace: string;
  name: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** @internal */
export class SessionPodKube {
  private readonly core: CoreV1Api;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly networking: NetworkingV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly requestTimeoutMs = 15_000,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    this.networking = kubeConfig.makeApiClient(NetworkingV1Api);
  }

  createServiceAccount(body: V1ServiceAccount): Promise<V1ServiceAccount> {
    const { namespace, name } = body.metadata as Required<V1ObjectMeta>;
    return this.call(`create ServiceAccount ${namespace}/${name}`, () =>
      this.core.createNamespacedServiceAccount({ namespace, body }),
    );
  }

  createPod(body: V1Pod): Promise<V1Pod> {
    const { namespace, name } = body.metadata as Required<V1ObjectMeta>;
    return this.call(`create Pod ${namespace}/${name}`, () =>
      this.core.createNamespacedPod({ namespace, body }),
    );
  }

  createRoleBinding(body: V1RoleBinding): Promise<V1RoleBinding> {
    const { namespace, name } = body.metadata as Required<V1ObjectMeta>;
    return this.call(`create RoleBinding ${namespace}/${name}`, () =>
      this.rbac.createNamespacedRoleBinding({ namespace, body }),
    );
  }

  createNetworkPolicy(body: V1NetworkPolicy): Promise<V1NetworkPolicy> {
    const { namespace, name } = body.metadata as Required<V1ObjectMeta>;
    return this.call(`create NetworkPolicy ${namespace}/${name}`, () =>
      this.networking.createNamespacedNetworkPolicy({ namespace, body }),
    );
  }

  createSecret(body: V1Secret): Promise<V1Secret> {
    const { namespace, name } = body.metadata as Required<V1ObjectMeta>;
    return this.call(`create Secret ${namespace}/${name}`, () =>
      this.core.createNamespacedSecret({ namespace, body }),
    );
  }

  async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.call(`read Pod ${namespace}/${name}`, () =>
        this.core.readNamespacedPod({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getServiceAccount(
    namespace: string,
    name: string,
  ): Promise<V1ServiceAccount | undefined> {
    try {
      return await this.call(`read ServiceAccount ${namespace}/${name}`, () =>
        this.core.readNamespacedServiceAccount({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getSecret(
    namespace: string,
    name: string,
  ): Promise<V1Secret | undefined> {
    try {
      return await this.call(`read Secret ${namespace}/${name}`, () =>
        this.core.readNamespacedSecret({ namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** A JSON merge patch; with `metadata.resourceVersion` in it, a concurrent change fails with 409. */
  patch(ref: ObjectRef, body: object): Promise<unknown> {
    const { namespace, name } = ref;
    const what = `patch ${ref.kind} ${namespace}/${name}`;
    switch (ref.kind) {
      case 'Pod':
        return this.call(what, () =>
          this.core.patchNamespacedPod({ namespace, name, body }, mergePatch),
        );
      case 'ServiceAccount':
        return this.call(what, () =>
          this.core.patchNamespacedServiceAccount(
            { namespace, name, body },
            mergePatch,
          ),
        );
      case 'RoleBinding':
        return this.call(what, () =>
          this.rbac.patchNamespacedRoleBinding(
            { namespace, name, body },
            mergePatch,
          ),
        );
      case 'NetworkPolicy':
        return this.call(what, () =>
          this.networking.patchNamespacedNetworkPolicy(
            { namespace, name, body },
            mergePatch,
          ),
        );
      default:
        return this.call(what, () =>
          this.core.patchNamespacedSecret(
            { namespace, name, body },
            mergePatch,
          ),
        );
    }
  }

  /** Deletes at once; returns false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    const { namespace, name } = ref;
    const options = {
      namespace,
      name,
      gracePeriodSeconds: 0,
      propagationPolicy: 'Background',
    };
    try {
      await this.call(
        `delete ${ref.kind} ${namespace}/${name}`,
        (): Promise<unknown> => {
          switch (ref.kind) {
            case 'Pod':
              return this.core.deleteNamespacedPod(options);
            case 'ServiceAccount':
              return this.core.deleteNamespacedServiceAccount(options);
            case 'RoleBinding':
              return this.rbac.deleteNamespacedRoleBinding(options);
            case 'NetworkPolicy':
              return this.networking.deleteNamespacedNetworkPolicy(options);
            default:
              return this.core.deleteNamespacedSecret(options);
          }
        },
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Objects of a kind in every namespace that match the label selector. */
  async list(
    kind: SessionObjectKind | 'Pod',
    labelSelector: string,
  ): Promise<Array<{ metadata?: V1ObjectMeta; status?: V1Pod['status'] }>> {
    const what = `list ${kind}s`;
    const params = { labelSelector };
    switch (kind) {
      case 'Pod':
        return (
          await this.call(what, () => this.core.listPodForAllNamespaces(params))
        ).items;
      case 'ServiceAccount':
        return (
          await this.call(what, () =>
            this.core.listServiceAccountForAllNamespaces(params),
          )
        ).items;
      case 'RoleBinding':
        return (
          await this.call(what, () =>
            this.rbac.listRoleBindingForAllNamespaces(params),
          )
        ).items;
      case 'NetworkPolicy':
        return (
          await this.call(what, () =>
            this.networking.listNetworkPolicyForAllNamespaces(params),
          )
        ).items;
      default:
        return (
          await this.call(what, () =>
            this.core.listSecretForAllNamespaces(params),
          )
        ).items;
    }
  }

  /** A token of the service account, bound to the pod: it dies with the pod. */
  async requestToken(
    namespace: string,
    serviceAccount: string,
    pod: { name: string; uid: string },
    expirationSeconds: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const request = (seconds: number) =>
      this.call(
        `request a token for ServiceAccount ${namespace}/${serviceAccount}`,
        () =>
          this.core.createNamespacedServiceAccountToken({
            namespace,
            name: serviceAccount,
            body: {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: {
                audiences: [],
                expirationSeconds: seconds,
                boundObjectRef: {
                  apiVersion: 'v1',
                  kind: 'Pod',
                  name: pod.name,
                  uid: pod.uid,
                },
              },
            },
          }),
      );
    let answer;
    try {
      answer = await request(expirationSeconds);
    } catch (error) {
      // API servers refuse lifetimes under 10 minutes; the token still dies with the pod.
      if (
        error instanceof KubeRequestError &&
        error.code === 422 &&
        expirationSeconds < 600
      ) {
        answer = await request(600);
      } else {
        throw error;
      }
    }
    const token = answer.status?.token;
    if (!token) {
      throw new KubeRequestError('the TokenRequest answer holds no token');
    }
    const expiresAt = answer.status?.expirationTimestamp;
    return {
      token,
      expiresAt: expiresAt
        ? new Date(expiresAt)
        : new Date(Date.now() + expirationSeconds * 1000),
    };
  }

  async listPodEvents(namespace: string, uid: string): Promise<CoreV1Event[]> {
    const list = await this.call(`list events of a pod in ${namespace}`, () =>
      this.core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.uid=${uid}`,
      }),
    );
    return list.items;
  }

  /** The addresses of the `default/kubernetes` Endpoints: where the API server really listens. */
  async apiServerAddresses(): Promise<string[]> {
    try {
      const endpoints = await this.call(
        'read Endpoints default/kubernetes',
        () =>
          this.core.readNamespacedEndpoints({
            namespace: 'default',
            name: 'kubernetes',
          }),
      );
      return (endpoints.subsets ?? []).flatMap(s =>
        (s.addresses ?? []).map(a => a.ip),
      );
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** The cluster CA as every namespace publishes it (`kube-root-ca.crt`), base64-encoded. */
  async rootCaData(namespace: string): Promise<string | undefined> {
    try {
      const map = await this.call(
        `read ConfigMap ${namespace}/kube-root-ca.crt`,
        () =>
          this.core.readNamespacedConfigMap({
            namespace,
            name: 'kube-root-ca.crt',
          }),
      );
      const pem = map.data?.['ca.crt'];
      return pem ? Buffer.from(pem, 'utf8').toString('base64') : undefined;
    } catch (error) {
      if (
        isNotFound(error) ||
        (error instanceof KubeRequestError && error.code === 403)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new KubeRequestError(
                  `could not ${what}: no answer within ${this.requestTimeoutMs} ms`,
                ),
              ),
            this.requestTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      throw toKubeRequestError(what, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A client-node failure as a KubeRequestError with the API server's message. @internal */
export function toKubeRequestError(
  what: string,
  error: unknown,
): KubeRequestError {
  if (error instanceof KubeRequestError) {
    return error;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') {
    const status = parseStatus((error as { body?: unknown }).body);
    return new KubeRequestError(
      `could not ${what}: ${status?.message ?? `HTTP ${code}`}`,
      code,
      status?.reason,
    );
  }
  return new KubeRequestError(
    `could not ${what}: ${
      error instanceof Error ? error.message : String(error)
    }`,
  );
}

function parseStatus(
  body: unknown,
): { message?: string; reason?: string } | undefined {
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    if (status && typeof status === 'object') {
      return {
        message:
          typeof status.message === 'string' ? status.message : undefined,
        reason: typeof status.reason === 'string' ? status.reason : undefined,
      };
    }
  } catch {
    // not a Status
  }
  return undefined;
}
