import {
  createPermission,
  type BasicPermission,
  type Permission,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';

/**
 * Open an interactive shell in a container of a catalog entity's workloads.
 *
 * A catalog-entity resource permission, so policies can answer it with catalog conditions such as
 * `isEntityOwner`.
 *
 * @public
 */
export const kubernetesTerminalExecPermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'kubernetes.terminal.exec',
    attributes: { action: 'create' },
    resourceType: 'catalog-entity',
  });

/**
 * Start a kubectl session pod next to a catalog entity's workloads.
 *
 * @public
 */
export const kubernetesTerminalSessionPodCreatePermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'kubernetes.terminal.sessionPod.create',
    attributes: { action: 'create' },
    resourceType: 'catalog-entity',
  });

/**
 * Add a debug container (an ephemeral container with its own image and tools) beside a container of
 * a catalog entity's workloads, and open a shell in it: for images without a shell. Ephemeral
 * containers stay in the pod until it is replaced.
 *
 * @public
 */
export const kubernetesTerminalDebugContainerCreatePermission: ResourcePermission<'catalog-entity'> =
  createPermission({
    name: 'kubernetes.terminal.debugContainer.create',
    attributes: { action: 'create' },
    resourceType: 'catalog-entity',
  });

/**
 * Read every user's terminal sessions and the audit log. Users always see their own sessions.
 *
 * @public
 */
export const kubernetesTerminalAuditReadPermission: BasicPermission =
  createPermission({
    name: 'kubernetes.terminal.audit.read',
    attributes: { action: 'read' },
  });

/**
 * End another user's live terminal session.
 *
 * @public
 */
export const kubernetesTerminalSessionTerminatePermission: BasicPermission =
  createPermission({
    name: 'kubernetes.terminal.session.terminate',
    attributes: { action: 'delete' },
  });

/**
 * Replay and download the recording of a terminal session (what its terminal showed). Needed on top of
 * seeing the session: one's own, or anyone's with `kubernetes.terminal.audit.read`.
 *
 * @public
 */
export const kubernetesTerminalRecordingReadPermission: BasicPermission =
  createPermission({
    name: 'kubernetes.terminal.recording.read',
    attributes: { action: 'read' },
  });

/**
 * Every permission of the kubernetes-terminal plugins.
 *
 * @public
 */
export const kubernetesTerminalPermissions: Permission[] = [
  kubernetesTerminalExecPermission,
  kubernetesTerminalSessionPodCreatePermission,
  kubernetesTerminalDebugContainerCreatePermission,
  kubernetesTerminalAuditReadPermission,
  kubernetesTerminalSessionTerminatePermission,
  kubernetesTerminalRecordingReadPermission,
];
