import { DeleteOptions } from '../registry/Registry';
import { badRequest, unsupportedMediaType } from '../status';
import { ResourceRequest } from './context';
import { mediaType, parseJson, readBody } from './http';
import { decodeProtobufBody } from './protobuf';

/** Request bodies by verb: objects (JSON or kubectl's protobuf), patches, DeleteOptions. */

export function rejectDryRun(url: URL): void {
  if (url.searchParams.getAll('dryRun').length) {
    throw badRequest('dryRun is not supported by the kube-sandbox');
  }
}

const JSON_TYPES = new Set(['', 'application/json', '*/*']);
const PATCH_TYPES = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);

/** A create/update body (JSON, or protobuf for the few kinds kubectl sends that way). */
export async function jsonBody(r: ResourceRequest): Promise<unknown> {
  const type = mediaType(r.req);
  if (type === 'application/vnd.kubernetes.protobuf') {
    return decodeProtobufBody(await readBody(r.req));
  }
  if (!JSON_TYPES.has(type)) {
    r.req.resume();
    throw unsupportedMediaType(type);
  }
  return parseJson(await readBody(r.req));
}

export async function patchBody(
  r: ResourceRequest,
): Promise<{ type: string; patch: unknown }> {
  const type = mediaType(r.req);
  if (!PATCH_TYPES.has(type)) {
    r.req.resume();
    throw unsupportedMediaType(type);
  }
  return { type, patch: parseJson(await readBody(r.req)) };
}

export async function deleteOptions(
  r: ResourceRequest,
): Promise<DeleteOptions> {
  const body = await readBody(r.req);
  const options: any = body.length ? parseJson(body) : {};
  const orphan =
    r.url.searchParams.get('orphanDependents') === 'true' ||
    options.orphanDependents === true;
  const propagationPolicy =
    r.url.searchParams.get('propagationPolicy') ??
    options.propagationPolicy ??
    (orphan ? 'Orphan' : undefined);
  if (
    propagationPolicy &&
    !['Orphan', 'Background', 'Foreground'].includes(propagationPolicy)
  ) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  if (options.dryRun?.length) rejectDryRun(new URL('http://x/?dryRun=All'));
  return { propagationPolicy, preconditions: options.preconditions };
}
