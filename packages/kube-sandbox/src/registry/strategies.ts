import { ObjectStore } from '../store/ObjectStore';
import { FieldError } from '../status';
import { KubeObject } from '../types';
import { NameRule } from '../validation';
import { podStrategy } from './podStrategy';

/*
 * Per-kind behaviour, like the API server's registry strategies: defaulting on create, what an update
 * may change, kind-specific validation. Kinds without an entry get plain storage.
 */

export interface StrategyContext {
  store: ObjectStore;
}

export interface KindStrategy {
  nameRule: NameRule;
  /** Whether `spec` changes bump metadata.generation. */
  hasSpec?: boolean;
  /** Whether `status` is owned by the status subresource (dropped from main-resource writes). */
  hasStatus?: boolean;
  prepareForCreate?(object: KubeObject, ctx: StrategyContext): void;
  prepareForUpdate?(
    object: KubeObject,
    old: KubeObject,
    ctx: StrategyContext,
  ): void;
  validate?(
    object: KubeObject,
    old: KubeObject | undefined,
    ctx: StrategyContext,
  ): FieldError[];
}

function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
}

const namespaceStrategy: KindStrategy = {
  nameRule: 'dns1123-label',
  hasSpec: false,
  hasStatus: true,
  prepareForCreate(ns) {
    ns.spec = { finalizers: ['kubernetes'] };
    ns.status = { phase: 'Active' };
    ns.metadata.labels = {
      ...ns.metadata.labels,
      'kubernetes.io/metadata.name': ns.metadata.name!,
    };
  },
  prepareForUpdate(ns, old) {
    ns.spec = old.spec;
    ns.metadata.labels = {
      ...ns.metadata.labels,
      'kubernetes.io/metadata.name': ns.metadata.name!,
    };
  },
};

function normaliseSecret(secret: KubeObject): void {
  secret.type = secret.type || 'Opaque';
  if (secret.stringData && typeof secret.stringData === 'object') {
    secret.data = { ...secret.data };
    for (const [k, v] of Object.entries(secret.stringData)) {
      secret.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    }
  }
  delete secret.stringData;
}

const secretStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  prepareForCreate: normaliseSecret,
  prepareForUpdate: normaliseSecret,
  validate(secret, old) {
    const errors: FieldError[] = [];
    if (
      old?.immutable &&
      JSON.stringify(secret.data) !== JSON.stringify(old.data)
    ) {
      errors.push({
        field: 'data',
        type: 'FieldValueForbidden',
        detail: 'field is immutable when `immutable` is set',
      });
    }
    if (old && old.type !== secret.type) {
      errors.push({
        field: 'type',
        type: 'FieldValueInvalid',
        value: secret.type,
        detail: 'field is immutable',
      });
    }
    const data = secret.data ?? {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      errors.push({
        field: 'data',
        type: 'FieldValueInvalid',
        value: data,
        detail: 'must be a map',
      });
      return errors;
    }
    let size = 0;
    for (const [k, v] of Object.entries(data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) {
        errors.push({
          field: `data[${k}]`,
          type: 'FieldValueInvalid',
          value: k,
          detail:
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        });
      }
      if (typeof v !== 'string' || !isBase64(v)) {
        errors.push({
          field: `data[${k}]`,
          type: 'FieldValueInvalid',
          value: '<secret contents redacted>',
          detail: 'illegal base64 data',
        });
      } else {
        size += v.length;
      }
    }
    if (size > (1024 * 1024 * 4) / 3) {
      errors.push({
        field: 'data',
        type: 'FieldValueTooLong',
        detail: 'may not be more than 1048576 bytes',
      });
    }
    return errors;
  },
};

