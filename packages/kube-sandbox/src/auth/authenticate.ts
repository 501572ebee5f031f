import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { badRequest, unauthorized } from '../status';
import { UserInfo } from '../types';
import {
  AuthorizationAttributes,
  forbiddenError,
  RbacAuthorizer,
} from './rbac';
import type { OidcAuthenticator } from './oidc';
import { ServiceAccountTokens } from './serviceAccountTokens';

/*
 * Authentication as the API server's authenticators do it: x509 client certificates signed by the
 * client CA (CN the user, O the groups), bearer tokens (static tokens from the seed, TokenRequest
 * tokens, and an OIDC issuer's ID tokens), then the Impersonate-* headers, checked with RBAC verb
 * `impersonate` as the API server's impersonation filter does.
 */

/** A user of the sandbox with a static token. @public */
export interface SandboxUser {
  name: string;
  token: string;
  groups?: string[];
  uid?: string;
}

export const AUTHENTICATED = 'system:authenticated';
const SA_PREFIX = 'system:serviceaccount:';

export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

export class Authenticator {
  private readonly byToken = new Map<string, SandboxUser>();
  private readonly byName = new Map<string, SandboxUser>();

  constructor(
    private readonly serviceAccountTokens: ServiceAccountTokens,
    private readonly oidc?: OidcAuthenticator,
  ) {}

  addUser(user: SandboxUser): void {
    const previous = this.byName.get(user.name);
    if (previous) this.byToken.delete(previous.token);
    const existingOwner = this.byToken.get(user.token);
    if (existingOwner && existingOwner.name !== user.name) {
      throw new Error(
        `token of user "${user.name}" is already used by user "${existingOwner.name}"`,
      );
    }
    this.byToken.set(user.token, user);
    this.byName.set(user.name, user);
  }

  user(name: string): SandboxUser | undefined {
    return this.byName.get(name);
  }

  users(): SandboxUser[] {
    return [...this.byName.values()];
  }

  /** Resolves a bearer token; undefined means "no valid credentials". */
  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const user = this.byToken.get(token);
    if (user) {
      const groups = [...(user.groups ?? [])];
      if (!groups.includes(AUTHENTICATED)) groups.push(AUTHENTICATED);
      return { name: user.name, uid: user.uid, groups };
    }
    if (this.oidc?.claims(token)) {
      return this.oidc.authenticate(token);
    }
    return this.serviceAccountTokens.authenticate(token);
  }

  /**
   * The caller of a request: undefined when no credentials were sent (the server decides whether the
   * path is public), a 401 when credentials were sent but are not valid.
   */
  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const header = req.headers.authorization;
    if (!header) return clientCertificateUser(req);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized();
    const user = await this.authenticateToken(match[1]);
    if (!user) throw unauthorized();
    return user;
  }
}

/**
 * The user of a TLS client certificate signed by the client CA (the TLS server verified it): CN is the
 * name, each O a group. A certificate the CA did not sign is a 401.
 */
function clientCertificateUser(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.encrypted) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !Object.keys(cert).length) return undefined;
  if (!socket.authorized) throw unauthorized();
  const name = [cert.subject?.CN].flat()[0];
  if (!name) throw unauthorized();
  const groups = [cert.subject?.O ?? []].flat();
  return { name, groups: [...groups, AUTHENTICATED] };
}

function headerValues(req: IncomingMessage, name: string): string[] {
  // headersDistinct keeps repeated headers apart; Node would join unknown ones with ", ".
  return (req.headersDistinct[name.toLowerCase()] ?? [])
    .map(v => v.trim())
    .filter(v => v !== '');
}

/** Applies Impersonate-User/-Group/-Uid/-Extra-* after checking each with RBAC. */
export function impersonate(
  req: IncomingMessage,
  caller: UserInfo,
  rbac: RbacAuthorizer,
): UserInfo {
  const users = headerValues(req, 'Impersonate-User');
  const groups = headerValues(req, 'Impersonate-Group');
  const uids = headerValues(req, 'Impersonate-Uid');
  const extraHeaders = Object.keys(req.headersDistinct).filter(h =>
    h.startsWith('impersonate-extra-'),
  );
  if (!users.length && !groups.length && !uids.length && !extraHeaders.length) {
    return caller;
  }
  if (!users.length) {
    throw badRequest(
      'requested impersonation of groups, uid or extra without impersonating a user',
    );
  }
  if (users.length > 1) {
    throw badRequest('only one Impersonate-User header is allowed');
  }
  const name = users[0];
  const check = (
    attrs: Omit<AuthorizationAttributes, 'user' | 'verb' | 'resourceRequest'>,
  ) => {
    const full: AuthorizationAttributes = {
      user: caller,
      verb: 'impersonate',
      resourceRequest: true,
      ...attrs,
    };
    if (!rbac.allowed(full)) throw forbiddenError(full);
  };
  if (name.startsWith(SA_PREFIX)) {
    const [namespace, saName] = name.slice(SA_PREFIX.length).split(':');
    if (!namespace || !saName)
      throw badRequest(`invalid service account username "${name}"`);
    check({
      apiGroup: '',
      resource: 'serviceaccounts',
      namespace,
      name: saName,
    });
  } else {
    check({ apiGroup: '', resource: 'users', name });
  }
  for (const group of groups) {
    check({ apiGroup: '', resource: 'groups', name: group });
  }
  for (const uid of uids) {
    check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: uid });
  }
  const extra: Record<string, string[]> = {};
  for (const header of extraHeaders) {
    const key = decodeURIComponent(header.slice('impersonate-extra-'.length));
    const values = headerValues(req, header);
    for (const value of values) {
      check({
        apiGroup: 'authentication.k8s.io',
        resource: 'userextras',
        subresource: key,
        name: value,
      });
    }
    extra[key] = values;
  }
  const resultGroups = [...groups];
  if (name.startsWith(SA_PREFIX) && !groups.length) {
    const namespace = name.slice(SA_PREFIX.length).split(':')[0];
    resultGroups.push(
      'system:serviceaccounts',
      `system:serviceaccounts:${namespace}`,
    );
  }
  if (name !== 'system:anonymous' && !resultGroups.includes(AUTHENTICATED)) {
    resultGroups.push(AUTHENTICATED);
  }
  return {
    name,
    uid: uids[0],
    groups: resultGroups,
    ...(extraHeaders.length ? { extra } : {}),
  };
}
