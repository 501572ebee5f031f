import { RESOURCE_TYPES } from '../resources';
import { nowTimestamp } from '../registry/podStrategy';
import { ObjectStore } from '../store/ObjectStore';
import { badRequest, FieldError, invalid, notFound } from '../status';
import { KubeObject } from '../types';
import { BoundObject, ServiceAccountTokens } from './serviceAccountTokens';

/** `POST serviceaccounts/<name>/token`: a TokenRequest answered with a signed, expiring token. */
export function createTokenRequest(
  store: ObjectStore,
  tokens: ServiceAccountTokens,
  namespace: string,
  name: string,
  body: any,
  minExpirationSeconds: number,
): KubeObject {
  const sa = store.mustGet(RESOURCE_TYPES.serviceaccounts, namespace, name);
  if (body?.kind !== undefined && body.kind !== 'TokenRequest') {
    throw badRequest(
      `${body.kind} in version "${
        body.apiVersion ?? ''
      }" cannot be handled as a TokenRequest`,
    );
  }
  const spec = body?.spec ?? {};
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  const errors: FieldError[] = [];
  if (!Number.isInteger(expirationSeconds)) {
    errors.push({
      field: 'spec.expirationSeconds',
      type: 'FieldValueInvalid',
      value: expirationSeconds,
      detail: 'must be an integer',
    });
  } else if (expirationSeconds < minExpirationSeconds) {
    errors.push({
      field: 'spec.expirationSeconds',
      type: 'FieldValueInvalid',
      value: expirationSeconds,
      detail:
        minExpirationSeconds === 600
          ? 'may not specify a duration less than 10 minutes'
          : `may not specify a duration less than ${minExpirationSeconds} seconds`,
    });
  } else if (expirationSeconds > 2 ** 32) {
    errors.push({
      field: 'spec.expirationSeconds',
      type: 'FieldValueTooLong',
      detail: 'may not specify a duration larger than 2^32 seconds',
    });
  }
  if (
    spec.audiences !== undefined &&
    !(
      Array.isArray(spec.audiences) &&
      spec.audiences.every((a: unknown) => typeof a === 'string')
    )
  ) {
    errors.push({
      field: 'spec.audiences',
      type: 'FieldValueInvalid',
      value: spec.audiences,
      detail: 'must be a list of strings',
    });
  }
  if (errors.length) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, errors);
  }

  let boundObject: BoundObject | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    if (ref.kind !== 'Pod' && ref.kind !== 'Secret') {
      throw badRequest(
        `cannot bind token for serviceaccount "${name}" to object of kind "${ref.kind}"`,
      );
    }
    const resource =
      ref.kind === 'Pod' ? RESOURCE_TYPES.pods : RESOURCE_TYPES.secrets;
    const target = store.get(resource, namespace, ref.name);
    if (!target) throw notFound(resource, ref.name);
    if (ref.uid && ref.uid !== target.metadata.uid) {
      throw badRequest(
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    boundObject = { kind: ref.kind, name: ref.name, uid: target.metadata.uid };
  }

  const issued = tokens.issue({
    namespace,
    name,
    uid: sa.metadata.uid!,
    audiences: spec.audiences,
    expirationSeconds,
    boundObject,
  });
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name, namespace, creationTimestamp: nowTimestamp() },
    spec: {
      audiences: spec.audiences?.length
        ? spec.audiences
        : ['https://kubernetes.default.svc.cluster.local'],
      expirationSeconds,
      boundObjectRef: ref ? { ...ref, uid: boundObject?.uid } : null,
    },
    status: issued,
  };
}
