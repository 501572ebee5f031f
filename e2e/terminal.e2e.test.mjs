// Browser test: the built portal (backend on :7017 serving the app) with a sandbox cluster on :7020,
// driven by Playwright in Debian's Chromium. Run by scripts/test.sh after `yarn workspace app build`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from './browser.mjs';
import {
  Processes,
  assertFree,
  openTab,
  typeLine,
  waitForHttp,
  waitForScreen,
} from './harness.mjs';

const BASE_URL = 'http://localhost:7017';
const SANDBOX_PORT = 7020;

const processes = new Processes();
let browser;

before(async () => {
  await assertFree(BASE_URL);
  await assertFree(`http://127.0.0.1:${SANDBOX_PORT}/version`);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-e2e-sandbox-'));
  processes.start('sandbox', process.execPath, [
    'packages/kube-sandbox/bin/kube-sandbox',
    '--port', String(SANDBOX_PORT),
    '--seed', 'examples/sandbox-seed.yaml',
    '--state-dir', stateDir,
  ]);
  processes.start('backend', 'yarn', [
    'workspace', 'backend', 'start',
    '--config', '../../app-config.yaml',
    '--config', '../../app-config.e2e.yaml',
  ]);
  await waitForHttp(`http://127.0.0.1:${SANDBOX_PORT}/version`, 30_000);
  await waitForHttp(`${BASE_URL}/api/kubernetes-terminal/health`, 180_000, s => s === 200);
  await waitForHttp(`${BASE_URL}/`, 60_000, s => s === 200);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  // A backend whose shutdown does not finish must not hold the test run open (seen once: SIGTERM
  // after the session pod test left it running).
  await processes.stopAll();
});

test('open the demo service terminal, echo, resize, exit', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(() => page.close());
  const word = `hello-${Math.random().toString(36).slice(2, 8)}`;

  await page.goto(`${BASE_URL}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
  await page.goto(`${BASE_URL}/catalog/default/component/demo-service`);
  // The Terminal tab is a tab of its own, shown as the selected one once opened.
  await openTab(page, 'Terminal');

  const pods = page.getByLabel('Pod', { exact: true });
  await pods.waitFor();
  const options = await pods.locator('option').allInnerTexts();
  const demoPod = options.find(o => o.startsWith('demo-service-'));
  assert.ok(demoPod, `demo pod offered, got ${options.join(', ')}`);
  await pods.selectOption({ label: demoPod });
  const containers = page.getByLabel('Container', { exact: true });
  const app = (await containers.locator('option').allInnerTexts()).find(o => o.startsWith('app '));
  assert.ok(app, 'container app offered');
  await containers.selectOption({ label: app });

  // Make the real signals plugin add its HTTP `upgrade` listener (it does so on its first upgrade
  // request), so the terminal's WebSocket has to work beside it rather than through Express.
  const openSignals = () =>
    page.evaluate(
      () =>
        new Promise(resolve => {
          const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/signals`);
          ws.onopen = () => { ws.close(); resolve('open'); };
          ws.onclose = () => resolve('closed');
          setTimeout(() => resolve('timeout'), 5000);
        }),
    );
  await openSignals();
  assert.equal(await openSignals(), 'open', 'signals serves WebSockets through its own listener');

  await page.getByRole('button', { name: 'Connect' }).click();

  const state = page.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected \(bash\)$/ }).waitFor({ timeout: 20_000 });

  await typeLine(page, `echo ${word}`);
  await waitForScreen(page, new RegExp(`^${word}\\s*$`, "m"));

  await typeLine(page, "echo s1-$(stty size)");
  const [, rows1, cols1] = await waitForScreen(page, /^s1-(\d+) (\d+)\s*$/m);
  await page.setViewportSize({ width: 1000, height: 600 });
  await page.waitForTimeout(500);
  await typeLine(page, "echo s2-$(stty size)");
  const [, rows2, cols2] = await waitForScreen(page, /^s2-(\d+) (\d+)\s*$/m);
  assert.ok(
    Number(rows2) < Number(rows1) && Number(cols2) < Number(cols1),
    `stty size followed the window: ${rows1}x${cols1} -> ${rows2}x${cols2}`,
  );

  await typeLine(page, 'exit 3');
  await state.filter({ hasText: "Exited with status 3 (the last command's)" }).waitFor();
  await waitForScreen(page, /\[process exited with code 3\]/);
  await page.getByRole('button', { name: 'Reconnect' }).waitFor();

  // The Terminal sessions page shows what was run, as the shell saw it, in the audit log.
  await page.getByRole('link', { name: 'Terminals' }).first().click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByLabel('Command contains').fill(word);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const row = page.getByRole('row').filter({ hasText: `echo ${word}` });
  await row.first().waitFor({ timeout: 15_000 });
  assert.match(await row.first().innerText(), /Command/);
  assert.match(await row.first().innerText(), /guest/);
});

test('the demo policy refuses a terminal on an entity the user does not own', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(() => page.close());
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
  // Owned by group:default/payments; the guest belongs to guests and platform-admins only.
  await page.goto(`${BASE_URL}/catalog/default/component/billing-worker/terminal`);
  await page.getByText('Permission denied').waitFor();
  // Why, and whom to ask: the permission the policy did not grant, and the entity's owner.
  const denial = page.getByTestId('terminal-permission-denied');
  await denial.getByRole('link', { name: 'payments' }).waitFor();
  assert.match(
    (await denial.innerText()).replace(/\s+/g, ' '),
    /You are not allowed to open a terminal on this entity: the portal's permission policy does not give you kubernetes\.terminal\.exec or kubernetes\.terminal\.sessionPod\.create on it\. Policies usually grant it to the entity's owner, payments: ask them/,
  );
  assert.equal(await page.getByRole('button', { name: 'Connect' }).count(), 0);
});


