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
  chooseContainer,
  openTab,
  signIn,
  typeLine,
  waitForHttp,
  waitForScreen,
  watchPage,
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
  const watched = watchPage(page);
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

  await page.getByRole('button', { name: 'Connect', exact: true }).click();

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
  // The person as the catalog names them.
  assert.match(await row.first().innerText(), /Guest User/);
  watched.assertClean();
});

test('the demo policy refuses a terminal on an entity the user does not own', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(() => page.close());
  const watched = watchPage(page);
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
    /You are not allowed to open a terminal on this entity: the portal's permission policy does not give you kubernetes\.terminal\.exec or kubernetes\.terminal\.sessionPod\.create or kubernetes\.terminal\.debugContainer\.create on it\. Policies usually grant it to the entity's owner, payments: ask them/,
  );
  assert.equal(await page.getByRole('button', { name: 'Connect', exact: true }).count(), 0);
  watched.assertClean();
});


test('start a kubectl session pod, see its progress, run kubectl, extend it', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(() => page.close());
  const watched = watchPage(page);
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
  watched.assertClean();
});

test('replay a session from its page: jump to a command, play on, download the .cast', async t => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  t.after(() => page.close());
  const watched = watchPage(page);
  const word = `rec-${Math.random().toString(36).slice(2, 8)}`;
  await signIn(page, BASE_URL);
  await chooseContainer(page, BASE_URL, 'app');

  const created = page.waitForResponse(
    r => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/kubernetes-terminal/sessions',
  );
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
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
  watched.assertClean();
});

/** The terminal's rows, and how many of them the window shows whole. */
function terminalRows(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('[data-testid=terminal] .xterm-rows > div')];
    const visible = rows.filter(row => {
      const box = row.getBoundingClientRect();
      return box.top >= 0 && box.bottom <= window.innerHeight;
    });
    const panel = document.querySelector('[data-testid=terminal-panel]').getBoundingClientRect();
    return { rows: rows.length, visible: visible.length, panelBottom: panel.bottom, innerHeight: window.innerHeight };
  });
}

test('the terminal fills the window at every size; its controls say what they do and ask before ending a session', async t => {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  t.after(() => context.close());
  const page = await context.newPage();
  const watched = watchPage(page);
  await signIn(page, BASE_URL);
  await chooseContainer(page, BASE_URL, 'app');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const state = page.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected \(bash\)$/ }).waitFor({ timeout: 20_000 });
  // The picker's one button says what it would do: nothing, this session runs.
  assert.equal(await page.getByRole('button', { name: 'Connected' }).isDisabled(), true);

  // Every row of the terminal is on screen, the prompt included, and the shell has as many.
  for (const [width, height] of [[1400, 900], [900, 600], [1920, 1080]]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(500);
    const tag = `w${width}`;
    await typeLine(page, `echo ${tag}-$(stty size)`);
    const [, rows] = await waitForScreen(page, new RegExp(`^${tag}-(\\d+) (\\d+)\\s*$`, 'm'));
    const view = await terminalRows(page);
    console.log(`visible terminal rows at ${width}×${height}: ${view.visible} of ${view.rows}`);
    assert.equal(view.rows, Number(rows), `the shell's rows are the terminal's at ${width}×${height}`);
    assert.equal(view.visible, view.rows, `every row visible at ${width}×${height}`);
    assert.ok(view.rows >= 10, `at least 10 rows at ${width}×${height}, got ${view.rows}`);
  }

  // Search says where it is ("n of m") and, open, still leaves the whole terminal on screen.
  await typeLine(page, 'echo findme; echo findme');
  await waitForScreen(page, /^findme\s*\nfindme\s*$/m);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByLabel('Search terminal').pressSequentially('findme', { delay: 20 });
  const count = page.getByTestId('terminal-search-count');
  await count.filter({ hasText: /^\d+ of \d+$/ }).waitFor();
  const [, total] = /of (\d+)/.exec(await count.innerText());
  assert.ok(Number(total) >= 4, `the line and its output: 4 matches at least, got ${total}`);
  const searching = await terminalRows(page);
  assert.ok(searching.panelBottom <= searching.innerHeight, 'the terminal ends on screen with search open');
  assert.equal(searching.visible, searching.rows);
  await page.getByLabel('Search terminal').press('Escape');
  // Closed, the search bar gives its room back: the terminal refits.
  await page.getByLabel('Search terminal').waitFor({ state: 'detached' });
  await page.waitForTimeout(500);

  // Copy says what it copied.
  // Double-clicked where the word is drawn, as a person does (xterm's screen layer takes the click).
  const word = await page.locator('[data-testid=terminal] .xterm-rows > div').filter({ hasText: /^findme\s*$/ }).first().boundingBox();
  await page.mouse.dblclick(word.x + 12, word.y + word.height / 2);
  await page.getByRole('button', { name: 'Copy selection' }).click();
  const note = page.getByTestId('terminal-copy-note');
  await note.waitFor();
  assert.equal(await note.innerText(), 'Copied 6 characters');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'findme');

  // Another container while this session runs: asked first, and kept on "Keep the session".
  const containers = page.getByLabel('Container', { exact: true });
  const sidecar = (await containers.locator('option').allInnerTexts()).find(o => o.startsWith('sidecar '));
  await containers.selectOption({ label: sidecar });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'End the running session?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Keep the session' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await typeLine(page, 'echo still-$((40+2))');
  await waitForScreen(page, /^still-42\s*$/m);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await dialog.getByRole('button', { name: 'End it and connect' }).click();
  await page.getByTestId('terminal-status-target').filter({ hasText: /\/sidecar/ }).waitFor();
  await state.filter({ hasText: /^Connected \(sh\)$/ }).waitFor({ timeout: 20_000 });

  // Disconnect ends it at once; then one Reconnect, which opens a new shell on the same terminal.
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await state.filter({ hasText: /^Disconnected$/ }).waitFor();
  await waitForScreen(page, /\[disconnected\]/);
  assert.equal(await page.getByRole('button', { name: 'Reconnect' }).count(), 1);
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await state.filter({ hasText: /^Connected \(sh\)$/ }).waitFor({ timeout: 20_000 });
  await waitForScreen(page, /\[disconnected\][\s\S]*\[reconnecting…\]/);
  watched.assertClean();
});

