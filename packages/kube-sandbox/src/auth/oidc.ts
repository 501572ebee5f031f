import http from 'node:http';
import https from 'node:https';
import {
  createRemoteJWKSet,
  decodeJwt,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { SandboxLogger, UserInfo } from '../types';

/*
 * ID-token authentication as kube-apiserver's `--oidc-*` flags configure it: the token is a JWT signed
 * by a key of the issuer's JWKS (found through its discovery document), `iss` is the issuer URL, `aud`
 * holds the client id, and it has not expired. The user name comes from a claim (`sub` by default;
 * prefixed with `<issuer>#` unless the claim is `email` or a prefix is set, `-` meaning none), groups
 * from another, with their prefix. An `email` user name needs `email_verified` not to be false.
 */

/** @public */
export interface SandboxOidcOptions {
  /** `--oidc-issuer-url`: https, or http on loopback (the sandbox is a development tool). */
  issuerUrl: string;
  /** `--oidc-client-id`: must be in the token's `aud`. */
  clientId: string;
  /** `--oidc-username-claim`, default `sub`. */
  usernameClaim?: string;
  /** `--oidc-username-prefix`; `-` for none. */
  usernamePrefix?: string;
  /** `--oidc-groups-claim`; no groups from the token when absent. */
  groupsClaim?: string;
  /** `--oidc-groups-prefix`. */
  groupsPrefix?: string;
  /** `--oidc-ca-file`'s content: PEM of the CA the issuer's certificate is signed by. */
  caPem?: string;
  /** `--oidc-signing-algs`, default RS256. */
  signingAlgs?: string[];
  /** `--oidc-required-claim`: claims that must have these values. */
  requiredClaims?: Record<string, string>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/** @internal */
export class OidcAuthenticator {
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly issuer: string;
  private readonly agent?: https.Agent;

  constructor(
    private readonly options: SandboxOidcOptions,
    private readonly logger: SandboxLogger,
  ) {
    const url = new URL(options.issuerUrl);
    if (
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && LOOPBACK.includes(url.hostname))
    ) {
      throw new Error(
        `the OIDC issuer URL must be https (or http on loopback), not "${options.issuerUrl}"`,
      );
    }
    if (!options.clientId) {
      throw new Error('the OIDC client id is required with an issuer URL');
    }
    this.issuer = options.issuerUrl;
    this.agent = options.caPem
      ? new https.Agent({ ca: options.caPem })
      : undefined;
  }

  /** Whether the token claims to be from this issuer: only then is it this authenticator's to judge. */
  claims(token: string): boolean {
    try {
      return decodeJwt(token).iss === this.issuer;
    } catch {
      return false;
    }
  }

  /** The user of a valid token of the issuer; undefined for a token that is not valid. */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keys(), {
        issuer: this.issuer,
        audience: this.options.clientId,
        algorithms: this.options.signingAlgs ?? ['RS256'],
      }));
    } catch (error) {
      if (!(error instanceof joseErrors.JOSEError)) throw error;
      this.logger.debug?.(`OIDC token refused: ${error.message}`);
      return undefined;
    }
    for (const [claim, value] of Object.entries(
      this.options.requiredClaims ?? {},
    )) {
      if (payload[claim] !== value) return undefined;
    }
    const claim = this.options.usernameClaim ?? 'sub';
    const username = payload[claim];
    if (typeof username !== 'string' || !username) return undefined;
    if (claim === 'email' && payload.email_verified === false) return undefined;
    const prefix = this.usernamePrefix(claim);
    const groups = this.groupsOf(payload).map(
      g => (this.options.groupsPrefix ?? '') + g,
    );
    return {
      name: prefix + username,
      groups: [...groups, 'system:authenticated'],
    };
  }

  private usernamePrefix(claim: string): string {
    const prefix = this.options.usernamePrefix;
    if (prefix === '-') return '';
    if (prefix !== undefined) return prefix;
    return claim === 'email' ? '' : `${this.issuer}#`;
  }

  private groupsOf(payload: JWTPayload): string[] {
    const claim = this.options.groupsClaim;
    if (!claim) return [];
    const value = payload[claim];
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) {
      return value.filter((g): g is string => typeof g === 'string');
    }
    return [];
  }

  /** The issuer's keys, from its discovery document; asked again after a failure. */
  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    const discovery = await getJson(
      `${this.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      this.agent,
    );
    if (discovery.issuer !== this.issuer) {
      throw new Error(
        `the OIDC discovery document names issuer "${discovery.issuer}", not "${this.issuer}"`,
      );
    }
    if (typeof discovery.jwks_uri !== 'string') {
      throw new Error('the OIDC discovery document has no jwks_uri');
    }
    this.jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), {
      agent: this.agent,
    });
    return this.jwks;
  }
}

function getJson(url: string, agent?: https.Agent): Promise<any> {
  const get = url.startsWith('https:') ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, timeout: 5000 }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`${url} answered ${res.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer`)));
    req.on('error', reject);
  });
}
