import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';
import type express from 'express';
import { ClusterAccessError } from '../kubernetes/PodLister';

/**
 * Loads an entity as the caller sees it in the catalog, with which of the wanted permissions the
 * caller holds on it.
 *
 * @internal
 */
export function createEntityLoader(deps: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  permissions: PermissionsService;
}) {
  const { httpAuth, catalog, permissions } = deps;
  /** The entity, and which of the permissions the caller holds on it. */
  return async function loadEntity(
    entityRef: string,
    req: express.Request,
    wanted: ResourcePermission<'catalog-entity'>[],
  ) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) {
      throw new NotFoundError(`entity ${entityRef} not found`);
    }
    const decisions = await permissions.authorize(
      wanted.map(permission => ({ permission, resourceRef: entityRef })),
      { credentials },
    );
    return {
      credentials,
      entity,
      allowed: decisions.map(d => d.result === AuthorizeResult.ALLOW),
    };
  };
}

/** @internal */
export type EntityLoader = ReturnType<typeof createEntityLoader>;

/** A call to a cluster, its failure told as the HTTP error that fits. @internal */
export async function clusterCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ClusterAccessError)) throw error;
    if (error.reason === 'SIGN_IN_REQUIRED') {
      throw new AuthenticationError(error.message);
    }
    if (error.reason === 'FORBIDDEN') {
      throw new NotAllowedError(error.message);
    }
    throw new ServiceUnavailableError(error.message);
  }
}
