import type { ServerResponse } from 'node:http';
import { apiVersionOf, ResourceType } from '../resources';
import { ObjectStore, StoreEvent, WatchEventType } from '../store/ObjectStore';
import { Matcher } from '../store/selectors';
import { ApiError } from '../status';
import { KubeObject } from '../types';
import { IncludeObject, toTable } from './table';

/*
 * Watch streams: newline-delimited `{"type","object"}` JSON over a chunked response, as the API
 * server writes them for `?watch=true`. Objects moving in or out of a selector's scope are reported
 * as ADDED / DELETED, like the watch cache does.
 */

export interface WatchRequest {
  resource: ResourceType;
  matcher: Matcher;
  resourceVersion?: string;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  allowBookmarks?: boolean;
  table?: IncludeObject;
}

/** A slow reader that lets this much pile up is cut off, as the API server drops slow watchers. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export function serveWatch(
  res: ServerResponse,
  store: ObjectStore,
  request: WatchRequest,
  openWatches: Set<ServerResponse>,
): void {
  const { resource, matcher } = request;
  let headerSent = false;
  const write = (
    type: WatchEventType | 'ERROR' | 'BOOKMARK',
    object: unknown,
  ) => {
    if (res.writableEnded || res.destroyed) return;
    let payload = object;
    if (request.table && type !== 'ERROR' && type !== 'BOOKMARK') {
      payload = toTable(
        resource,
        [object as KubeObject],
        {},
        request.table,
        headerSent,
      );
      headerSent = true;
    }
    res.write(`${JSON.stringify({ type, object: payload })}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
    }
  };

  const translate = (event: StoreEvent) => {
    if (event.resource !== resource) return;
    const now = matcher(event.object);
    const before = event.previous ? matcher(event.previous) : false;
    switch (event.type) {
      case 'ADDED':
        if (now) write('ADDED', event.object);
        break;
      case 'MODIFIED':
        if (now && before) write('MODIFIED', event.object);
        else if (now) write('ADDED', event.object);
        else if (before) write('DELETED', event.object);
        break;
      case 'DELETED':
        if (now) write('DELETED', event.object);
        break;
      default:
    }
  };

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  const rv = request.resourceVersion;
  const fromScratch =
    rv === undefined || rv === '' || rv === '0' || request.sendInitialEvents;
  if (fromScratch) {
    for (const object of store.list(resource)) {
      if (matcher(object)) write('ADDED', object);
    }
    if (request.sendInitialEvents && request.allowBookmarks) {
      write('BOOKMARK', {
        kind: resource.kind,
        apiVersion: apiVersionOf(resource),
        metadata: {
          resourceVersion: String(store.resourceVersion),
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
    }
  } else {
    const since = Number(rv);
    if (!Number.isInteger(since) || since < 0) {
      write(
        'ERROR',
        new ApiError(
          400,
          'BadRequest',
          `invalid resource version "${rv}"`,
        ).toStatus(),
      );
      res.end();
      return;
    }
    try {
      store.eventsSince(since).forEach(translate);
    } catch (error) {
      if (error instanceof ApiError) {
        write('ERROR', error.toStatus());
        res.end();
        return;
      }
      throw error;
    }
  }

  const unsubscribe = store.subscribe(translate);
  openWatches.add(res);
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    unsubscribe();
    openWatches.delete(res);
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  if (request.timeoutSeconds && request.timeoutSeconds > 0) {
    timer = setTimeout(finish, request.timeoutSeconds * 1000);
  }
  res.on('close', finish);
}
