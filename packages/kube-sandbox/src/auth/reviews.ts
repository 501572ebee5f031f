import { badRequest } from '../status';
import { KubeObject, UserInfo } from '../types';
import { Authenticator } from './authenticate';
import { AuthorizationAttributes, RbacAuthorizer } from './rbac';

/*
 * The create-only review resources: nothing is stored, the answer is the request with `status` filled.
 * SelfSubjectAccessReview is what `kubectl auth can-i` posts; SelfSubjectRulesReview backs
 * `kubectl auth can-i --list`; SelfSubjectReview backs `kubectl auth whoami`.
 */

function attributesFrom(spec: any, user: UserInfo): AuthorizationAttributes {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  if (ra && typeof ra === 'object') {
    return {
      user,
      resourceRequest: true,
      verb: ra.verb ?? '',
      namespace: ra.namespace || undefined,
      apiGroup: ra.group ?? '',
      resource: ra.resource ?? '',
      subresource: ra.subresource || undefined,
      name: ra.name || undefined,
    };
  }
  if (nra && typeof nra === 'object') {
    return {
      user,
      resourceRequest: false,
      verb: nra.verb ?? '',
      path: nra.path ?? '',
    };
  }
  throw badRequest(
    'exactly one of nonResourceAttributes or resourceAttributes must be specified',
  );
}

function review(
  body: any,
  kind: string,
  user: UserInfo,
  rbac: RbacAuthorizer,
): KubeObject {
  const attrs = attributesFrom(body?.spec, user);
  const because = rbac.allowedBecause(attrs);
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind,
    metadata: { creationTimestamp: null as unknown as string },
    spec: body.spec,
    // Like the RBAC authorizer: a reason when allowed, none when it simply has no opinion.
    status:
      because !== undefined
        ? { allowed: true, ...(because ? { reason: because } : {}) }
        : { allowed: false },
  };
}

export function selfSubjectAccessReview(
  body: any,
  user: UserInfo,
  rbac: RbacAuthorizer,
): KubeObject {
  return review(body, 'SelfSubjectAccessReview', user, rbac);
}

export function subjectAccessReview(
  body: any,
  rbac: RbacAuthorizer,
): KubeObject {
  const spec = body?.spec ?? {};
  if (!spec.user && !(Array.isArray(spec.groups) && spec.groups.length)) {
    throw badRequest('at least one of user or group must be specified');
  }
  const subject: UserInfo = {
    name: spec.user ?? '',
    uid: spec.uid,
    groups: spec.groups ?? [],
    extra: spec.extra,
  };
  return review(body, 'SubjectAccessReview', subject, rbac);
}

export function selfSubjectRulesReview(
  body: any,
  user: UserInfo,
  rbac: RbacAuthorizer,
): KubeObject {
  const namespace = body?.spec?.namespace;
  if (!namespace) throw badRequest('no namespace on request');
  const rules = rbac.rulesFor(user, namespace);
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: { creationTimestamp: null as unknown as string },
    spec: { namespace },
    status: {
      resourceRules: rules
        .filter(r => r.resources?.length)
        .map(r => ({
          verbs: r.verbs,
          apiGroups: r.apiGroups ?? [],
          resources: r.resources,
          ...(r.resourceNames?.length
            ? { resourceNames: r.resourceNames }
            : {}),
        })),
      nonResourceRules: rules
        .filter(r => r.nonResourceURLs?.length)
        .map(r => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
      incomplete: false,
    },
  };
}

function userInfoJson(user: UserInfo) {
  return {
    username: user.name,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups,
    ...(user.extra ? { extra: user.extra } : {}),
  };
}

export function selfSubjectReview(user: UserInfo): KubeObject {
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: null as unknown as string },
    status: { userInfo: userInfoJson(user) },
  };
}

export async function tokenReview(
  body: any,
  authenticator: Authenticator,
): Promise<KubeObject> {
  const token = body?.spec?.token;
  if (typeof token !== 'string' || !token)
    throw badRequest('spec.token: Required value');
  const user = await authenticator.authenticateToken(token);
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { creationTimestamp: null as unknown as string },
    spec: { audiences: body.spec.audiences },
    status: user
      ? {
          authenticated: true,
          user: userInfoJson(user),
          audiences: body.spec.audiences,
        }
      : { authenticated: false, error: 'invalid bearer token' },
  };
}
