import { createHash } from 'node:crypto';
import {
  apiVersionOf,
  groupVersions,
  RESOURCES,
  SUBRESOURCES,
} from '../resources';

/*
 * Legacy (unaggregated) discovery only. kubectl first asks for the aggregated
 * `apidiscovery.k8s.io/v2` form in its Accept header; answering plain `application/json` with the
 * legacy documents makes it fall back, exactly as against an API server without aggregation.
 */

export const SANDBOX_VERSION = {
  major: '1',
  minor: '32',
  emulationMajor: '1',
  emulationMinor: '32',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '31',
  gitVersion: 'v1.32.0-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const SERVER_ADDRESS = [
  { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' },
];

function storageVersionHash(
  group: string,
  version: string,
  kind: string,
): string {
  return createHash('sha256')
    .update(`${group}/${version}/${kind}`)
    .digest('base64')
    .slice(0, 11);
}

export function apiVersions(): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: SERVER_ADDRESS,
  };
}

function groupDocument(group: string): unknown {
  const versions = groupVersions()
    .filter(gv => gv.group === group)
    .map(gv => ({
      groupVersion: `${gv.group}/${gv.version}`,
      version: gv.version,
    }));
  return {
    name: group,
    versions,
    preferredVersion: versions[0],
  };
}

export function apiGroupList(): unknown {
  const groups = [...new Set(groupVersions().map(gv => gv.group))].filter(
    g => g !== '',
  );
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(groupDocument),
  };
}

export function apiGroup(group: string): unknown | undefined {
  if (!groupVersions().some(gv => gv.group === group && group !== ''))
    return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    ...(groupDocument(group) as object),
  };
}

export function apiResourceList(
  group: string,
  version: string,
): unknown | undefined {
  const resources = RESOURCES.filter(
    r => r.group === group && r.version === version,
  );
  if (!resources.length) return undefined;
  const list: unknown[] = [];
  for (const r of resources) {
    list.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      ...(r.virtual
        ? {}
        : {
            storageVersionHash: storageVersionHash(r.group, r.version, r.kind),
          }),
    });
    for (const s of SUBRESOURCES.filter(
      sub => r.group === '' && sub.parent === r.resource,
    )) {
      list.push({
        name: `${r.resource}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group !== undefined
          ? { group: s.group, version: s.version }
          : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: list,
  };
}
