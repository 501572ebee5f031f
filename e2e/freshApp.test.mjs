// Install test: the plugins packed as they would be published, installed into an app made from
// Backstage's own template (@backstage/create-app) by exactly the install steps their READMEs give
// (e2e/install/readmeSteps.mjs), then type-checked, built, started and driven in Chromium: the Terminal
// tab opens a shell, and the command typed there is in the audit log. Run by scripts/test.sh.
//
// Besides the README steps it only does what stands for "published" and for "this machine": the
// package names resolve to the packed tarballs, the app's Backstage packages are held at the versions
// of the release create-app makes (its caret ranges now also admit packages of later releases), and an
// app-config.local.yaml points the app at a sandbox cluster with one annotated entity.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browser.mjs';
import { Processes, openTab, waitForHttp } from './harness.mjs';
import { applyInsert, readInstallSteps } from './install/readmeSteps.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The create-app of the Backstage release in backstage.json. */
const CREATE_APP_VERSION = '0.9.2';
const RELEASE = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'backstage.json'), 'utf8'),
).version;
const PORT = 7037;
const SANDBOX_PORT = 7040;
const BASE_URL = `http://localhost:${PORT}`;
const logDir = path.join(ROOT, '.cache', 'test-results');
const PLUGINS = [
  {
    dir: 'kubernetes-terminal-common',
    name: '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common',
  },
  // The backend's tunnel to private clusters shares its transport with the agent.
  {
    dir: 'kubernetes-terminal-agent',
    name: '@kubernetes-terminal/kubernetes-terminal-agent',
  },
  {
    dir: 'kubernetes-terminal-backend',
    name: '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-backend',
  },
  {
    dir: 'kubernetes-terminal',
    name: '@kubernetes-terminal/backstage-plugin-kubernetes-terminal',
  },
];
/** The READMEs whose install steps are applied, in the order a platform team would follow them. */
const READMES = [
  'plugins/kubernetes-terminal-backend/README.md',
  'plugins/kubernetes-terminal/README.md',
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-fresh-app-'));
const appDir = path.join(work, 'app');
const processes = new Processes();
const timings = [];
let browser;

/** Runs a step to its end; its output goes to a log, whose tail is in the error if it fails. */
function run(name, command, args, { cwd = ROOT, input } = {}) {
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `install-${name}.log`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, CI: 'true' },
  });
  fs.writeFileSync(
    logFile,
    `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${
      result.stderr ?? ''
    }`,
  );
  timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`
      .split('\n')
      .slice(-30)
      .join('\n');
    throw new Error(
      `${name} failed (${
        result.error?.message ?? `exit ${result.status}`
      }); ${logFile}:\n${tail}`,
    );
  }
  return result.stdout;
}

function start(name, command, args, cwd) {
  return processes.start(name, command, args, { cwd, logName: `install-${name}` });
}

after(async () => {
  await browser?.close();
  await processes.stopAll();
  console.log(`install test: ${timings.join(', ')}`);
  fs.rmSync(work, { recursive: true, force: true });
});

test(`the packed plugins install into a fresh app of Backstage ${RELEASE} by their READMEs, and work there`, async () => {
  // The packages, as `yarn pack` would publish them.
  const packs = {};
  run('tsc', 'yarn', ['tsc']);
  for (const plugin of PLUGINS) {
    run(`build-${plugin.dir}`, 'yarn', ['workspace', plugin.name, 'build']);
    const tarball = path.join(work, `${plugin.dir}.tgz`);
    run(`pack-${plugin.dir}`, 'yarn', [
      'workspace',
      plugin.name,
      'pack',
      '--out',
      tarball,
    ]);
    const files = run(`list-${plugin.dir}`, 'tar', ['tzf', tarball]).split(
      '\n',
    );
    assert.ok(
      files.some(f => /^package\/dist\/index\.(cjs|esm)\.js$/.test(f)),
      `${plugin.name} packs its dist`,
    );
    assert.ok(
      files.includes('package/dist/index.d.ts'),
      `${plugin.name} packs its types`,
    );
    if (plugin.dir.endsWith('-backend')) {
      assert.ok(
        files.some(f => f.startsWith('package/migrations/')),
        'the backend packs its migrations',
      );
      assert.ok(
        files.includes('package/config.schema.json'),
        'the backend packs its config schema',
      );
      assert.ok(
        files.includes('package/manifests/rbac.yaml'),
        'the backend packs its RBAC manifest',
      );
    }
    packs[plugin.name] = tarball;
  }

  // A fresh app from the official template; it asks for the app's name on stdin.
  const createApp = path.join(work, 'create-app');
  run('fetch-create-app', 'npm', [
    'install',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--prefix',
    createApp,
    `@backstage/create-app@${CREATE_APP_VERSION}`,
  ]);
  const createAppDir = path.join(
    createApp,
    'node_modules',
    '@backstage',
    'create-app',
  );
  run(
    'create-app',
    process.execPath,
    [
      path.join(createAppDir, 'bin', 'backstage-create-app'),
      '--skip-install',
      '--path',
      appDir,
    ],
    {
      cwd: work,
      input: 'fresh-app\n',
    },
  );
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(appDir, 'backstage.json'), 'utf8'))
      .version,
    RELEASE,
  );

  // "Published": our names resolve to the tarballs. "The release": Backstage packages at the versions
  // create-app was made with.
  const { packageVersions } = await import(
    path.join(createAppDir, 'dist', 'lib', 'versions.cjs.js')
  );
  const rootManifest = path.join(appDir, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(rootManifest, 'utf8'));
  manifest.resolutions = {
    ...manifest.resolutions,
    ...Object.fromEntries(
      Object.entries(packageVersions).filter(([name]) =>
        name.startsWith('@backstage/'),
      ),
    ),
    ...Object.fromEntries(
      Object.entries(packs).map(([name, tarball]) => [name, `file:${tarball}`]),
    ),
  };
  fs.writeFileSync(rootManifest, `${JSON.stringify(manifest, null, 2)}\n`);

  // Exactly the README steps.
  for (const readme of READMES) {
    const steps = readInstallSteps(path.join(ROOT, readme));
    assert.ok(steps.length > 0, `${readme} gives install steps`);
    for (const [index, step] of steps.entries()) {
      if (step.kind === 'insert') {
        applyInsert(appDir, step);
        continue;
      }
      // `yarn add <our package>` takes it from the tarball instead of the registry.
      const command = step.command.replace(
        /(@kubernetes-terminal\/[a-z-]+)(?=\s|$)/g,
        name => (packs[name] ? `${name}@file:${packs[name]}` : name),
      );
      run(
        `${path.basename(path.dirname(readme))}-step-${index + 1}`,
        'bash',
        ['-c', command],
        { cwd: appDir },
      );
    }
  }

  // This machine: the sandbox cluster and one entity whose pods are there.
  const entities = path.join(work, 'entities.yaml');
  fs.writeFileSync(
    entities,
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: demo-service
  annotations:
    backstage.io/kubernetes-id: demo-service
spec:
  type: service
  lifecycle: experimental
  owner: guests
`,
  );
  fs.writeFileSync(
    path.join(appDir, 'app-config.local.yaml'),
    `app:
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
        - name: sandbox
          url: http://127.0.0.1:${SANDBOX_PORT}
          authProvider: serviceAccount
          serviceAccountToken: sandbox-portal-token
          skipTLSVerify: true
          skipMetricsLookup: true
catalog:
  locations:
    - type: file
      target: ../../examples/entities.yaml
    - type: file
      target: ../../examples/org.yaml
      rules:
        - allow: [User, Group]
    - type: file
      target: ${entities}
`,
  );

  run('app-tsc', 'yarn', ['tsc'], { cwd: appDir });
  run('app-build', 'yarn', ['build:backend'], { cwd: appDir });

  start(
    'sandbox',
    process.execPath,
    [
      path.join(ROOT, 'packages/kube-sandbox/bin/kube-sandbox'),
      '--port',
      String(SANDBOX_PORT),
      '--seed',
      path.join(ROOT, 'examples/sandbox-seed.yaml'),
      '--state-dir',
      path.join(work, 'sandbox'),
    ],
    ROOT,
  );
  const startedAt = Date.now();
  start('app-backend', 'yarn', ['workspace', 'backend', 'start'], appDir);
  await waitForHttp(`${BASE_URL}/api/kubernetes-terminal/health`, 180_000, s => s === 200);
  await waitForHttp(`${BASE_URL}/`, 60_000, s => s === 200);
  timings.push(`app start ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

  browser = await launchChromium();
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  const word = `installed-${Math.random().toString(36).slice(2, 8)}`;
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Catalog' }).first().waitFor();
  await page.goto(`${BASE_URL}/catalog/default/component/demo-service`);
  await page.getByText('demo-service', { exact: true }).first().waitFor();
  await openTab(page, 'Terminal');
  const pods = page.getByLabel('Pod', { exact: true });
  await pods.waitFor();
  const pod = (await pods.locator('option').allInnerTexts()).find(o =>
    o.startsWith('demo-service-'),
  );
  assert.ok(pod, 'the demo pod is offered');
  await pods.selectOption({ label: pod });
  const containers = page.getByLabel('Container', { exact: true });
  const container = (await containers.locator('option').allInnerTexts()).find(
    o => o.startsWith('app '),
  );
  await containers.selectOption({ label: container });
  await page.getByRole('button', { name: 'Connect' }).click();
  await page
    .getByTestId('terminal-status-state')
    .filter({ hasText: /^Connected \(bash\)$/ })
    .waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=terminal] .xterm-helper-textarea').focus();
  for (const key of `echo ${word}`)
    await page.keyboard.type(key, { delay: 25 });
  await page.keyboard.press('Enter');
  const screen = page.locator('[data-testid=terminal] .xterm-rows');
  const deadline = Date.now() + 15_000;
  while (!new RegExp(`^${word}\\s*$`, 'm').test(await screen.innerText())) {
    assert.ok(
      Date.now() < deadline,
      `the shell answered: ${await screen.innerText()}`,
    );
    await page.waitForTimeout(100);
  }
  await page.screenshot({ path: path.join(logDir, 'install-terminal.png') });

  // The command is in the audit log, read through the app's own sign-in as the browser was.
  const token = await (
    await fetch(`${BASE_URL}/api/auth/guest/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    })
  )
    .json()
    .then(body => body.backstageIdentity.token);
  let commands = [];
  for (let i = 0; i < 50 && !commands.includes(`echo ${word}`); i++) {
    const res = await fetch(
      `${BASE_URL}/api/kubernetes-terminal/audit-events?type=command_executed`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    assert.equal(res.status, 200);
    commands = (await res.json()).items.map(event => event.command);
    await new Promise(r => setTimeout(r, 200));
  }
  assert.ok(
    commands.includes(`echo ${word}`),
    `echo ${word} in the audit log: ${JSON.stringify(commands)}`,
  );
});
