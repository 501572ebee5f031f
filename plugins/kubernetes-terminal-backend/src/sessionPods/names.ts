import { parseEntityRef } from '@backstage/catalog-model';
import { createHash } from 'node:crypto';

/*
 * Names, labels and annotations of the objects of a session pod. Every object carries the labels, so
 * the janitor finds them in any namespace, also those a crashed backend left behind.
 */

/** @internal */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** @internal */
export const MANAGED_BY = 'backstage-kubernetes-terminal';
/** @internal */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** @internal */
export const COMPONENT = 'session-pod';
/** The pod (and base name of every object) of the session. @internal */
export const SESSION_POD_LABEL = 'kubernetes-terminal.backstage.io/session-pod';
/** The terminal session that provisioned the pod. @internal */
export const SESSION_ID_LABEL = 'kubernetes-terminal.backstage.io/session-id';
/** The user, made label-safe; the exact entity ref is in {@link USER_ANNOTATION}. @internal */
export const USER_LABEL = 'kubernetes-terminal.backstage.io/user';
/** Expiry in seconds since the epoch, kept current on every object of the session. @internal */
export const EXPIRES_AT_LABEL = 'kubernetes-terminal.backstage.io/expires-at';

/** @internal */
export const USER_ANNOTATION = 'kubernetes-terminal.backstage.io/user';
/** @internal */
export const ENTITY_ANNOTATION = 'kubernetes-terminal.backstage.io/entity-ref';
/** The expiry, ISO 8601; on the pod it is the source of truth every replica reads. @internal */
export const EXPIRES_AT_ANNOTATION =
  'kubernetes-terminal.backstage.io/expires-at';
/** The cap extensions can reach, ISO 8601, set once when the pod is created. @internal */
export const MAX_EXPIRES_AT_ANNOTATION =
  'kubernetes-terminal.backstage.io/max-expires-at';

/** Selects every object the terminal plugin manages. @internal */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${COMPONENT_LABEL}=${COMPONENT}`;

/** @internal */
export const SESSION_POD_CONTAINER = 'kubectl';
/** @internal */
export const SESSION_POD_HOME = '/home/kubectl';
/** @internal */
export const KUBECONFIG_DIR = '/var/run/secrets/kubernetes-terminal';
/** @internal */
export const KUBECONFIG_KEY = 'kubeconfig';

/**
 * The session pod of a user in a namespace. The same user always gets the same name, so two tabs, a
 * reconnect or two backend replicas find (or race to create) the same pod instead of starting a
 * second one.
 *
 * @internal
 */
export function sessionPodName(userEntityRef: string): string {
  let name = userEntityRef;
  try {
    name = parseEntityRef(userEntityRef).name;
  } catch {
    // Unusual refs still get a name from their hash.
  }
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 20)
    .replace(/^-+|-+$/g, '');
  const hash = createHash('sha256')
    .update(userEntityRef)
    .digest('hex')
    .slice(0, 10);
  return `kubectl-${slug ? `${slug}-` : ''}${hash}`;
}

/** @internal */
export function kubeconfigSecretName(podName: string): string {
  return `${podName}-kubeconfig`;
}

/** A label value naming the user: `user:default/alice` → `user.default.alice`. @internal */
export function userLabelValue(userEntityRef: string): string {
  return (
    userEntityRef
      .replace(/[^A-Za-z0-9_.-]+/g, '.')
      .slice(0, 63)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'unknown'
  );
}

/** @internal */
export function expiresAtLabelValue(expiresAt: Date): string {
  return String(Math.floor(expiresAt.getTime() / 1000));
}
