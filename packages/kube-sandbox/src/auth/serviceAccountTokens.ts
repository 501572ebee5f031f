import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RESOURCE_TYPES, ResourceType } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { UserInfo } from '../types';
import { serviceAccountUsername } from './rbac';

/*
 * Bound service-account tokens as TokenRequest issues them: JWTs with the `kubernetes.io` claim.
 * Signed with HS256 and a per-sandbox random key (a real cluster uses RS256 and publishes the key);
 * clients only ever read the claims, so the difference does not show. A token stops working when it
 * expires, when its service account is deleted, or when the object it is bound to is deleted.
 */

export const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

export interface BoundObject {
  kind: 'Pod' | 'Secret';
  name: string;
  uid?: string;
}

export interface IssueRequest {
  namespace: string;
  name: string;
  uid: string;
  audiences?: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
}

interface Claims {
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  iss: string;
  sub: string;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid?: string };
    secret?: { name: string; uid?: string };
  };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export class ServiceAccountTokens {
  private readonly key = randomBytes(32);

  constructor(
    private readonly store: ObjectStore,
    private readonly now: () => number = Date.now,
  ) {}

  issue(request: IssueRequest): { token: string; expirationTimestamp: string } {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + request.expirationSeconds;
    const claims: Claims = {
      aud: request.audiences?.length ? request.audiences : [DEFAULT_AUDIENCE],
      exp,
      iat,
      nbf: iat,
      iss: DEFAULT_AUDIENCE,
      sub: serviceAccountUsername(request.namespace, request.name),
      jti: randomBytes(16).toString('hex'),
      'kubernetes.io': {
        namespace: request.namespace,
        serviceaccount: { name: request.name, uid: request.uid },
        ...(request.boundObject?.kind === 'Pod'
          ? {
              pod: {
                name: request.boundObject.name,
                uid: request.boundObject.uid,
              },
            }
          : {}),
        ...(request.boundObject?.kind === 'Secret'
          ? {
              secret: {
                name: request.boundObject.name,
                uid: request.boundObject.uid,
              },
            }
          : {}),
      },
    };
    const header = b64url(
      JSON.stringify({ alg: 'HS256', kid: 'sandbox', typ: 'JWT' }),
    );
    const payload = b64url(JSON.stringify(claims));
    const signature = b64url(
      createHmac('sha256', this.key).update(`${header}.${payload}`).digest(),
    );
    return {
      token: `${header}.${payload}.${signature}`,
      expirationTimestamp: new Date(exp * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  private decode(token: string): Claims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = createHmac('sha256', this.key)
      .update(`${parts[0]}.${parts[1]}`)
      .digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return undefined;
    try {
      return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private boundObjectAlive(
    resource: ResourceType,
    namespace: string,
    ref?: { name: string; uid?: string },
  ): boolean {
    if (!ref) return true;
    const object = this.store.get(resource, namespace, ref.name);
    return !!object && (!ref.uid || object.metadata.uid === ref.uid);
  }

  /** The user a valid token authenticates as, or undefined (expired, forged, or its owners gone). */
  authenticate(token: string, audiences?: string[]): UserInfo | undefined {
    const claims = this.decode(token);
    if (!claims) return undefined;
    const nowSeconds = this.now() / 1000;
    if (nowSeconds >= claims.exp || nowSeconds + 60 < claims.nbf)
      return undefined;
    if (audiences?.length && !claims.aud.some(a => audiences.includes(a)))
      return undefined;
    const k8s = claims['kubernetes.io'];
    const sa = this.store.get(
      RESOURCE_TYPES.serviceaccounts,
      k8s.namespace,
      k8s.serviceaccount.name,
    );
    if (!sa || sa.metadata.uid !== k8s.serviceaccount.uid) return undefined;
    if (!this.boundObjectAlive(RESOURCE_TYPES.pods, k8s.namespace, k8s.pod))
      return undefined;
    if (
      !this.boundObjectAlive(RESOURCE_TYPES.secrets, k8s.namespace, k8s.secret)
    )
      return undefined;
    return {
      name: claims.sub,
      uid: k8s.serviceaccount.uid,
      groups: [
        'system:serviceaccounts',
        `system:serviceaccounts:${k8s.namespace}`,
        'system:authenticated',
      ],
      extra: {
        'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`],
        ...(k8s.pod
          ? {
              'authentication.kubernetes.io/pod-name': [k8s.pod.name],
              ...(k8s.pod.uid
                ? { 'authentication.kubernetes.io/pod-uid': [k8s.pod.uid] }
                : {}),
            }
          : {}),
      },
    };
  }
}
