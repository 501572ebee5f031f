import {
  selfSubjectAccessReview,
  selfSubjectReview,
  selfSubjectRulesReview,
  subjectAccessReview,
  tokenReview,
} from '../auth/reviews';
import { apiVersionOf } from '../resources';
import { ApiError, methodNotAllowed, resourceNotFound } from '../status';
import { KubeObject } from '../types';
import { ApiContext, ResourceRequest } from './context';
import { sendJson } from './http';
import { get, list, matcherFor, watch } from './readHandlers';
import {
  deleteOptions,
  jsonBody,
  patchBody,
  rejectDryRun,
} from './requestBodies';
import { handleSubresource } from './subresources';

/*
 * Routes a resource request to its verb. Authentication and authorization have already happened;
 * the handlers only translate HTTP to registry calls and shape the answer.
 */

async function createVirtual(
  ctx: ApiContext,
  r: ResourceRequest,
  body: unknown,
): Promise<KubeObject> {
  switch (r.resource.resource) {
    case 'selfsubjectaccessreviews':
      return selfSubjectAccessReview(body, r.user, ctx.rbac);
    case 'selfsubjectrulesreviews':
      return selfSubjectRulesReview(body, r.user, ctx.rbac);
    case 'subjectaccessreviews':
      return subjectAccessReview(body, ctx.rbac);
    case 'selfsubjectreviews':
      return selfSubjectReview(r.user);
    case 'tokenreviews':
      return tokenReview(body, ctx.authenticator);
    default:
      throw methodNotAllowed();
  }
}

export async function handleResource(
  ctx: ApiContext,
  r: ResourceRequest,
): Promise<void> {
  if (r.info.subresource) {
    return handleSubresource(ctx, r);
  }
  if (r.info.rest.length) throw resourceNotFound();
  const { resource } = r;
  const verb = r.info.verb;
  if (
    !resource.verbs.includes(verb) &&
    !(verb === 'watch' && r.info.name && resource.verbs.includes('watch'))
  ) {
    throw methodNotAllowed();
  }
  if (
    resource.namespaced &&
    !r.info.namespace &&
    !['list', 'watch'].includes(verb)
  ) {
    // Namespaced objects are only addressable inside a namespace; the cluster-wide path is list-only.
    throw resourceNotFound();
  }
  const { namespace, name } = r.info;
  switch (verb) {
    case 'list':
      return list(ctx, r);
    case 'watch':
      return watch(ctx, r);
    case 'get':
      return get(ctx, r);
    case 'create': {
      rejectDryRun(r.url);
      const body = await jsonBody(r);
      if (resource.virtual)
        return sendJson(r.res, 201, await createVirtual(ctx, r, body));
      return sendJson(
        r.res,
        201,
        ctx.registry.create(resource, namespace, body),
      );
    }
    case 'update':
      rejectDryRun(r.url);
      return sendJson(
        r.res,
        200,
        ctx.registry.update(resource, namespace, name!, await jsonBody(r)),
      );
    case 'patch': {
      rejectDryRun(r.url);
      const { type, patch } = await patchBody(r);
      return sendJson(
        r.res,
        200,
        ctx.registry.patch(resource, namespace, name!, type, patch),
      );
    }
    case 'delete': {
      const options = await deleteOptions(r);
      rejectDryRun(r.url);
      return sendJson(
        r.res,
        200,
        ctx.registry.delete(resource, namespace, name!, options),
      );
    }
    case 'deletecollection': {
      const options = await deleteOptions(r);
      rejectDryRun(r.url);
      const matches = matcherFor(r);
      const victims = ctx.store.list(resource, namespace).filter(matches);
      for (const v of victims) {
        try {
          ctx.registry.delete(
            resource,
            v.metadata.namespace,
            v.metadata.name!,
            options,
          );
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 404)) throw error;
        }
      }
      return sendJson(r.res, 200, {
        kind: resource.listKind,
        apiVersion: apiVersionOf(resource),
        metadata: { resourceVersion: String(ctx.store.resourceVersion) },
        items: victims,
      });
    }
    default:
      throw methodNotAllowed();
  }
}
