import { createHash } from 'node:crypto';
import { apiVersionOf, groupVersions, RESOURCES } from '../resources';

/*
 * Just enough OpenAPI v3 for `kubectl create/apply -f` to validate on the server side: kubectl looks
 * for a PATCH operation of the object's kind with a `fieldValidation` query parameter; without it,
 * it falls back to client-side validation against a full schema and fails ("failed to download
 * openapi"). No schemas are served, so `kubectl explain` does not work.
 */

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiDocument(group: string, version: string): unknown {
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter(
    res => res.group === group && res.version === version && !res.virtual,
  )) {
    const base = `/${gvPath(group, version)}${
      r.namespaced ? '/namespaces/{namespace}' : ''
    }/${r.resource}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-group-version-kind': { group, version, kind: r.kind },
        'x-kubernetes-action': 'patch',
        parameters: [
          {
            name: 'dryRun',
            in: 'query',
            schema: { type: 'string', uniqueItems: true },
          },
          {
            name: 'fieldManager',
            in: 'query',
            schema: { type: 'string', uniqueItems: true },
          },
          {
            name: 'fieldValidation',
            in: 'query',
            schema: { type: 'string', uniqueItems: true },
          },
          {
            name: 'force',
            in: 'query',
            schema: { type: 'boolean', uniqueItems: true },
          },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: {
      title: 'Kubernetes (kube-sandbox)',
      version: apiVersionOf({ group, version }),
    },
    paths,
    components: {},
  };
}

export function openApiRoot(): unknown {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of groupVersions()) {
    const key = gvPath(group, version);
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiDocument(group, version)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

/** Resolves `/openapi/v3/...` to a document, or undefined for anything not served. */
export function openApiFor(path: string): unknown | undefined {
  if (path === '/openapi/v3') return openApiRoot();
  const m = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(
    path,
  );
  if (!m) return undefined;
  const [group, version] = m[1] ? ['', m[1]] : [m[2], m[3]];
  if (!groupVersions().some(gv => gv.group === group && gv.version === version))
    return undefined;
  return openApiDocument(group, version);
}