const roleBindingStrategy: KindStrategy = {
  nameRule: 'path-segment',
  validate(binding, old) {
    const errors: FieldError[] = [];
    const ref = binding.roleRef;
    if (!ref || typeof ref !== 'object') {
      errors.push({ field: 'roleRef', type: 'FieldValueRequired' });
    } else {
      if (!ref.name)
        errors.push({ field: 'roleRef.name', type: 'FieldValueRequired' });
      const kinds =
        binding.kind === 'ClusterRoleBinding'
          ? ['ClusterRole']
          : ['Role', 'ClusterRole'];
      if (!kinds.includes(ref.kind)) {
        errors.push({
          field: 'roleRef.kind',
          type: 'FieldValueNotSupported',
          value: ref.kind,
          detail: `supported values: ${kinds.map(k => `"${k}"`).join(', ')}`,
        });
      }
      if (ref.apiGroup !== 'rbac.authorization.k8s.io') {
        errors.push({
          field: 'roleRef.apiGroup',
          type: 'FieldValueNotSupported',
          value: ref.apiGroup,
          detail: 'supported values: "rbac.authorization.k8s.io"',
        });
      }
    }
    if (
      old &&
      JSON.stringify(old.roleRef) !== JSON.stringify(binding.roleRef)
    ) {
      errors.push({
        field: 'roleRef',
        type: 'FieldValueInvalid',
        value: binding.roleRef,
        detail: 'cannot change roleRef',
      });
    }
    (binding.subjects ?? []).forEach((s: any, i: number) => {
      if (!s?.name)
        errors.push({
          field: `subjects[${i}].name`,
          type: 'FieldValueRequired',
        });
      if (!['User', 'Group', 'ServiceAccount'].includes(s?.kind)) {
        errors.push({
          field: `subjects[${i}].kind`,
          type: 'FieldValueNotSupported',
          value: s?.kind,
          detail: 'supported values: "ServiceAccount", "User", "Group"',
        });
      }
      if (
        s?.kind === 'ServiceAccount' &&
        !s.namespace &&
        binding.kind === 'ClusterRoleBinding'
      ) {
        errors.push({
          field: `subjects[${i}].namespace`,
          type: 'FieldValueRequired',
        });
      }
    });
    return errors;
  },
};

const roleStrategy: KindStrategy = {
  nameRule: 'path-segment',
  validate(role) {
    const errors: FieldError[] = [];
    (role.rules ?? []).forEach((rule: any, i: number) => {
      if (!Array.isArray(rule?.verbs) || rule.verbs.length === 0) {
        errors.push({
          field: `rules[${i}].verbs`,
          type: 'FieldValueRequired',
          detail: 'verbs must contain at least one value',
        });
      }
      const hasResources =
        Array.isArray(rule?.resources) && rule.resources.length > 0;
      const hasUrls =
        Array.isArray(rule?.nonResourceURLs) && rule.nonResourceURLs.length > 0;
      if (!hasResources && !hasUrls) {
        errors.push({
          field: `rules[${i}].resources`,
          type: 'FieldValueRequired',
          detail: 'resource rules must supply at least one api group',
        });
      }
    });
    return errors;
  },
};

const networkPolicyStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  hasSpec: true,
  prepareForCreate(policy) {
    policy.spec = { podSelector: {}, ...policy.spec };
    if (!policy.spec.policyTypes) {
      policy.spec.policyTypes = policy.spec.egress
        ? ['Ingress', 'Egress']
        : ['Ingress'];
    }
  },
};

const STRATEGIES: Record<string, KindStrategy> = {
  '/namespaces': namespaceStrategy,
  '/pods': podStrategy,
  '/secrets': secretStrategy,
  'rbac.authorization.k8s.io/roles': roleStrategy,
  'rbac.authorization.k8s.io/clusterroles': roleStrategy,
  'rbac.authorization.k8s.io/rolebindings': roleBindingStrategy,
  'rbac.authorization.k8s.io/clusterrolebindings': roleBindingStrategy,
  'networking.k8s.io/networkpolicies': networkPolicyStrategy,
};

const DEFAULT_STRATEGY: KindStrategy = { nameRule: 'dns1123-subdomain' };

export function strategyFor(group: string, resource: string): KindStrategy {
  return STRATEGIES[`${group}/${resource}`] ?? DEFAULT_STRATEGY;
}
