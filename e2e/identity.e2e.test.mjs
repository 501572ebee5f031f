// Browser test: the cluster sees the person. A real OpenID provider (oidc-provider, :7031) signs people
// into the built portal (:7019) through Backstage's OIDC auth provider; the sandbox (:7021) trusts its ID
// tokens, as kube-apiserver's --oidc-* flags do, and writes an audit log naming who each request came
// from. Run by scripts/test.sh after `yarn workspace app build`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from './browser.mjs';
import {
  Processes,
  ROOT,
  assertFree,
  openTab,
  typeLine,
  waitForHttp,
  waitForScreen,
} from './harness.mjs';

const BASE_URL = 'http://localhost:7019';
const SANDBOX_PORT = 7021;
const ISSUER = 'http://127.0.0.1:7031';
const ADMIN_TOKEN = 'identity-e2e-admin';

const processes = new Processes();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-identity-sandbox-'));
const auditLog = path.join(stateDir, 'audit.log');
let browser;

/** The sandbox's RBAC for the people of this test: Alice may open shells in `demo`, Bob may only look. */
const rbac = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'identity-e2e-pod-reader' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'identity-e2e-people-read-pods' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'identity-e2e-pod-reader' },
    subjects: ['oidc:alice@example.com', 'alice', 'oidc:bob@example.com', 'bob'].map(name => ({
      kind: 'User',
      name,
    })),
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'identity-e2e-shell', namespace: 'demo' },
    rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'identity-e2e-alice-shell', namespace: 'demo' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'identity-e2e-shell' },
    subjects: ['oidc:alice@example.com', 'alice'].map(name => ({ kind: 'User', name })),
  },
];

