// Browser test: keeping the shell. Two replicas of the built portal (:7127 and :7137) share one
// PostgreSQL database and stand behind one URL (:7117, a TCP front like a load balancer), with a
// sandbox cluster on :7120. The front cuts connections, refuses them for a while, or points at the
// other replica; the terminal in Chromium resumes its session through all of it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { launchChromium } from './browser.mjs';
import { startFrontProxy } from './frontProxy.mjs';
import {
  Processes,
  assertFree,
  chooseContainer,
  screenText,
  signIn,
  typeLine,
  waitForHttp,
  waitForScreen,
  watchPage,
} from './harness.mjs';

const FRONT_PORT = 7117;
const REPLICA_PORTS = [7127, 7137];
const SANDBOX_PORT = 7120;
const BASE_URL = `http://localhost:${FRONT_PORT}`;
const GRACE_SECONDS = 20;
// Each run's databases are its own, and dropped after it.
const DB_PREFIX = `kt_e2e_${process.pid}_`;
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };

// What Chromium logs while the network is cut: the failed resume calls and sockets, expected here.
const CUT_MESSAGES = [
  /Failed to load resource: net::ERR_/,
  /WebSocket connection to .* failed/,
  /TypeError: Failed to fetch/,
];

const processes = new Processes();
let browser;
let front;

function replicaConfig(port) {
  return `
app:
  title: Kubernetes Terminal (e2e, two replicas)
  baseUrl: ${BASE_URL}
backend:
  baseUrl: ${BASE_URL}
  listen:
    port: ${port}
  cors:
    origin: ${BASE_URL}
  database:
    client: pg
    connection:
      host: ${PG.host}
      port: ${PG.port}
      user: ${PG.user}
    prefix: ${DB_PREFIX}
kubernetes:
  serviceLocatorMethod:
    type: multiTenant
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: sandbox
          title: Sandbox cluster (e2e)
          url: http://127.0.0.1:${SANDBOX_PORT}
          authProvider: serviceAccount
          serviceAccountToken: sandbox-portal-token
          skipTLSVerify: true
          skipMetricsLookup: true
kubernetesTerminal:
  resume:
    grace: { seconds: ${GRACE_SECONDS} }
    instanceUrl: http://127.0.0.1:${port}/api/kubernetes-terminal
`;
}

