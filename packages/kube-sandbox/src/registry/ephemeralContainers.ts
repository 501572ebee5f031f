import { FieldError } from '../status';
import { KubeObject } from '../types';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Fields an ephemeral container may not have (the API server's ValidateEphemeralContainers). */
const FORBIDDEN_FIELDS = [
  'ports',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'resizePolicy',
  'restartPolicy',
];

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * The API server's rules for the `pods/ephemeralcontainers` subresource: existing ephemeral
 * containers stay as they are (they cannot be changed or removed), new ones have unique names
 * among all the pod's containers, an image, none of the fields a container that is never restarted
 * or probed cannot use, and a target that is one of the pod's containers.
 */
export function validateEphemeralContainers(
  pod: KubeObject,
  next: unknown,
): FieldError[] {
  const field = 'spec.ephemeralContainers';
  if (!Array.isArray(next)) {
    return [
      {
        field,
        type: 'FieldValueInvalid',
        value: next,
        detail: 'must be a list of containers',
      },
    ];
  }
  const errors: FieldError[] = [];
  const old: any[] = pod.spec?.ephemeralContainers ?? [];
  for (const existing of old) {
    const kept = next.find((c: any) => c?.name === existing.name);
    if (!kept || !same(kept, existing)) {
      errors.push({
        field,
        type: 'FieldValueForbidden',
        detail: `existing ephemeral containers "${existing.name}" may not be changed`,
      });
    }
  }
  const names = new Set<string>(
    [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map(
      (c: any) => c.name,
    ),
  );
  const targets = new Set<string>(
    [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map(
      (c: any) => c.name,
    ),
  );
  next.forEach((container: any, i: number) => {
    const at = `${field}[${i}]`;
    if (typeof container !== 'object' || container === null) {
      errors.push({ field: at, type: 'FieldValueInvalid', value: container });
      return;
    }
    const isNew = !old.some(c => c.name === container.name);
    if (typeof container.name !== 'string' || container.name === '') {
      errors.push({ field: `${at}.name`, type: 'FieldValueRequired' });
    } else if (!DNS_LABEL.test(container.name) || container.name.length > 63) {
      errors.push({
        field: `${at}.name`,
        type: 'FieldValueInvalid',
        value: container.name,
        detail:
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      });
    } else if (names.has(container.name)) {
      errors.push({
        field: `${at}.name`,
        type: 'FieldValueDuplicate',
        value: container.name,
      });
    } else {
      names.add(container.name);
    }
    if (!isNew) {
      return;
    }
    if (typeof container.image !== 'string' || container.image.trim() === '') {
      errors.push({ field: `${at}.image`, type: 'FieldValueRequired' });
    }
    for (const forbidden of FORBIDDEN_FIELDS) {
      if (container[forbidden] !== undefined) {
        errors.push({
          field: `${at}.${forbidden}`,
          type: 'FieldValueForbidden',
          detail: 'cannot be set for an Ephemeral Container',
        });
      }
    }
    const resources = container.resources;
    if (
      resources &&
      (Object.keys(resources.limits ?? {}).length > 0 ||
        Object.keys(resources.requests ?? {}).length > 0)
    ) {
      errors.push({
        field: `${at}.resources`,
        type: 'FieldValueForbidden',
        detail: 'cannot be set for an Ephemeral Container',
      });
    }
    if (
      container.targetContainerName !== undefined &&
      !targets.has(container.targetContainerName)
    ) {
      errors.push({
        field: `${at}.targetContainerName`,
        type: 'FieldValueNotFound',
        value: container.targetContainerName,
      });
    }
  });
  return errors;
}