async function applyAsAdmin(object) {
  const plural = object.kind === 'ClusterRole' ? 'clusterroles'
    : object.kind === 'ClusterRoleBinding' ? 'clusterrolebindings'
      : object.kind === 'Role' ? 'roles' : 'rolebindings';
  const ns = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  const res = await fetch(
    `http://127.0.0.1:${SANDBOX_PORT}/apis/rbac.authorization.k8s.io/v1${ns}/${plural}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(object),
    },
  );
  assert.equal(res.status, 201, `${object.kind} ${object.metadata.name}: ${await res.text()}`);
}

before(async () => {
  await assertFree(BASE_URL);
  await assertFree(`http://127.0.0.1:${SANDBOX_PORT}/version`);
  await assertFree(`${ISSUER}/.well-known/openid-configuration`);
  processes.start('oidc-provider', process.execPath, [
    'e2e/oidc/provider.mjs',
    '--port', '7031',
    '--redirect-uri', `${BASE_URL}/api/auth/oidc/handler/frame`,
  ]);
  processes.start('identity-sandbox', process.execPath, [
    'packages/kube-sandbox/bin/kube-sandbox',
    '--port', String(SANDBOX_PORT),
    '--seed', 'examples/sandbox-seed.yaml',
    '--state-dir', stateDir,
    '--admin-token', ADMIN_TOKEN,
    '--audit-log-path', auditLog,
    '--oidc-issuer-url', ISSUER,
    '--oidc-client-id', 'backstage',
    '--oidc-username-claim', 'email',
    '--oidc-username-prefix', 'oidc:',
  ]);
  processes.start('identity-backend', 'yarn', [
    'workspace', 'backend', 'start',
    '--config', '../../app-config.yaml',
    '--config', '../../app-config.identity-e2e.yaml',
  ]);
  await waitForHttp(`${ISSUER}/.well-known/openid-configuration`, 30_000, s => s === 200);
  await waitForHttp(`http://127.0.0.1:${SANDBOX_PORT}/version`, 30_000);
  for (const object of rbac) await applyAsAdmin(object);
  await waitForHttp(`${BASE_URL}/api/kubernetes-terminal/health`, 180_000, s => s === 200);
  await waitForHttp(`${BASE_URL}/`, 60_000, s => s === 200);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await processes.stopAll();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

/** Signs in on the portal's sign-in page through the OpenID provider's own login form, in its popup. */
async function signIn(context, login) {
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/`);
  const card = page.locator('li', { hasText: 'OpenID Connect' });
  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    card.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  try {
    await popup.locator('input[name=login]').waitFor({ timeout: 15_000 });
  } catch (error) {
    const text = await popup.locator('body').innerText().catch(() => '(no page)');
    throw new Error(`the OpenID provider's login form did not show at ${popup.url()}: ${text.slice(0, 500)}`, { cause: error });
  }
  await popup.locator('input[name=login]').fill(login);
  await popup.locator('input[name=password]').fill('any password: the development form checks none');
  await popup.getByRole('button', { name: /sign-in/i }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor({ timeout: 30_000 });
  return page;
}

/** The demo service's Terminal tab, with the cluster chosen and the demo pod's app container. */
async function openTerminalTab(page, clusterTitle) {
  await page.goto(`${BASE_URL}/catalog/default/component/demo-service`);
  await openTab(page, 'Terminal');
  const clusters = page.getByLabel('Cluster', { exact: true });
  await clusters.waitFor();
  const cluster = (await clusters.locator('option').allInnerTexts()).find(o => o.startsWith(clusterTitle));
  assert.ok(cluster, `cluster ${clusterTitle} offered`);
  await clusters.selectOption({ label: cluster });
  const pods = page.getByLabel('Pod', { exact: true });
  const demoPod = (await pods.locator('option').allInnerTexts()).find(o => o.startsWith('demo-service-'));
  assert.ok(demoPod, 'demo pod offered');
  await pods.selectOption({ label: demoPod });
  const containers = page.getByLabel('Container', { exact: true });
  const app = (await containers.locator('option').allInnerTexts()).find(o => o.startsWith('app '));
  await containers.selectOption({ label: app });
  await page.getByRole('button', { name: 'Connect' }).click();
}

/** The sandbox's audit log entries of exec requests, oldest first. */
function execAudit() {
  return fs
    .readFileSync(auditLog, 'utf8')
    .trim()
    .split('\n')
    .map(line => JSON.parse(line))
    .filter(e => e.objectRef?.subresource === 'exec');
}

test('a shell reached with the person\'s own ID token: the cluster sees the person', async t => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.after(() => context.close());
  const page = await signIn(context, 'alice');
  const word = `as-alice-${Math.random().toString(36).slice(2, 8)}`;

  await openTerminalTab(page, 'Sandbox, as you (your ID token)');
  await page.getByTestId('terminal-status-state')
    .filter({ hasText: /^Connected \(bash\)$/ })
    .waitFor({ timeout: 20_000 });
  await typeLine(page, `echo ${word}`);
  await waitForScreen(page, new RegExp(`^${word}\\s*$`, 'm'));

  const exec = execAudit().at(-1);
  assert.equal(exec.user.username, 'oidc:alice@example.com');
  assert.equal(exec.impersonatedUser, undefined);
  assert.equal(exec.responseStatus.code, 101);
});

test('a shell through impersonation: the cluster sees the portal acting as the person', async t => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.after(() => context.close());
  const page = await signIn(context, 'alice');

  await openTerminalTab(page, 'Sandbox, as you (impersonated)');
  await page.getByTestId('terminal-status-state')
    .filter({ hasText: /^Connected \(bash\)$/ })
    .waitFor({ timeout: 20_000 });

  const exec = execAudit().at(-1);
  assert.equal(exec.user.username, 'portal');
  assert.equal(exec.impersonatedUser.username, 'alice');
  assert.ok(
    exec.impersonatedUser.groups.includes('backstage:guests'),
    `impersonated groups: ${exec.impersonatedUser.groups}`,
  );
});

test('the cluster\'s RBAC refuses a person\'s shell: they are told in the cluster\'s words', async t => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.after(() => context.close());
  const page = await signIn(context, 'bob');

  for (const [title, user] of [
    ['Sandbox, as you (your ID token)', 'oidc:bob@example.com'],
    ['Sandbox, as you (impersonated)', 'bob'],
  ]) {
    await openTerminalTab(page, title);
    await waitForScreen(
      page,
      new RegExp(`the cluster refused: pods "demo-service-[^"]+" is forbidden: User "${user}" cannot create resource "pods/exec"`),
      20_000,
      { unwrap: true },
    );
    await page.screenshot({ path: path.join(ROOT, '.cache', 'test-results', `identity-refused-${user.replace(/\W+/g, '-')}.png`) });
  }
  const refused = execAudit().slice(-2);
  assert.deepEqual(
    refused.map(e => [e.impersonatedUser?.username ?? e.user.username, e.responseStatus.code]),
    [['oidc:bob@example.com', 403], ['bob', 403]],
  );
});
