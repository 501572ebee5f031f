import { createTokenRequest } from '../auth/tokenRequest';
import { parseAttachRequest, parseExecRequest } from '../exec/execRequest';
import { findSubresource, RESOURCE_TYPES } from '../resources';
import { badRequest, methodNotAllowed, resourceNotFound } from '../status';
import { ApiContext, ResourceRequest } from './context';
import { sendJson } from './http';
import { get } from './readHandlers';
import { jsonBody, patchBody, rejectDryRun } from './requestBodies';

/**
 * pods/status, pods/log, pods/ephemeralcontainers, serviceaccounts/token, and pods/exec and
 * pods/attach requests that did not upgrade.
 */

export async function handleSubresource(
  ctx: ApiContext,
  r: ResourceRequest,
): Promise<void> {
  const sub = findSubresource(r.resource, r.info.subresource!);
  if (!sub || r.info.rest.length) throw resourceNotFound();
  const { namespace, name } = r.info as { namespace: string; name: string };
  const verb = r.info.verb;
  if (sub.name === 'status') {
    if (verb === 'get') return get(ctx, r);
    if (verb === 'update')
      return sendJson(
        r.res,
        200,
        ctx.registry.updateStatus(
          r.resource,
          namespace,
          name,
          await jsonBody(r),
        ),
      );
    if (verb === 'patch') {
      const { type, patch } = await patchBody(r);
      return sendJson(
        r.res,
        200,
        ctx.registry.patch(r.resource, namespace, name, type, patch, 'status'),
      );
    }
  }
  if (sub.name === 'token' && verb === 'create') {
    rejectDryRun(r.url);
    const body = await jsonBody(r);
    return sendJson(
      r.res,
      201,
      createTokenRequest(
        ctx.store,
        ctx.serviceAccountTokens,
        namespace,
        name,
        body,
        ctx.minTokenExpirationSeconds,
      ),
    );
  }
  if (sub.name === 'log' && verb === 'get') {
    return podLog(ctx, r);
  }
  if (sub.name === 'ephemeralcontainers') {
    if (verb === 'get') return get(ctx, r);
    if (verb === 'update') {
      rejectDryRun(r.url);
      const body = await jsonBody(r);
      return sendJson(
        r.res,
        200,
        ctx.registry.updateEphemeralContainers(namespace, name, { body }),
      );
    }
    if (verb === 'patch') {
      rejectDryRun(r.url);
      const { type, patch } = await patchBody(r);
      return sendJson(
        r.res,
        200,
        ctx.registry.updateEphemeralContainers(namespace, name, {
          contentType: type,
          patch,
        }),
      );
    }
  }
  if (sub.name === 'attach' && (verb === 'get' || verb === 'create')) {
    parseAttachRequest(ctx.store, namespace, name, r.url);
    throw badRequest('Upgrade request required');
  }
  if (sub.name === 'exec' && (verb === 'get' || verb === 'create')) {
    parseExecRequest(ctx.store, namespace, name, r.url);
    throw badRequest('Upgrade request required');
  }
  throw methodNotAllowed();
}

/** Sandbox pods have no main process, so their log is empty; errors still match the kubelet's. */
function podLog(ctx: ApiContext, r: ResourceRequest): void {
  const pod = ctx.store.mustGet(
    RESOURCE_TYPES.pods,
    r.info.namespace,
    r.info.name!,
  );
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  let container = r.url.searchParams.get('container') ?? '';
  if (!container) {
    if (names.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${
          pod.metadata.name
        }, choose one of: [${names.join(' ')}]`,
      );
    }
    container = names[0];
  }
  if (!names.includes(container)) {
    throw badRequest(
      `container ${container} is not valid for pod ${pod.metadata.name}`,
    );
  }
  const waiting = (pod.status?.containerStatuses ?? []).find(
    (s: any) => s.name === container,
  )?.state?.waiting;
  if (waiting) {
    throw badRequest(
      `container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${waiting.reason}`,
    );
  }
  r.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 0 });
  r.res.end();
}
