import { badRequest, unsupportedMediaType } from '../status';

/*
 * PATCH bodies. Strategic merge patch merges the lists of the core types that have a merge key
 * (containers, ephemeral containers, volumes, env, ...) item by item, as the API server does, and
 * honours `$patch: delete` on such an item; other lists are replaced, as in a JSON merge patch.
 * Lists are told apart by field name, not by the object's schema, which is right for pods and the
 * other kinds the sandbox serves.
 */

/** Lists merged by key in a strategic merge patch: field name → the items' merge key. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  tolerations: 'key',
  hostAliases: 'ip',
  conditions: 'type',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386; with `strategic`, lists with a merge key are merged by it. */
export function mergePatch(
  target: unknown,
  patch: unknown,
  strategic = false,
): unknown {
  if (!isPlainObject(patch)) {
    return structuredClone(patch);
  }
  const result: Record<string, unknown> = isPlainObject(target)
    ? { ...target }
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (
      key === '$patch' ||
      key.startsWith('$setElementOrder') ||
      key.startsWith('$deleteFromPrimitiveList') ||
      key === '$retainKeys'
    ) {
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (
      strategic &&
      MERGE_KEYS[key] &&
      Array.isArray(value) &&
      Array.isArray(result[key])
    ) {
      result[key] = mergeList(result[key] as unknown[], value, MERGE_KEYS[key]);
    } else {
      result[key] = mergePatch(result[key], value, strategic);
    }
  }
  return result;
}

/** A list merged item by item on its merge key; new items are appended in the patch's order. */
function mergeList(target: unknown[], patch: unknown[], mergeKey: string) {
  const result = [...target];
  for (const item of patch) {
    if (!isPlainObject(item) || !(mergeKey in item)) {
      // Not a keyed item: the list is the patch's, as in a plain merge patch.
      return structuredClone(patch);
    }
    const index = result.findIndex(
      existing =>
        isPlainObject(existing) && existing[mergeKey] === item[mergeKey],
    );
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = mergePatch(result[index], item, true);
    } else {
      result.push(mergePatch({}, item, true));
    }
  }
  return result;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw badRequest(`invalid JSON pointer: ${pointer}`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: any, path: string[]): { parent: any; key: string } {
  let parent = doc;
  for (const part of path.slice(0, -1)) {
    parent = Array.isArray(parent) ? parent[Number(part)] : parent?.[part];
    if (parent === undefined || parent === null || typeof parent !== 'object') {
      throw badRequest(`jsonpatch: path /${path.join('/')} does not exist`);
    }
  }
  return { parent, key: path[path.length - 1] };
}

function getAt(doc: any, path: string[]): unknown {
  let current = doc;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? current[Number(part)] : current[part];
  }
  return current;
}

function removeAt(doc: any, path: string[]): void {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length))
      throw badRequest(`jsonpatch remove: index ${key} out of range`);
    parent.splice(i, 1);
  } else {
    if (!(key in parent))
      throw badRequest(
        `jsonpatch remove operation does not apply: doc is missing key: /${path.join(
          '/',
        )}`,
      );
    delete parent[key];
  }
}

function addAt(
  doc: any,
  path: string[],
  value: unknown,
  replace: boolean,
): any {
  if (path.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length))
      throw badRequest(`jsonpatch: index ${key} out of range`);
    if (replace) parent[i] = structuredClone(value);
    else parent.splice(i, 0, structuredClone(value));
  } else {
    if (replace && !(key in parent)) {
      throw badRequest(
        `jsonpatch replace operation does not apply: doc is missing key: /${path.join(
          '/',
        )}`,
      );
    }
    parent[key] = structuredClone(value);
  }
  return doc;
}

/** RFC 6902. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw badRequest('json patch must be an array of operations');
  }
  let doc: any = structuredClone(target);
  for (const op of operations) {
    if (
      !isPlainObject(op) ||
      typeof op.op !== 'string' ||
      typeof op.path !== 'string'
    ) {
      throw badRequest('json patch operation must have "op" and "path"');
    }
    const path = decodePointer(op.path);
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, op.value, false);
        break;
      case 'replace':
        doc = addAt(doc, path, op.value, true);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value)) {
          throw badRequest(
            `jsonpatch test operation does not apply: is not equal`,
          );
        }
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string')
          throw badRequest(`jsonpatch ${op.op}: missing "from"`);
        const from = decodePointer(op.from);
        const value = getAt(doc, from);
        if (value === undefined)
          throw badRequest(`jsonpatch ${op.op}: "from" does not exist`);
        if (op.op === 'move') removeAt(doc, from);
        doc = addAt(doc, path, value, false);
        break;
      }
      default:
        throw badRequest(`unexpected json patch operation "${op.op}"`);
    }
  }
  return doc;
}

export function applyPatch(
  contentType: string,
  target: unknown,
  patch: unknown,
): unknown {
  switch (contentType) {
    case 'application/json-patch+json':
      return jsonPatch(target, patch);
    case 'application/merge-patch+json':
    case 'application/strategic-merge-patch+json':
      if (!isPlainObject(patch)) {
        throw badRequest('merge patch must be a JSON object');
      }
      return mergePatch(
        target,
        patch,
        contentType === 'application/strategic-merge-patch+json',
      );
    default:
      throw unsupportedMediaType(contentType);
  }
}
