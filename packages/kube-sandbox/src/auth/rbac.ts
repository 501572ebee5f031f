import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { matchLabelSelectorObject } from '../store/selectors';
import { forbidden, forbiddenPath, ApiError } from '../status';
import { KubeObject, UserInfo } from '../types';

/*
 * An RBAC evaluator after k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac: rules from ClusterRoles
 * bound cluster-wide, plus Roles/ClusterRoles bound in the request's namespace. `system:masters` is
 * allowed everything before any rule is read, as the API server does.
 */

/** @public */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  namespace?: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** For non-resource requests. */
  path?: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const SUPERUSER_GROUP = 'system:masters';

function has(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

function resourceMatches(
  rule: PolicyRule,
  resource: string,
  subresource?: string,
): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    u =>
      u === '*' ||
      u === path ||
      (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
  );
}

export function ruleAllows(
  rule: PolicyRule,
  attrs: AuthorizationAttributes,
): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) {
    return nonResourceUrlMatches(rule, attrs.path ?? '');
  }
  if (!has(rule.apiGroups, attrs.apiGroup ?? '')) return false;
  if (!resourceMatches(rule, attrs.resource ?? '', attrs.subresource))
    return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) {
    return !!attrs.name && rule.resourceNames.includes(attrs.name);
  }
  return true;
}

export function serviceAccountUsername(
  namespace: string,
  name: string,
): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

function subjectMatches(
  subject: any,
  user: UserInfo,
  bindingNamespace?: string,
): boolean {
  switch (subject?.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return !!ns && user.name === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

/** The wording of the API server's RBAC denial, which people and tests match on. */
export function denialReason(attrs: AuthorizationAttributes): string {
  const who = `User "${attrs.user.name}"`;
  if (!attrs.resourceRequest) {
    return `${who} cannot ${attrs.verb} path "${attrs.path}"`;
  }
  const resource = attrs.subresource
    ? `${attrs.resource}/${attrs.subresource}`
    : attrs.resource;
  const scope = attrs.namespace
    ? `in the namespace "${attrs.namespace}"`
    : 'at the cluster scope';
  return `${who} cannot ${attrs.verb} resource "${resource}" in API group "${
    attrs.apiGroup ?? ''
  }" ${scope}`;
}

export function forbiddenError(attrs: AuthorizationAttributes): ApiError {
  if (!attrs.resourceRequest) return forbiddenPath(denialReason(attrs));
  return forbidden(
    { group: attrs.apiGroup ?? '', resource: attrs.resource ?? '' },
    attrs.name,
    denialReason(attrs),
  );
}

export class RbacAuthorizer {
  constructor(private readonly store: ObjectStore) {}

  private clusterRoleRules(name: string, depth = 0): PolicyRule[] {
    const role = this.store.get(RESOURCE_TYPES.clusterroles, undefined, name);
    if (!role) return [];
    const rules: PolicyRule[] = [...(role.rules ?? [])];
    // Aggregation is computed when asked rather than by a controller writing the rules back.
    const selectors: any[] = role.aggregationRule?.clusterRoleSelectors ?? [];
    if (selectors.length && depth < 2) {
      for (const other of this.store.list(RESOURCE_TYPES.clusterroles)) {
        const labels = other.metadata.labels ?? {};
        if (
          other.metadata.name !== name &&
          selectors.some(s => matchLabelSelectorObject(s, labels))
        ) {
          rules.push(...this.clusterRoleRules(other.metadata.name!, depth + 1));
        }
      }
    }
    return rules;
  }

  private roleRefRules(binding: KubeObject): PolicyRule[] {
    const ref = binding.roleRef ?? {};
    if (ref.kind === 'ClusterRole') return this.clusterRoleRules(ref.name);
    if (ref.kind === 'Role' && binding.metadata.namespace) {
      return (
        this.store.get(
          RESOURCE_TYPES.roles,
          binding.metadata.namespace,
          ref.name,
        )?.rules ?? []
      );
    }
    return [];
  }

  /** Rules that apply to `user` in `namespace` (cluster-wide ones included), with the binding that grants them. */
  private sourcedRules(
    user: UserInfo,
    namespace?: string,
  ): Array<{ rule: PolicyRule; source: string }> {
    const out: Array<{ rule: PolicyRule; source: string }> = [];
    const add = (binding: KubeObject, subject: any) => {
      const ref = binding.roleRef ?? {};
      const who =
        subject.kind === 'ServiceAccount'
          ? `ServiceAccount "${subject.name}/${
              subject.namespace || binding.metadata.namespace
            }"`
          : `${subject.kind} "${subject.name}"`;
      const where = binding.metadata.namespace
        ? ` in namespace "${binding.metadata.namespace}"`
        : '';
      const source = `RBAC: allowed by ${binding.kind} "${binding.metadata.name}" of ${ref.kind} "${ref.name}" to ${who}${where}`;
      for (const rule of this.roleRefRules(binding)) out.push({ rule, source });
    };
    for (const binding of this.store.list(RESOURCE_TYPES.clusterrolebindings)) {
      const subject = (binding.subjects ?? []).find((s: any) =>
        subjectMatches(s, user),
      );
      if (subject) add(binding, subject);
    }
    if (namespace) {
      for (const binding of this.store.list(
        RESOURCE_TYPES.rolebindings,
        namespace,
      )) {
        const subject = (binding.subjects ?? []).find((s: any) =>
          subjectMatches(s, user, namespace),
        );
        if (subject) add(binding, subject);
      }
    }
    return out;
  }

  /** Every rule that applies to `user` in `namespace` (cluster-wide rules included). */
  rulesFor(user: UserInfo, namespace?: string): PolicyRule[] {
    return this.sourcedRules(user, namespace).map(r => r.rule);
  }

  /** Why a request is allowed, in the words of the RBAC authorizer; undefined when it is not. */
  allowedBecause(attrs: AuthorizationAttributes): string | undefined {
    if (this.isSuperuser(attrs.user)) return '';
    return this.sourcedRules(attrs.user, attrs.namespace).find(r =>
      ruleAllows(r.rule, attrs),
    )?.source;
  }

  isSuperuser(user: UserInfo): boolean {
    return user.groups.includes(SUPERUSER_GROUP);
  }

  allowed(attrs: AuthorizationAttributes): boolean {
    return this.allowedBecause(attrs) !== undefined;
  }

  /** Throws the API server's Forbidden Status when the request is not allowed. */
  authorize(attrs: AuthorizationAttributes): void {
    if (!this.allowed(attrs)) {
      throw forbiddenError(attrs);
    }
  }
}