test('start a kubectl session pod, see its progress, run kubectl, extend it', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(() => page.close());
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
  await page.goto(`${BASE_URL}/catalog/default/component/demo-service/terminal`);

  await page.getByRole('radio', { name: 'kubectl session pod' }).check();
  await page.getByTestId('session-pod-caption').waitFor();
  await page.getByRole('button', { name: 'Start session pod' }).click();

  // Provisioning is shown step by step in the terminal.
  await waitForScreen(page, /\[serviceaccount\]/, 30_000);
  await waitForScreen(page, /\[pod\]/, 30_000);
  const state = page.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected/ }).waitFor({ timeout: 60_000 });
  // One time format on the page: the terminal's lines say spans; only the banner says clock times,
  // in the browser's own format (the server's UTC clock times were beside them before).
  await waitForScreen(page, /is ready; it expires in \d+ (s|min) and can be extended to/, 10_000, { unwrap: true });
  assert.doesNotMatch(await page.locator('[data-testid=terminal] .xterm-rows').innerText(), /UTC/);

  // kubectl inside the pod acts with the session's own credentials, bound to `view` in demo.
  await typeLine(page, 'kubectl get pods -o name');
  await waitForScreen(page, /^pod\/demo-service-7d9f8b6c5-abcde\s*$/m, 20_000);
  await typeLine(page, 'kubectl auth can-i get pods -n other');
  await waitForScreen(page, /^no\s*$/m, 20_000);

  // app-config.e2e.yaml shortens the lifetime so that the warning shows at once.
  const warning = page.getByTestId('session-pod-expiry-warning');
  await warning.waitFor({ timeout: 70_000 });
  const expiry = page.getByTestId('terminal-status-expiry');
  const minutesLeft = async () => Number(/(\d+) min/.exec(await expiry.innerText())?.[1] ?? 0);
  const before = await minutesLeft();
  assert.ok(before <= 3, `a fresh session pod expires within 3 min, shows ${before}`);
  await page.getByRole('button', { name: 'Extend' }).click();
  // extendBy is 10 min in app-config.e2e.yaml.
  await expiry.filter({ hasText: /Expires in (1[0-3]) min/ }).waitFor({ timeout: 15_000 });
  assert.ok((await minutesLeft()) >= before + 9);
});

test('replay a session from its page: jump to a command, play on, download the .cast', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  t.after(() => page.close());
  const word = `rec-${Math.random().toString(36).slice(2, 8)}`;
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
  await page.goto(`${BASE_URL}/catalog/default/component/demo-service/terminal`);
  const pods = page.getByLabel('Pod', { exact: true });
  await pods.waitFor();
  const demoPod = (await pods.locator('option').allInnerTexts()).find(o => o.startsWith('demo-service-'));
  await pods.selectOption({ label: demoPod });
  const containers = page.getByLabel('Container', { exact: true });
  const app = (await containers.locator('option').allInnerTexts()).find(o => o.startsWith('app '));
  await containers.selectOption({ label: app });

  const created = page.waitForResponse(
    r => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/kubernetes-terminal/sessions',
  );
  await page.getByRole('button', { name: 'Connect' }).click();
  const { sessionId } = await (await created).json();
  const state = page.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected/ }).waitFor({ timeout: 20_000 });
  await typeLine(page, `echo first-${word}`);
  await waitForScreen(page, new RegExp(`^first-${word}\\s*$`, 'm'));
  await page.waitForTimeout(300);
  await typeLine(page, `echo second-${word}`);
  await waitForScreen(page, new RegExp(`^second-${word}\\s*$`, 'm'));
  await typeLine(page, 'exit');
  await state.filter({ hasText: /^Exited$/ }).waitFor();

  await page.goto(`${BASE_URL}/kubernetes-terminal/sessions/${sessionId}`);
  await page.getByRole('heading', { name: 'Recording' }).waitFor();
  const player = page.getByTestId('recording-player');
  const jump = player.getByRole('button', { name: `Jump to echo first-${word}` });
  await jump.waitFor({ timeout: 20_000 });
  const rows = player.locator('.xterm-rows');
  const playerScreen = () => rows.innerText();
  async function waitForPlayer(check, what) {
    const deadline = Date.now() + 15_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await playerScreen();
      if (check(text)) return;
      await page.waitForTimeout(100);
    }
    throw new Error(`player never showed ${what}; screen:\n${text}`);
  }

  // Seeking to the first command shows the screen as it was then: the second is not there yet.
  await jump.click();
  await waitForPlayer(
    text => text.includes(`echo first-${word}`) && !text.includes(`second-${word}`),
    'the first command without the second',
  );
  await player.getByLabel('Speed').selectOption('16');
  await player.getByRole('button', { name: 'Play' }).click();
  await waitForPlayer(text => new RegExp(`^second-${word}\\s*$`, 'm').test(text), 'the second command\'s output');
  await player.getByRole('button', { name: 'Replay' }).waitFor({ timeout: 15_000 });

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: /Download \.cast/ }).click();
  const download = await downloading;
  assert.equal(download.suggestedFilename(), `terminal-session-${sessionId}.cast`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kt-cast-')), download.suggestedFilename());
  await download.saveAs(file);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l));
  assert.equal(lines[0].version, 2);
  const output = lines.slice(1).filter(e => e[1] === 'o').map(e => e[2]).join('');
  assert.ok(output.includes(`second-${word}`));
  // The real asciinema player accepts the file and plays exactly the recorded output.
  const played = execFileSync('asciinema', ['play', '-s', '1000', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  }).toString('utf8');
  assert.equal(played, output);
});
