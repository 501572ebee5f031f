// What the browser tests share: their processes (started in their own process groups, logged to
// .cache/test-results/e2e-<name>.log, stopped together) and the terminal on the page.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logDir = path.join(ROOT, '.cache', 'test-results');

export class Processes {
  children = [];

  /** Starts a process in a group of its own; its output goes to `<logName>.log` (`e2e-<name>` by default). */
  start(name, command, args, { logName = `e2e-${name}`, ...options } = {}) {
    fs.mkdirSync(logDir, { recursive: true });
    const log = fs.openSync(path.join(logDir, `${logName}.log`), 'w');
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      detached: true,
      ...options,
    });
    this.children.push(child);
    return child;
  }

  /**
   * SIGTERM to every process group, then SIGKILL to what is left of a group after 15 s. The whole
   * group is waited for, not only the child: `yarn workspace backend start` runs the backend under
   * backstage-cli, and a backend whose parent died first hangs in its shutdown (its dev data store
   * asks the dead parent over IPC, then its database pool times out) and would live on unseen.
   */
  async stopAll() {
    const groups = this.children.map(child => child.pid).filter(Boolean);
    const alive = pid => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const signal = (pids, sig) => {
      for (const pid of pids) {
        try {
          process.kill(-pid, sig);
        } catch {
          // already gone
        }
      }
    };
    signal(groups, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && groups.some(alive)) {
      await new Promise(r => setTimeout(r, 200));
    }
    const left = groups.filter(alive);
    if (left.length > 0) {
      console.error(`e2e: ${left.length} process group(s) still running 15 s after SIGTERM; killing them`);
      signal(left, 'SIGKILL');
    }
  }
}

export async function waitForHttp(url, timeoutMs, accept = status => status < 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (accept(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

export async function assertFree(url) {
  const answered = await fetch(url).then(() => true, () => false);
  if (answered) {
    throw new Error(`${url} already answers: stop the other portal first, or these tests would drive it`);
  }
}

/** Signs in as the guest on the portal at `baseUrl`. */
export async function signIn(page, baseUrl) {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
}

/** Opens the demo service's Terminal tab and chooses a container of its first pod. */
export async function chooseContainer(page, baseUrl, container) {
  await page.goto(`${baseUrl}/catalog/default/component/demo-service/terminal`);
  const pods = page.getByLabel('Pod', { exact: true });
  await pods.waitFor();
  await pods.selectOption({ label: 'demo-service-7d9f8b6c5-abcde' });
  const containers = page.getByLabel('Container', { exact: true });
  const label = (await containers.locator('option').allInnerTexts()).find(o => o.startsWith(`${container} `));
  await containers.selectOption({ label });
}

export async function screenText(page) {
  return page.locator('[data-testid=terminal] .xterm-rows').innerText();
}

/** Waits until the terminal shows the pattern; `unwrap` first joins rows that a long line wrapped into. */
export async function waitForScreen(page, pattern, timeout = 15_000, { unwrap = false } = {}) {
  const deadline = Date.now() + timeout;
  let text = '';
  while (Date.now() < deadline) {
    text = await screenText(page);
    if (unwrap) text = text.replace(/\n/g, '');
    const match = pattern.exec(text);
    if (match) return match;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal never showed ${pattern}; screen:\n${text}`);
}

/** Types a line into the terminal key by key, as a person does, then Enter. */
export async function typeLine(page, line) {
  await page.locator('[data-testid=terminal] .xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/**
 * Opens a tab of the entity page and checks that the page shows it as the selected one: the new
 * frontend system draws tabs as links (`aria-current="page"`), the legacy one as tabs (`aria-selected`).
 */
export async function openTab(page, name) {
  const tab = page.getByRole('tab', { name, exact: true });
  const link = page.getByRole('link', { name, exact: true });
  await tab.or(link).first().waitFor();
  await ((await tab.count()) ? tab : link).first().click();
  await page.waitForFunction(
    tabName =>
      [...document.querySelectorAll('[role=tab], a')].some(
        t =>
          t.textContent.trim() === tabName &&
          (t.getAttribute('aria-selected') === 'true' || t.getAttribute('aria-current') === 'page'),
      ),
    name,
    { timeout: 10_000 },
  );
}

/**
 * What the page logged as an error or warning, and its uncaught errors. `assertClean` fails the
 * test on any of them but the ones Backstage's own app logs (named below) and those the test
 * expects (`allow`). The app is a production build: React's development warnings are caught by the
 * frontend's unit tests, which fail on them; here runtime errors, failed requests and library
 * warnings are.
 */
const APP_MESSAGES = [
  // @backstage/plugin-app registers its default icons the deprecated way.
  /The following icons were registered as IconComponent, which is deprecated/,
];

export function watchPage(page) {
  const problems = [];
  page.on('console', message => {
    if (message.type() === 'error' || message.type() === 'warning') {
      const where = message.location()?.url ? ` (${message.location().url})` : '';
      problems.push(`console.${message.type()}: ${message.text()}${where}`);
    }
  });
  page.on('pageerror', error => problems.push(`page error: ${error.message}`));
  return {
    problems,
    assertClean(allow = []) {
      const left = problems.filter(p => ![...APP_MESSAGES, ...allow].some(pattern => pattern.test(p)));
      assert.deepEqual(left, [], `the page logged:\n${left.join('\n')}`);
    },
  };
}
