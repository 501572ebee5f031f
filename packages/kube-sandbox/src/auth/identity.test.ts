import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair } from 'jose';
import {
  api,
  findKubectl,
  impersonatorRbac,
  TEST_SEED,
} from '../__testUtils__/sandboxTest';
import {
  createCertificateAuthority,
  issueClientCertificate,
  SandboxCluster,
  startSandbox,
  startTestOpenIdIssuer,
} from '../index';
import { OidcAuthenticator } from './oidc';

/*
 * Who the sandbox says a request is from, by every way the API server knows: an OpenID provider's ID
 * token (`--oidc-*`), a client certificate (`--client-ca-file`), impersonation; and the audit log that
 * names them. Proven with the real kubectl where it has a say.
 */

async function startIssuer() {
  const issuer = await startTestOpenIdIssuer();
  return { issuer: issuer.url, sign: issuer.sign, close: issuer.close };
}

const whoami = (sandbox: SandboxCluster, token: string) =>
  api(sandbox, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    token,
    body: {},
  });

function tlsRequest(
  sandbox: SandboxCluster,
  pathAndQuery: string,
  client?: { key: string; cert: string },
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${sandbox.httpsUrl}${pathAndQuery}`,
      {
        method: 'POST',
        ca: sandbox.caCertificate,
        ...client,
        headers: { 'content-type': 'application/json' },
      },
      res => {
        let text = '';
        res.on('data', d => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

const kubectl = findKubectl();
const describeWithKubectl = kubectl ? describe : describe.skip;

function runKubectl(
  kubeconfig: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      kubectl!,
      ['--request-timeout=20s', ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: path.dirname(kubeconfig),
          KUBECONFIG: kubeconfig,
        },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** A kubeconfig for the sandbox's https URL with the given user entry. */
function writeKubeconfig(
  sandbox: SandboxCluster,
  user: Record<string, string>,
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sandbox-id-'));
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 's',
          cluster: {
            server: sandbox.httpsUrl,
            'certificate-authority-data': Buffer.from(
              sandbox.caCertificate,
            ).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 's', context: { cluster: 's', user: 'u' } }],
      'current-context': 's',
    }),
    { mode: 0o600 },
  );
  return file;
}

describe('identities the sandbox knows, as the API server does', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let sandbox: SandboxCluster;
  const clientCa = createCertificateAuthority();
  const auditDir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'kube-sandbox-audit-'),
  );
  const auditLogPath = path.join(auditDir, 'audit.log');

  beforeAll(async () => {
    issuer = await startIssuer();
    sandbox = await startSandbox({
      seed: TEST_SEED,
      oidc: {
        issuerUrl: issuer.issuer,
        clientId: 'kubernetes',
        usernameClaim: 'email',
        usernamePrefix: 'oidc:',
        groupsClaim: 'groups',
        groupsPrefix: 'oidc:',
      },
      clientCaPem: clientCa.cert,
      auditLogPath,
    });
  });

  afterAll(async () => {
    await sandbox.close();
    issuer.close();
    fs.rmSync(auditDir, { recursive: true, force: true });
  });

  describe('OIDC ID tokens', () => {
    it('takes the user and groups from the claims, with their prefixes', async () => {
      const token = await issuer.sign({
        sub: 'u-1',
        email: 'alice@example.com',
        email_verified: true,
        groups: ['team-a', 'admins'],
      });
      const res = await whoami(sandbox, token);
      expect(res.status).toBe(201);
      expect(res.body.status.userInfo).toEqual({
        username: 'oidc:alice@example.com',
        groups: ['oidc:team-a', 'oidc:admins', 'system:authenticated'],
      });
    });

    it('refuses a token for another audience, expired, signed by another key, or with an unverified email', async () => {
      const other = await generateKeyPair('RS256');
      const claims = { sub: 'u-1', email: 'alice@example.com' };
      const refused = [
        await issuer.sign(claims, { audience: 'someone-else' }),
        await issuer.sign(claims, { expiresIn: '-1m' }),
        await issuer.sign(claims, { key: other.privateKey }),
        await issuer.sign({ ...claims, email_verified: false }),
      ];
      for (const token of refused) {
        const res = await whoami(sandbox, token);
        expect([res.status, res.body.reason]).toEqual([401, 'Unauthorized']);
      }
    });

    it('prefixes a sub user name with the issuer, as kube-apiserver does by default', async () => {
      const authenticator = new OidcAuthenticator(
        { issuerUrl: issuer.issuer, clientId: 'kubernetes' },
        { info: () => {}, warn: () => {}, error: () => {} },
      );
      const user = await authenticator.authenticate(
        await issuer.sign({ sub: 'u-1' }),
      );
      expect(user).toEqual({
        name: `${issuer.issuer}#u-1`,
        groups: ['system:authenticated'],
      });
    });

    it('refuses an issuer that is neither https nor loopback', () => {
      expect(
        () =>
          new OidcAuthenticator(
            { issuerUrl: 'http://idp.example.com', clientId: 'k' },
            { info: () => {}, warn: () => {}, error: () => {} },
          ),
      ).toThrow(/must be https \(or http on loopback\)/);
    });

    describeWithKubectl('with kubectl', () => {
      it('is who kubectl is with the ID token as its bearer token', async () => {
        const token = await issuer.sign({
          sub: 'u-2',
          email: 'bob@example.com',
          groups: ['viewers'],
        });
        const kubeconfig = writeKubeconfig(sandbox, { token });
        const r = await runKubectl(kubeconfig, [
          'auth',
          'whoami',
          '-o',
          'json',
        ]);
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout).status.userInfo).toEqual({
          username: 'oidc:bob@example.com',
          groups: ['oidc:viewers', 'system:authenticated'],
        });
      });
    });
  });

  describe('client certificates', () => {
    it('takes the user from CN and the groups from O of a certificate the client CA signed', async () => {
      const client = issueClientCertificate(clientCa, {
        name: 'carol',
        groups: ['ops', 'viewers'],
      });
      const res = await tlsRequest(
        sandbox,
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        client,
      );
      expect(res.status).toBe(201);
      expect(res.body.status.userInfo).toEqual({
        username: 'carol',
        groups: ['ops', 'viewers', 'system:authenticated'],
      });
    });

    it('refuses a certificate of another CA', async () => {
      const stranger = issueClientCertificate(createCertificateAuthority(), {
        name: 'mallory',
        groups: ['system:masters'],
      });
      const res = await tlsRequest(
        sandbox,
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        stranger,
      );
      expect(res.status).toBe(401);
    });

    describeWithKubectl('with kubectl', () => {
      it('is who kubectl is with the certificate', async () => {
        const client = issueClientCertificate(clientCa, {
          name: 'dave',
          groups: ['viewers'],
        });
        const kubeconfig = writeKubeconfig(sandbox, {
          'client-certificate-data': Buffer.from(client.cert).toString(
            'base64',
          ),
          'client-key-data': Buffer.from(client.key).toString('base64'),
        });
        const r = await runKubectl(kubeconfig, [
          'auth',
          'whoami',
          '-o',
          'jsonpath={.status.userInfo.username}',
        ]);
        expect([r.code, r.stdout, r.stderr]).toEqual([0, 'dave', '']);
      });
    });
  });

  describe('the audit log', () => {
    it('names the user who made each request and whom they impersonated, in memory and in the file', async () => {
      sandbox.addUser({ name: 'portal', token: 'portal-token' });
      sandbox.apply([...impersonatorRbac('portal', 'impersonate-users')]);
      const res = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
        token: 'portal-token',
        headers: {
          'Impersonate-User': 'alice',
          'Impersonate-Group': 'viewers',
        },
      });
      expect(res.status).toBe(200);
      const expected = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        verb: 'list',
        requestURI: '/api/v1/namespaces/demo/pods',
        user: { username: 'portal', groups: ['system:authenticated'] },
        impersonatedUser: {
          username: 'alice',
          groups: ['viewers', 'system:authenticated'],
        },
        objectRef: { resource: 'pods', namespace: 'demo', apiVersion: 'v1' },
        responseStatus: { code: 200 },
      };
      expect(sandbox.auditEvents().at(-1)).toMatchObject(expected);
      const lines = fs
        .readFileSync(auditLogPath, 'utf8')
        .trim()
        .split('\n')
        .map(l => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject(expected);
      // A refused request is logged too, with its status.
      await api(sandbox, 'GET', '/api/v1/namespaces/other/pods', {
        token: 'portal-token',
      });
      expect(sandbox.auditEvents().at(-1)).toMatchObject({
        user: { username: 'portal' },
        responseStatus: { code: 403 },
      });
    });
  });
});
