import { apiVersionOf } from '../resources';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors';
import { badRequest, notFound } from '../status';
import { KubeObject } from '../types';
import { ApiContext, ResourceRequest } from './context';
import { negotiate, sendJson } from './http';
import { podMetrics } from './podMetrics';
import { IncludeObject, toTable } from './table';
import { serveWatch } from './watch';

/*
 * The read verbs: list (with selectors, paging and the Table / PartialObjectMetadata shapes kubectl
 * asks for), get and watch.
 */

function includeObject(url: URL): IncludeObject {
  const v = url.searchParams.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function partial(object: KubeObject) {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: object.metadata,
  };
}

export function matcherFor(r: ResourceRequest) {
  const labels = parseLabelSelector(r.url.searchParams.get('labelSelector'));
  const fields = parseFieldSelector(
    r.url.searchParams.get('fieldSelector'),
    r.resource,
  );
  const ns = r.resource.namespaced ? r.info.namespace : undefined;
  const name = r.info.name;
  return (o: KubeObject) =>
    (ns === undefined || o.metadata.namespace === ns) &&
    (name === undefined || o.metadata.name === name) &&
    labels(o) &&
    fields(o);
}

function encodeContinue(rv: number, afterKey: string): string {
  return Buffer.from(
    JSON.stringify({ v: 'sandbox/v1', rv, start: afterKey }),
  ).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed.v === 'sandbox/v1' && typeof parsed.start === 'string')
      return parsed;
  } catch {
    // fall through to the API server's message
  }
  throw badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

/** Stored objects, or for computed resources (pod metrics) the objects computed now. */
function objectsOf(ctx: ApiContext, r: ResourceRequest): KubeObject[] {
  const namespace = r.resource.namespaced ? r.info.namespace : undefined;
  if (r.resource.computed) return podMetrics(ctx.store, namespace);
  return ctx.store.list(r.resource, namespace);
}

export function list(ctx: ApiContext, r: ResourceRequest): void {
  const shape = negotiate(r.req.headers.accept);
  const matches = matcherFor(r);
  const all = objectsOf(ctx, r).filter(matches);
  const keyOf = (o: KubeObject) =>
    `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const cont = r.url.searchParams.get('continue');
  let items = all;
  let rv = ctx.store.resourceVersion;
  if (cont) {
    const token = decodeContinue(cont);
    rv = token.rv;
    items = all.filter(o => keyOf(o) > token.start);
  }
  const limit = Number(r.url.searchParams.get('limit') ?? '0');
  const meta: Record<string, unknown> = { resourceVersion: String(rv) };
  if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
    const remaining = items.length - limit;
    items = items.slice(0, limit);
    meta.continue = encodeContinue(rv, keyOf(items[items.length - 1]));
    meta.remainingItemCount = remaining;
  }
  if (shape === 'table') {
    sendJson(
      r.res,
      200,
      toTable(r.resource, items, meta, includeObject(r.url)),
    );
  } else if (shape === 'partial') {
    sendJson(r.res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      items: items.map(partial),
    });
  } else {
    sendJson(r.res, 200, {
      kind: r.resource.listKind,
      apiVersion: apiVersionOf(r.resource),
      metadata: meta,
      items,
    });
  }
}

export function get(ctx: ApiContext, r: ResourceRequest): void {
  const shape = negotiate(r.req.headers.accept);
  const object = r.resource.computed
    ? objectsOf(ctx, r).find(o => o.metadata.name === r.info.name)
    : ctx.store.mustGet(r.resource, r.info.namespace, r.info.name!);
  if (!object) throw notFound(r.resource, r.info.name!);
  if (shape === 'table') {
    sendJson(
      r.res,
      200,
      toTable(
        r.resource,
        [object],
        { resourceVersion: object.metadata.resourceVersion },
        includeObject(r.url),
      ),
    );
  } else if (shape === 'partial') {
    sendJson(r.res, 200, partial(object));
  } else {
    sendJson(r.res, 200, object);
  }
}

export function watch(ctx: ApiContext, r: ResourceRequest): void {
  const shape = negotiate(r.req.headers.accept);
  const params = r.url.searchParams;
  const timeout = Number(params.get('timeoutSeconds') ?? '0');
  serveWatch(
    r.res,
    ctx.store,
    {
      resource: r.resource,
      matcher: matcherFor(r),
      resourceVersion: params.get('resourceVersion') ?? undefined,
      timeoutSeconds: Number.isFinite(timeout) ? timeout : 0,
      sendInitialEvents: params.get('sendInitialEvents') === 'true',
      allowBookmarks: params.get('allowWatchBookmarks') === 'true',
      table: shape === 'table' ? includeObject(r.url) : undefined,
    },
    ctx.openWatches,
  );
}
