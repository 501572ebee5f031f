// Browser test: a private cluster through the agent, with real isolation. The cluster side — a
// sandbox and the agent — runs in a network namespace this test creates: the sandbox listens on the
// namespace's own loopback, which the portal cannot reach, and a veth pair lets the agent dial out to
// the portal (:7157 on the host side of the pair). The agent is the packed package, installed with npm
// as a platform team would, and run as its CLI. Needs root (CI runs as root) for `ip netns`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from './browser.mjs';
import {
  Processes,
  ROOT,
  assertFree,
  signIn,
  typeLine,
  waitForHttp,
  waitForScreen,
  watchPage,
} from './harness.mjs';

const PORT = 7157;
const BASE_URL = `http://localhost:${PORT}`;
/** The API server's address inside the namespace: the cluster's `url` in the portal's config. */
const API_SERVER = '127.0.0.1:7160';
const NS = `kt-e2e-${process.pid}`;
const HOST_IF = `kt${process.pid}h`.slice(0, 15);
const NS_IF = `kt${process.pid}c`.slice(0, 15);
const HOST_IP = '10.213.57.1';
const NS_IP = '10.213.57.2';
const logDir = path.join(ROOT, '.cache', 'test-results');

const processes = new Processes();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-e2e-private-'));
let browser;
let agentBin;
const tokens = {};

function run(command, args, options = {}) {
  return execFileSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    ...options,
  });
}

function inNamespace(command, args) {
  return ['netns', 'exec', NS, command, ...args];
}

/** The packed common and agent packages, installed with npm into a directory of their own. */
function installAgent() {
  run('yarn', ['tsc']);
  for (const name of [
    '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common',
    '@kubernetes-terminal/kubernetes-terminal-agent',
  ]) {
    run('yarn', ['workspace', name, 'build']);
    run('yarn', [
      'workspace',
      name,
      'pack',
      '--out',
      path.join(work, `${name.split('/')[1]}.tgz`),
    ]);
  }
  const prefix = path.join(work, 'agent-install');
  run('npm', [
    'install',
    '--prefix',
    prefix,
    '--no-audit',
    '--no-fund',
    path.join(work, 'backstage-plugin-kubernetes-terminal-common.tgz'),
    path.join(work, 'kubernetes-terminal-agent.tgz'),
  ]);
  return path.join(prefix, 'node_modules', '.bin', 'kubernetes-terminal-agent');
}

/** A token from the installed agent's own command, and the SHA-256 it prints for the portal. */
function makeToken(id, cluster) {
  const out = run(agentBin, ['token', '--id', id, '--cluster', cluster]);
  const token = out.split('\n')[0];
  const sha256 = /sha256: ([0-9a-f]{64})/.exec(out)[1];
  return { token, sha256 };
}

function startAgent(name, cluster, token, apiServer = API_SERVER) {
  const tokenFile = path.join(work, `${name}.token`);
  fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  return processes.start(
    name,
    'ip',
    inNamespace(agentBin, [
      'run',
      '--portal-url',
      `http://${HOST_IP}:${PORT}/api/kubernetes-terminal`,
      '--cluster',
      cluster,
      '--token-file',
      tokenFile,
      '--api-server',
      apiServer,
      '--health-port',
      '0',
    ]),
  );
}

/** Waits until the agent's log (JSON lines) has a line matching the pattern. */
async function agentLogged(name, pattern, timeoutMs = 30_000) {
  const file = path.join(logDir, `e2e-${name}.log`);
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const line = text.split('\n').find(l => pattern.test(l));
    if (line) return line;
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(
    `agent ${name} never logged ${pattern}; its log:\n${text.slice(-2000)}`,
  );
}

function portalConfig(caData) {
  return `
app:
  title: Kubernetes Terminal (e2e, private cluster)
  baseUrl: ${BASE_URL}
backend:
  baseUrl: ${BASE_URL}
  listen:
    port: ${PORT}
  cors:
    origin: ${BASE_URL}
kubernetes:
  serviceLocatorMethod:
    type: multiTenant
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: private
          title: Private cluster (through its agent)
          url: https://${API_SERVER}
          authProvider: serviceAccount
          serviceAccountToken: sandbox-portal-token
          caData: ${caData}
          skipMetricsLookup: true
        # The same address as the sandbox, but its agent is told to relay to another one: it must
        # refuse to dial the sandbox even though it could reach it.
        - name: elsewhere
          title: Another private cluster
          url: https://${API_SERVER}
          authProvider: serviceAccount
          serviceAccountToken: sandbox-portal-token
          skipMetricsLookup: true
kubernetesTerminal:
  sessionPods:
    enabled: false
  clusters:
    private:
      agent:
        tokens:
          - id: e2e-private
            sha256: ${tokens.private.sha256}
    elsewhere:
      agent:
        tokens:
          - id: e2e-elsewhere
            sha256: ${tokens.elsewhere.sha256}
`;
}

