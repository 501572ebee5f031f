import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';

/** A running {@link startTestOpenIdIssuer}. @public */
export interface TestOpenIdIssuer {
  /** The issuer URL (http on loopback), for the sandbox's `oidc.issuerUrl`. */
  readonly url: string;
  /** An ID token with these claims, signed with the issuer's key (or another, to test refusals). */
  sign(
    claims: Record<string, unknown>,
    options?: { audience?: string; expiresIn?: string; key?: KeyLike },
  ): Promise<string>;
  close(): void;
}

/**
 * The smallest OpenID issuer a token validator needs, for unit and integration tests: a discovery
 * document and a JWKS on loopback, and ID tokens signed with its RS256 key (audience `kubernetes` by
 * default). It has no sign-in: the browser tests use a certified OpenID provider instead.
 *
 * @public
 */
export async function startTestOpenIdIssuer(): Promise<TestOpenIdIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  let url = '';
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    } else if (req.url === '/jwks') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    sign: (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(url)
        .setAudience(options.audience ?? 'kubernetes')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '10m')
        .sign(options.key ?? privateKey),
    close: () => server.close(),
  };
}
