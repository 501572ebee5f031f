import {
  createPermission,
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
 * Every permission of the kubernetes-terminal plugins.
 *
 * @public
 */
export const kubernetesTerminalPermissions = [kubernetesTerminalExecPermission];
