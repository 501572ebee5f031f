import { FieldError } from './status';
import { ObjectMeta } from './types';

/*
 * Name and metadata rules of k8s.io/apimachinery/pkg/util/validation, with the same messages,
 * because clients show them to people verbatim.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** How a kind's names are checked. */
export type NameRule = 'dns1123-label' | 'dns1123-subdomain' | 'path-segment';

export function dns1123LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    errors.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errors;
}

export function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errors;
}

export function pathSegmentErrors(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errors: string[] = [];
  for (const bad of ['/', '%']) {
    if (value.includes(bad)) errors.push(`may not contain '${bad}'`);
  }
  return errors;
}

export function nameErrors(rule: NameRule, value: string): string[] {
  switch (rule) {
    case 'dns1123-label':
      return dns1123LabelErrors(value);
    case 'path-segment':
      return pathSegmentErrors(value);
    default:
      return dns1123SubdomainErrors(value);
  }
}

/** Label/annotation keys: optional DNS subdomain prefix, then a name part of at most 63 characters. */
export function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const errors: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts;
    name = rest;
    if (!prefix) errors.push('prefix part must be non-empty');
    else
      errors.push(
        ...dns1123SubdomainErrors(prefix).map(e => `prefix part ${e}`),
      );
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (!name) errors.push('name part must be non-empty');
  else {
    if (name.length > 63)
      errors.push('name part must be no more than 63 characters');
    if (!QUALIFIED_NAME_PART.test(name)) {
      errors.push(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      );
    }
  }
  return errors;
}

export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    errors.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  }
  return errors;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every(v => typeof v === 'string')
  );
}

/** Validates metadata common to all kinds. The name is checked only once generateName has been applied. */
export function validateObjectMeta(
  meta: ObjectMeta,
  rule: NameRule,
  namespaced: boolean,
): FieldError[] {
  const errors: FieldError[] = [];
  if (!meta.name) {
    errors.push({
      field: 'metadata.name',
      type: 'FieldValueRequired',
      detail: 'name or generateName is required',
    });
  } else {
    for (const detail of nameErrors(rule, meta.name)) {
      errors.push({
        field: 'metadata.name',
        type: 'FieldValueInvalid',
        value: meta.name,
        detail,
      });
    }
  }
  if (namespaced && !meta.namespace) {
    errors.push({ field: 'metadata.namespace', type: 'FieldValueRequired' });
  }
  if (!namespaced && meta.namespace) {
    errors.push({
      field: 'metadata.namespace',
      type: 'FieldValueForbidden',
      detail: 'not allowed on this type',
    });
  }
  if (meta.labels !== undefined) {
    if (!isStringMap(meta.labels)) {
      errors.push({
        field: 'metadata.labels',
        type: 'FieldValueInvalid',
        value: meta.labels,
        detail: 'must be a map of strings',
      });
    } else {
      for (const [k, v] of Object.entries(meta.labels)) {
        for (const detail of qualifiedNameErrors(k)) {
          errors.push({
            field: 'metadata.labels',
            type: 'FieldValueInvalid',
            value: k,
            detail,
          });
        }
        for (const detail of labelValueErrors(v)) {
          errors.push({
            field: `metadata.labels`,
            type: 'FieldValueInvalid',
            value: v,
            detail,
          });
        }
      }
    }
  }
  if (meta.annotations !== undefined) {
    if (!isStringMap(meta.annotations)) {
      errors.push({
        field: 'metadata.annotations',
        type: 'FieldValueInvalid',
        value: meta.annotations,
        detail: 'must be a map of strings',
      });
    } else {
      for (const k of Object.keys(meta.annotations)) {
        for (const detail of qualifiedNameErrors(k.toLowerCase())) {
          errors.push({
            field: 'metadata.annotations',
            type: 'FieldValueInvalid',
            value: k,
            detail,
          });
        }
      }
      const size = Object.entries(meta.annotations).reduce(
        (n, [k, v]) => n + k.length + v.length,
        0,
      );
      if (size > 256 * 1024) {
        errors.push({
          field: 'metadata.annotations',
          type: 'FieldValueTooLong',
          detail: 'must have at most 262144 bytes',
        });
      }
    }
  }
  if (meta.ownerReferences !== undefined) {
    if (!Array.isArray(meta.ownerReferences)) {
      errors.push({
        field: 'metadata.ownerReferences',
        type: 'FieldValueInvalid',
        value: meta.ownerReferences,
        detail: 'must be a list',
      });
    } else {
      meta.ownerReferences.forEach((ref, i) => {
        for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
          if (!ref || typeof ref[f] !== 'string' || !ref[f]) {
            errors.push({
              field: `metadata.ownerReferences[${i}].${f}`,
              type: 'FieldValueRequired',
            });
          }
        }
      });
    }
  }
  return errors;
}

/** Random suffix alphabet of the API server's generateName (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateNameSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  }
  return out;
}
