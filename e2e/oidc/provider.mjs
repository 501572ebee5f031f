// A real OpenID provider for the browser tests: panva's oidc-provider (a certified implementation),
// with its development login form (any name signs in; the password is not checked) and one client,
// the portal. Usage: node e2e/oidc/provider.mjs --port 7031 --redirect-uri <portal>/api/auth/oidc/handler/frame
import Provider from 'oidc-provider';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7031' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'client-id': { type: 'string', default: 'backstage' },
    'client-secret': { type: 'string', default: 'e2e-client-secret' },
  },
});
const issuer = `http://127.0.0.1:${values.port}`;

/** Every login is an account: `alice` is alice@example.com, in the groups its name lists after a `+`. */
function account(id) {
  const [name, ...groups] = id.split('+');
  return {
    accountId: id,
    claims: () => ({
      sub: id,
      email: `${name}@example.com`,
      email_verified: true,
      name,
      groups,
    }),
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: values['client-id'],
      client_secret: values['client-secret'],
      redirect_uris: values['redirect-uri'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  findAccount: (_ctx, id) => account(id),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  // Claims of the scopes go into the ID token too, as most providers do: the cluster reads them there.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  // Consent once per client, without a page: the portal is a first-party client.
  loadExistingGrant: async ctx => {
    const grantId =
      ctx.oidc.result?.consent?.grantId ||
      ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups offline_access');
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  cookies: { keys: ['kubernetes-terminal-e2e-cookie-key'] },
  ttl: { IdToken: 3600, AccessToken: 3600 },
});
provider.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`oidc-provider: issuer ${issuer}\n`);
});
