import type {
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1OwnerReference,
  V1Pod,
  V1RoleBinding,
  V1Secret,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import {
  COMPONENT,
  COMPONENT_LABEL,
  ENTITY_ANNOTATION,
  EXPIRES_AT_ANNOTATION,
  EXPIRES_AT_LABEL,
  KUBECONFIG_DIR,
  KUBECONFIG_KEY,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  MAX_EXPIRES_AT_ANNOTATION,
  SESSION_ID_LABEL,
  SESSION_POD_CONTAINER,
  SESSION_POD_HOME,
  SESSION_POD_LABEL,
  USER_ANNOTATION,
  USER_LABEL,
  expiresAtLabelValue,
  kubeconfigSecretName,
  userLabelValue,
} from './names';
import type { SessionPodClusterSettings } from './sessionPodsConfig';

/*
 * The objects of a session pod, as pure functions of the session: what the provisioner creates and
 * what the tests check field by field.
 */

/** Who and what a session pod is for. @internal */
export interface SessionPodIdentity {
  /** The pod's name, also the base name of every other object. */
  name: string;
  namespace: string;
  userEntityRef: string;
  entityRef: string;
  /** The terminal session that provisioned it. */
  sessionId: string;
  expiresAt: Date;
  maxExpiresAt: Date;
}

/** @internal */
export const DEADLINE_MARGIN_SECONDS = 60;

/** A non-root user of no image in particular: `runAsNonRoot` is then checkable for any image. */
const RUN_AS = 1000;

/** @internal */
export function sessionLabels(id: SessionPodIdentity): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [COMPONENT_LABEL]: COMPONENT,
    [SESSION_POD_LABEL]: id.name,
    [SESSION_ID_LABEL]: id.sessionId,
    [USER_LABEL]: userLabelValue(id.userEntityRef),
    [EXPIRES_AT_LABEL]: expiresAtLabelValue(id.expiresAt),
  };
}

function metadata(
  id: SessionPodIdentity,
  name: string,
  owner?: V1OwnerReference,
) {
  return {
    name,
    namespace: id.namespace,
    labels: sessionLabels(id),
    annotations: {
      [USER_ANNOTATION]: id.userEntityRef,
      [ENTITY_ANNOTATION]: id.entityRef,
    },
    ...(owner && { ownerReferences: [owner] }),
  };
}

/** Deleting the pod garbage-collects everything that names it as owner. @internal */
export function podOwnerReference(pod: {
  name: string;
  uid: string;
}): V1OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    name: pod.name,
    uid: pod.uid,
    controller: true,
  };
}

/** @internal */
export function serviceAccountManifest(
  id: SessionPodIdentity,
): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: metadata(id, id.name),
    // Its only credential is the bound token the backend requests; nothing is mounted by default.
    automountServiceAccountToken: false,
  };
}

/** @internal */
export function podManifest(
  id: SessionPodIdentity,
  settings: SessionPodClusterSettings,
  maxLifetimeMs: number,
): V1Pod {
  const base = metadata(id, id.name);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...base,
      annotations: {
        ...settings.podAnnotations,
        ...base.annotations,
        [EXPIRES_AT_ANNOTATION]: id.expiresAt.toISOString(),
        [MAX_EXPIRES_AT_ANNOTATION]: id.maxExpiresAt.toISOString(),
      },
    },
    spec: {
      serviceAccountName: id.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      // The in-cluster safety net: the kubelet stops the pod at the cap even if no backend is left.
      // It counts from the pod's start in whole seconds, so a margin lets the backend's exact expiry
      // (which also deletes the pod's objects) come first.
      activeDeadlineSeconds:
        Math.ceil(maxLifetimeMs / 1000) + DEADLINE_MARGIN_SECONDS,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: RUN_AS,
        runAsGroup: RUN_AS,
        fsGroup: RUN_AS,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: SESSION_POD_CONTAINER,
          image: settings.image,
          command: settings.command,
          workingDir: SESSION_POD_HOME,
          env: [
            { name: 'HOME', value: SESSION_POD_HOME },
            {
              name: 'KUBECONFIG',
              value: `${KUBECONFIG_DIR}/${KUBECONFIG_KEY}`,
            },
            { name: 'TMPDIR', value: '/tmp' },
          ],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          resources: {
            requests: { ...settings.resources.requests },
            limits: { ...settings.resources.limits },
          },
          volumeMounts: [
            { name: 'home', mountPath: SESSION_POD_HOME },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'home', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        // The kubelet keeps the container from starting until this Secret exists, i.e. until the
        // NetworkPolicy, the RoleBinding and the token are in place.
        {
          name: 'kubeconfig',
          secret: {
            secretName: kubeconfigSecretName(id.name),
            defaultMode: 0o440,
          },
        },
      ],
    },
  };
}

/** @internal */
export function roleBindingManifest(
  id: SessionPodIdentity,
  clusterRole: string,
  owner: V1OwnerReference,
): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: metadata(id, id.name, owner),
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: clusterRole,
    },
    subjects: [
      { kind: 'ServiceAccount', name: id.name, namespace: id.namespace },
    ],
  };
}

/**
 * Denies all ingress; allows egress only to the cluster DNS and the API server (plus configured
 * extras).
 *
 * @internal
 */
export function networkPolicyManifest(
  id: SessionPodIdentity,
  settings: SessionPodClusterSettings['networkPolicy'],
  apiServerCidrs: string[],
  owner: V1OwnerReference,
): V1NetworkPolicy {
  const egress: V1NetworkPolicyEgressRule[] = [
    {
      to: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
          },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: settings.dnsPort },
        { protocol: 'TCP', port: settings.dnsPort },
      ],
    },
  ];
  if (apiServerCidrs.length > 0) {
    egress.push({
      to: apiServerCidrs.map(cidr => ({ ipBlock: { cidr } })),
      ports: settings.apiServerPorts.map(port => ({ protocol: 'TCP', port })),
    });
  }
  egress.push(...(settings.extraEgress as V1NetworkPolicyEgressRule[]));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(id, id.name, owner),
    spec: {
      podSelector: { matchLabels: { [SESSION_POD_LABEL]: id.name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress,
    },
  };
}

/** @internal */
export function kubeconfigSecretManifest(
  id: SessionPodIdentity,
  kubeconfig: string,
  owner: V1OwnerReference,
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(id, kubeconfigSecretName(id.name), owner),
    type: 'Opaque',
    data: {
      [KUBECONFIG_KEY]: Buffer.from(kubeconfig, 'utf8').toString('base64'),
    },
  };
}

/**
 * The pod's kubeconfig (JSON is YAML): the session's bound token and nothing of the backend's.
 *
 * @internal
 */
export function renderKubeconfig(options: {
  cluster: string;
  server: string;
  caData?: string;
  namespace: string;
  user: string;
  token: string;
}): string {
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: options.cluster,
          cluster: {
            server: options.server,
            ...(options.caData && {
              'certificate-authority-data': options.caData,
            }),
          },
        },
      ],
      users: [{ name: options.user, user: { token: options.token } }],
      contexts: [
        {
          name: 'session',
          context: {
            cluster: options.cluster,
            user: options.user,
            namespace: options.namespace,
          },
        },
      ],
      'current-context': 'session',
      preferences: {},
    },
    null,
    2,
  )}\n`;
}