function removeNamespace() {
  spawnSync('ip', ['netns', 'del', NS]);
  spawnSync('ip', ['link', 'del', HOST_IF]);
}

before(async () => {
  assert.equal(
    process.getuid?.(),
    0,
    'the private-cluster test creates a network namespace: run it as root',
  );
  await assertFree(BASE_URL);
  agentBin = installAgent();
  tokens.private = makeToken('e2e-private', 'private');
  tokens.elsewhere = makeToken('e2e-elsewhere', 'elsewhere');

  // The cluster's network: a namespace with its own loopback, and a veth pair to the host.
  removeNamespace();
  run('ip', ['netns', 'add', NS]);
  run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF]);
  run('ip', ['link', 'set', NS_IF, 'netns', NS]);
  run('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
  run('ip', ['link', 'set', HOST_IF, 'up']);
  run('ip', inNamespace('ip', ['addr', 'add', `${NS_IP}/30`, 'dev', NS_IF]));
  run('ip', inNamespace('ip', ['link', 'set', NS_IF, 'up']));
  run('ip', inNamespace('ip', ['link', 'set', 'lo', 'up']));

  const kubeconfig = path.join(work, 'sandbox.kubeconfig');
  processes.start(
    'private-sandbox',
    'ip',
    inNamespace(process.execPath, [
      'packages/kube-sandbox/bin/kube-sandbox',
      '--port',
      API_SERVER.split(':')[1],
      '--seed',
      'examples/sandbox-seed.yaml',
      '--state-dir',
      path.join(work, 'sandbox'),
      '--kubeconfig-out',
      kubeconfig,
    ]),
  );
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(kubeconfig) && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 200));
  }
  const caData = /certificate-authority-data: (\S+)/.exec(
    fs.readFileSync(kubeconfig, 'utf8'),
  )[1];

  const config = path.join(work, 'portal.yaml');
  fs.writeFileSync(config, portalConfig(caData));
  processes.start('private-backend', 'yarn', [
    'workspace',
    'backend',
    'start',
    '--config',
    '../../app-config.yaml',
    '--config',
    config,
  ]);
  await waitForHttp(
    `${BASE_URL}/api/kubernetes-terminal/health`,
    240_000,
    s => s === 200,
  );
  await waitForHttp(`${BASE_URL}/`, 60_000, s => s === 200);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await processes.stopAll();
  removeNamespace();
  fs.rmSync(work, { recursive: true, force: true });
});