async function dropDatabases() {
  const client = new pg.Client({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${DB_PREFIX}%`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

before(async () => {
  await assertFree(BASE_URL);
  for (const port of REPLICA_PORTS) await assertFree(`http://127.0.0.1:${port}/`);
  await assertFree(`http://127.0.0.1:${SANDBOX_PORT}/version`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-e2e-replicas-'));
  processes.start('resume-sandbox', process.execPath, [
    'packages/kube-sandbox/bin/kube-sandbox',
    '--port', String(SANDBOX_PORT),
    '--seed', 'examples/sandbox-seed.yaml',
    '--state-dir', path.join(dir, 'sandbox'),
  ]);
  // The first replica creates the databases and runs the migrations; the second then joins them.
  for (const [i, port] of REPLICA_PORTS.entries()) {
    const config = path.join(dir, `replica-${i}.yaml`);
    fs.writeFileSync(config, replicaConfig(port));
    processes.start(`resume-replica-${i}`, 'yarn', [
      'workspace', 'backend', 'start',
      '--config', '../../app-config.yaml',
      '--config', config,
    ]);
    await waitForHttp(`http://127.0.0.1:${port}/api/kubernetes-terminal/health`, 240_000, s => s === 200);
  }
  await waitForHttp(`http://127.0.0.1:${SANDBOX_PORT}/version`, 30_000);
  front = await startFrontProxy(FRONT_PORT, REPLICA_PORTS[0]);
  await waitForHttp(`${BASE_URL}/`, 60_000, s => s === 200);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await front?.close();
  await processes.stopAll();
  await dropDatabases().catch(error => console.error(`e2e: could not drop the test databases: ${error.message}`));
});

/** Signs in, opens the demo service's Terminal tab and a shell in its app container. */
async function openShell(t) {
  front.pointTo(REPLICA_PORTS[0]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(() => page.close());
  const watched = watchPage(page);
  await signIn(page, BASE_URL);
  await chooseContainer(page, BASE_URL, 'app');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const state = page.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected \(bash\)$/ }).waitFor({ timeout: 20_000 });
  await waitForScreen(page, /[$#]\s*$/);
  return { page, watched, state };
}

const count = (text, pattern) => (text.match(pattern) ?? []).length;

test('a connection cut in the middle of `sleep 3; echo done` resumes: done shows once, keys typed while away are sent', async t => {
  const { page, watched, state } = await openShell(t);
  await typeLine(page, 'sleep 3; echo "do""ne-$((6*7))"');
  await waitForScreen(page, /sleep 3; echo "do""ne-\$\(\(6\*7\)\)"/);
  // The network goes: open connections are cut, new ones refused for 2 s.
  front.refuse(true);
  front.cut();
  await state.filter({ hasText: /^Connection lost — reconnecting/ }).waitFor({ timeout: 5000 });
  await typeLine(page, 'echo "typed-$((1+1))-away"');
  await state.filter({ hasText: /bytes wait to be sent$/ }).waitFor({ timeout: 5000 });
  await page.screenshot({ path: '.cache/test-results/resume-reconnecting.png' });
  await page.waitForTimeout(2000);
  front.refuse(false);
  const backAt = Date.now();

  await state.filter({ hasText: /^Connected \(bash\)$/ }).waitFor({ timeout: 15_000 });
  // The browser learns the network is back at its next attempt (backoff up to 5 s), then resumes.
  t.diagnostic(`network back to connected: ${Date.now() - backAt} ms`);
  await waitForScreen(page, /^typed-2-away\s*$/m, 15_000);
  const text = await screenText(page);
  assert.equal(count(text, /^done-42\s*$/gm), 1, `done-42 once:\n${text}`);
  // Exactly as the shell drew it: its output right under the command, nothing of ours between.
  assert.match(text, /sleep 3; echo "do""ne-\$\(\(6\*7\)\)"\s*\ndone-42\s*\n/);
  assert.equal(count(text, /sleep 3; echo "do""ne/g), 1, `the command once:\n${text}`);
  assert.equal(count(text, /^typed-2-away\s*$/gm), 1, `the held line ran once:\n${text}`);
  await page.screenshot({ path: '.cache/test-results/resume-resumed.png' });
  watched.assertClean(CUT_MESSAGES);
});

test('a reload asks first, then returns to the same shell with its screen and its variables', async t => {
  const { page, watched, state } = await openShell(t);
  await typeLine(page, 'export KEEP=$((40+2)); echo "before-$KEEP"');
  await waitForScreen(page, /^before-42\s*$/m);
  const dialogs = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.type());
    void dialog.accept();
  });
  const reloadAt = Date.now();
  await page.reload();
  assert.deepEqual(dialogs, ['beforeunload'], 'leaving a live session asks first');

  await state.filter({ hasText: /^Connected \(bash\)$/ }).waitFor({ timeout: 30_000 });
  // The screen from before the reload is back, each line once.
  await waitForScreen(page, /^before-42\s*$/m);
  t.diagnostic(`reload to the restored screen, connected: ${Date.now() - reloadAt} ms (page load included)`);
  await typeLine(page, 'echo "after-$KEEP"');
  await waitForScreen(page, /^after-42\s*$/m);
  const text = await screenText(page);
  assert.equal(count(text, /^before-42\s*$/gm), 1, `before-42 once:\n${text}`);
  assert.equal(count(text, /export KEEP/g), 1, `the export once:\n${text}`);
  await page.screenshot({ path: '.cache/test-results/resume-after-reload.png' });
  watched.assertClean(CUT_MESSAGES);
});

test('resumed through the other replica, the shell is the same one', async t => {
  const { page, watched, state } = await openShell(t);
  await typeLine(page, 'echo "pid-$$-first"');
  const [, pid] = await waitForScreen(page, /^pid-(\d+)-first\s*$/m);
  // The front now sends new connections to the replica that does not hold the shell.
  front.pointTo(REPLICA_PORTS[1]);
  front.cut();
  await state.filter({ hasText: /^Connected \(bash\)$/ }).waitFor({ timeout: 15_000 });
  await typeLine(page, 'echo "pid-$$-second"');
  const [, again] = await waitForScreen(page, /^pid-(\d+)-second\s*$/m);
  assert.equal(again, pid, 'the same shell process');
  watched.assertClean(CUT_MESSAGES);
});

test('when the grace period runs out, the session ends and the terminal says why', async t => {
  const { page, watched, state } = await openShell(t);
  front.refuse(true);
  front.cut();
  await state.filter({ hasText: /^Connection lost — reconnecting/ }).waitFor({ timeout: 5000 });
  await page.waitForTimeout((GRACE_SECONDS + 2) * 1000);
  front.refuse(false);
  await waitForScreen(
    page,
    new RegExp(`the browser did not come back within ${GRACE_SECONDS} s of losing its connection`),
    20_000,
    { unwrap: true },
  );
  await state.filter({ hasText: /^Disconnected: the session ended while the connection was lost: the browser did not come back/ }).waitFor();
  await page.getByRole('button', { name: 'Reconnect' }).waitFor();
  await page.screenshot({ path: '.cache/test-results/resume-grace-ran-out.png' });
  // The backend's answer to the resume that came too late.
  watched.assertClean([...CUT_MESSAGES, /status of 409 \(Conflict\) .*\/resume\)$/]);
});
