// What the browser tests share: their processes (started in their own process groups, logged to
// .cache/test-results/e2e-<name>.log, stopped together) and the terminal on the page.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logDir = path.join(ROOT, '.cache', 'test-results');

export class Processes {
  children = [];

  start(name, command, args, options = {}) {
    fs.mkdirSync(logDir, { recursive: true });
    const log = fs.openSync(path.join(logDir, `e2e-${name}.log`), 'w');
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      detached: true,
      ...options,
    });
    this.children.push(child);
    return child;
  }

  /** SIGTERM to every process group; one that does not stop within 20 s is killed, and that is said. */
  async stopAll() {
    const { children } = this;
    const exited = children.map(
      child =>
        new Promise(resolve => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', resolve);
        }),
    );
    const signal = sig => {
      for (const child of children) {
        try {
          process.kill(-child.pid, sig);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    let timer;
    const late = new Promise(resolve => {
      timer = setTimeout(resolve, 20_000, 'timeout');
    });
    const outcome = await Promise.race([Promise.all(exited), late]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      console.error('e2e: a process did not stop within 20 s of SIGTERM; killing it');
      signal('SIGKILL');
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