test('the cluster is unreachable from the portal: its API server answers only inside the namespace', async () => {
  // From the portal's side, the cluster's url is refused outright.
  const fromHost = await fetch(`https://${API_SERVER}/version`).then(
    () => 'answered',
    error => error.cause?.code ?? error.message,
  );
  assert.equal(fromHost, 'ECONNREFUSED');
  // Inside the namespace, the same address is the sandbox.
  const inside = run(
    'ip',
    inNamespace(process.execPath, [
      '-e',
      `fetch('https://${API_SERVER}/version').then(r => r.json()).then(v => console.log(v.gitVersion))`,
    ]),
    { env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' } },
  );
  assert.match(inside, /^v1\.\d+/);
});

test("a terminal through the agent; the agent killed mid-session, then back; another cluster's token refused", async t => {
  startAgent('agent-private', 'private', tokens.private.token);
  await agentLogged('agent-private', /tunnel to .* open for cluster 'private'/);

  const page = await browser.newPage({
    viewport: { width: 1280, height: 800 },
  });
  t.after(() => page.close());
  const watched = watchPage(page);
  await signIn(page, BASE_URL);
  await page.goto(
    `${BASE_URL}/catalog/default/component/demo-service/terminal`,
  );
  const clusters = page.getByLabel('Cluster', { exact: true });
  await clusters.waitFor();
  await clusters.selectOption({ label: 'Private cluster (through its agent)' });
  const pods = page.getByLabel('Pod', { exact: true });
  await pods.selectOption({ label: 'demo-service-7d9f8b6c5-abcde' });
  const containers = page.getByLabel('Container', { exact: true });
  const app = (await containers.locator('option').allInnerTexts()).find(o =>
    o.startsWith('app '),
  );
  await containers.selectOption({ label: app });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const state = page.getByTestId('terminal-status-state');
  await state
    .filter({ hasText: /^Connected \(bash\)$/ })
    .waitFor({ timeout: 30_000 });
  await typeLine(page, 'echo "via-agent-$((6*7))"');
  await waitForScreen(page, /^via-agent-42\s*$/m);
  await page.screenshot({ path: '.cache/test-results/private-connected.png' });

  // The agent is killed: the terminal says why its session ended.
  const agent = processes.children.at(-1);
  process.kill(-agent.pid, 'SIGKILL');
  await page
    .getByText(
      /cluster 'private' is reached through its agent, which is not connected/,
    )
    .first()
    .waitFor({ timeout: 20_000 });
  await page.screenshot({ path: '.cache/test-results/private-agent-gone.png' });

  // Back again: a new shell works.
  startAgent('agent-private-again', 'private', tokens.private.token);
  await agentLogged(
    'agent-private-again',
    /tunnel to .* open for cluster 'private'/,
  );
  await page.getByRole('button', { name: 'Reconnect' }).first().click();
  await state
    .filter({ hasText: /^Connected \(bash\)$/ })
    .waitFor({ timeout: 30_000 });
  await typeLine(page, 'echo "back-$((40+2))"');
  await waitForScreen(page, /^back-42\s*$/m);

  // An agent posing as this cluster with another cluster's token is refused, and says why.
  startAgent('agent-impostor', 'private', tokens.elsewhere.token);
  const refused = await agentLogged('agent-impostor', /refused the agent/);
  assert.match(
    refused,
    /HTTP 401\): the token is not one of cluster 'private''s agent tokens/,
  );
  assert.ok(
    !refused.includes(tokens.elsewhere.token),
    'the token is not logged',
  );

  // The sessions page shows the agents' health, and the audit log the refusal.
  await page.goto(`${BASE_URL}/kubernetes-terminal`);
  const agents = page.getByRole('region', { name: 'Private cluster agents' });
  await agents.waitFor({ timeout: 15_000 });
  const privateRow = agents
    .getByRole('row')
    .filter({ hasText: 'private' })
    .filter({ hasText: 'e2e-private' });
  await privateRow.getByText('Connected').waitFor();
  assert.match(
    await privateRow.innerText(),
    new RegExp(`from ${NS_IP.replace(/\./g, '\\.')}[,\\s]`),
  );
  await agents
    .getByRole('row')
    .filter({ hasText: 'elsewhere' })
    .getByText('Not connected')
    .waitFor();
  await page.screenshot({
    path: '.cache/test-results/private-agents-health.png',
    fullPage: true,
  });
  // The audit log shows what was written when the page loaded: Refresh until the refusal is there.
  const refusedRow = page
    .getByRole('row')
    .filter({ hasText: 'Agent refused' })
    .first();
  for (let i = 0; i < 15 && !(await refusedRow.isVisible()); i++) {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(1000);
  }
  assert.match(await refusedRow.innerText(), /agent of private/);

  // Not an open proxy: an agent told to relay to 127.0.0.1:7999 is asked for the sandbox's address,
  // which it could reach, and refuses to dial it; the Terminal tab says so.
  startAgent(
    'agent-elsewhere',
    'elsewhere',
    tokens.elsewhere.token,
    '127.0.0.1:7999',
  );
  await agentLogged(
    'agent-elsewhere',
    /tunnel to .* open for cluster 'elsewhere'/,
  );
  await page.goto(
    `${BASE_URL}/catalog/default/component/demo-service/terminal`,
  );
  const refusal = page.getByTestId('cluster-error-elsewhere');
  await refusal.waitFor({ timeout: 20_000 });
  assert.ok(
    (await refusal.innerText()).includes(
      `the agent of cluster 'elsewhere' refused the connection to ${API_SERVER} (HTTP 403: the agent relays only to 127.0.0.1:7999)`,
    ),
    await refusal.innerText(),
  );
  await agentLogged(
    'agent-elsewhere',
    /refused a CONNECT to 127\.0\.0\.1:7160: the agent relays only to 127\.0\.0\.1:7999/,
  );
  watched.assertClean([
    /Failed to load resource: the server responded with a status of 503/,
  ]);
});
