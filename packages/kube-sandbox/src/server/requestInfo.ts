/*
 * Splits a request into the attributes authorization and routing need, after the API server's
 * RequestInfoFactory (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go).
 */

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix?: 'api' | 'apis';
  apiGroup: string;
  apiVersion: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Extra path parts after the subresource (not served by the sandbox). */
  rest: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function truthy(value: string | null): boolean {
  return value === 'true' || value === '1';
}

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const nonResource: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    rest: [],
  };
  let parts: string[];
  try {
    parts = path
      .split('/')
      .filter(p => p !== '')
      .map(decodeURIComponent);
  } catch {
    return nonResource;
  }
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return nonResource;
  parts = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (parts.length < 2) return nonResource; // /apis and /apis/<group> are discovery
    apiGroup = parts.shift()!;
  } else if (parts.length < 1) {
    return nonResource; // /api
  }
  const apiVersion = parts.shift()!;
  if (parts.length === 0) {
    return { ...nonResource, apiPrefix: prefix, apiGroup, apiVersion }; // /api/v1 discovery
  }
  const info: RequestInfo = {
    isResourceRequest: true,
    path,
    verb: '',
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    rest: [],
  };
  // The legacy /watch/ prefix, still used by some clients.
  let isWatchPath = false;
  if (parts[0] === 'watch') {
    isWatchPath = true;
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) {
      parts = parts.slice(2);
    }
  }
  info.resource = parts[0];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 3) info.subresource = parts[2];
  if (parts.length > 3) info.rest = parts.slice(3);
  // A namespace's own name is not a namespace scope for authorization.
  if (info.resource === 'namespaces') {
    info.namespace = undefined;
    if (parts.length >= 2) info.name = parts[1];
  }

  switch (method) {
    case 'POST':
      info.verb = 'create';
      break;
    case 'GET':
    case 'HEAD':
      info.verb = info.name ? 'get' : 'list';
      if (isWatchPath || (!info.name && truthy(url.searchParams.get('watch'))))
        info.verb = 'watch';
      if (
        info.name &&
        !info.subresource &&
        truthy(url.searchParams.get('watch'))
      )
        info.verb = 'watch';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
    default:
      info.verb = method.toLowerCase();
  }
  return info;
}