test('an admin ends a session: the Terminate dialog outlives the table\'s refreshes, and the shell says who ended it by name', async t => {
  const user = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  t.after(() => user.close());
  const admin = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  t.after(() => admin.close());
  const watchedUser = watchPage(user);
  const watchedAdmin = watchPage(admin);
  await signIn(user, BASE_URL);
  await chooseContainer(user, BASE_URL, 'app');
  const created = user.waitForResponse(
    r => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/kubernetes-terminal/sessions',
  );
  await user.getByRole('button', { name: 'Connect', exact: true }).click();
  const { sessionId } = await (await created).json();
  const state = user.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected/ }).waitFor({ timeout: 20_000 });

  await signIn(admin, BASE_URL);
  await admin.getByRole('link', { name: 'Terminals' }).first().click();
  const row = admin.getByRole('row').filter({ has: admin.getByRole('link', { name: `Session ${sessionId}` }) });
  await row.getByRole('button', { name: 'Terminate' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Terminate session?' });
  await dialog.waitFor();
  // The sessions table refreshes every 10 s: the dialog stays through two refreshes.
  const refreshes = () =>
    admin.waitForResponse(
      r => r.request().method() === 'GET' && new URL(r.url()).pathname === '/api/kubernetes-terminal/sessions',
      { timeout: 15_000 },
    );
  await refreshes();
  await refreshes();
  await admin.waitForTimeout(300);
  assert.equal(await dialog.isVisible(), true, 'the dialog is still open after two refreshes');
  assert.match(await dialog.innerText(), /The shell of Guest User in/);
  await dialog.getByRole('button', { name: 'Terminate session' }).click();
  await dialog.waitFor({ state: 'hidden' });

  await state.filter({ hasText: /^Terminated by Guest User$/ }).waitFor({ timeout: 15_000 });
  await waitForScreen(user, /\[Terminated by Guest User\]/);
  assert.doesNotMatch(await user.locator('main, body').first().innerText(), /user:default\/guest/);
  watchedUser.assertClean();
  watchedAdmin.assertClean();
});

test('a container without a shell: a debug container beside it sees the target, is attached to again, and is audited', async t => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  t.after(() => page.close());
  const watched = watchPage(page);
  const word = `dbg-${Math.random().toString(36).slice(2, 8)}`;
  await signIn(page, BASE_URL);
  await page.goto(`${BASE_URL}/catalog/default/component/demo-service/terminal`);
  const pods = page.getByLabel('Pod', { exact: true });
  await pods.waitFor();
  await pods.selectOption({ label: 'demo-service-7d9f8b6c5-fghij' });
  const containers = page.getByLabel('Container', { exact: true });
  const exporter = (await containers.locator('option').allInnerTexts()).find(o => o.startsWith('metrics-exporter '));
  await containers.selectOption({ label: exporter });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();

  // No shell in a distroless container: said, with the way in.
  await page.getByText('No shell in container metrics-exporter').waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Start a debug container' }).click();
  const state = page.getByTestId('terminal-status-state');
  await state.filter({ hasText: /^Connected \(debug container debug-guest-[0-9a-f]{6}\)$/ }).waitFor({ timeout: 30_000 });
  await waitForScreen(page, /\[debug\] adding debug container debug-guest-[0-9a-f]{6} \(image busybox:1\.36, profile general\) beside metrics-exporter/, 10_000, { unwrap: true });
  await waitForScreen(page, /press Enter/, 10_000, { unwrap: true });
  await typeLine(page, '');
  // The target's files: the pod's directory, whose prompt file names the pod.
  await typeLine(page, 'cat .bashrc');
  await waitForScreen(page, /PS1='demo-service-7d9f8b6c5-fghij/);
  await typeLine(page, `echo ${word}-$((6*7))`);
  await waitForScreen(page, new RegExp(`^${word}-42\\s*$`, 'm'));

  // A new session for the same target attaches to the same debug container.
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await state.filter({ hasText: /^Disconnected$/ }).waitFor();
  // The picker followed to the debug mode for this container: its button attaches again.
  assert.equal(await page.getByRole('radio', { name: 'Debug container' }).isChecked(), true);
  await page.getByRole('button', { name: 'Attach again' }).click();
  await waitForScreen(page, /\[debug\] attaching to your debug container debug-guest-[0-9a-f]{6} beside metrics-exporter/, 30_000, { unwrap: true });
  await state.filter({ hasText: /^Connected \(debug container/ }).waitFor({ timeout: 30_000 });

  // The audit log has the command, run in a debug session, and the container's creation.
  await page.getByRole('link', { name: 'Terminals' }).first().click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByLabel('Command contains').fill(word);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const row = page.getByRole('row').filter({ hasText: `echo ${word}` });
  await row.first().waitFor({ timeout: 15_000 });
  await row.first().getByRole('link', { name: /^Session / }).click();
  await page.getByText('Debug container', { exact: true }).first().waitFor();
  assert.match(await page.locator('body').innerText(), /image: busybox:1\.36/);
  watched.assertClean();
});
