import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pty from '@lydell/node-pty';
import {
  DEMO_POD,
  DEMO_POD_2,
  EXAMPLE_SEED,
  findKubectl,
  waitFor,
} from './__testUtils__/sandboxTest';
import { SandboxCluster, startSandbox } from './index';

/*
 * Conformance with the real kubectl: discovery, tables, RBAC answers and exec over WebSocket,
 * against the demo portal's seed.
 */

const kubectl = findKubectl();
if (!kubectl) {
  console.warn(
    'kube-sandbox: `kubectl` is not on PATH, so the kubectl conformance tests are SKIPPED',
  );
}
const describeWithKubectl = kubectl ? describe : describe.skip;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describeWithKubectl('kubectl against the sandbox', () => {
  let sandbox: SandboxCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const run = (
    args: string[],
    options: { user?: string; input?: string } = {},
  ): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(kubectl!, ['--request-timeout=20s', ...args], {
        env: {
          ...env,
          KUBECONFIG: path.join(dir, `${options.user ?? 'admin'}.kubeconfig`),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', d => (stdout += d));
      child.stderr.on('data', d => (stderr += d));
      child.on('error', reject);
      child.on('close', code => resolve({ code, stdout, stderr }));
      child.stdin.end(options.input);
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sandbox-kubectl-'));
    // kubectl keeps a discovery cache under HOME; keep it out of the real one.
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true',
    };
    sandbox = await startSandbox({ seed: EXAMPLE_SEED, startDelayMs: 100 });
    for (const user of ['admin', 'developer', 'portal']) {
      sandbox.writeKubeconfig(path.join(dir, `${user}.kubeconfig`), user);
    }
    const version = execFileSync(
      kubectl!,
      ['version', '--client', '-o', 'json'],
      { env, encoding: 'utf8' },
    );
    console.info(
      `kube-sandbox: kubectl ${JSON.parse(version).clientVersion.gitVersion}`,
    );
  });

  afterAll(async () => {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('discovers the API and reports the server version', async () => {
    const r = await run(['version', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).serverVersion.gitVersion).toBe(
      'v1.32.0-sandbox',
    );
    const resources = await run([
      'api-resources',
      '--no-headers',
      '-o',
      'name',
    ]);
    expect(resources.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'pods',
        'namespaces',
        'roles.rbac.authorization.k8s.io',
        'networkpolicies.networking.k8s.io',
      ]),
    );
  });

  it('shows the node, the demo workload and pod metrics', async () => {
    const nodes = await run(['get', 'nodes', '--no-headers']);
    expect(nodes.stdout).toMatch(
      /^sandbox-node\s+Ready\s+control-plane\s+\S+\s+v1\.32\.0-sandbox\n$/,
    );
    const all = await run(['get', 'deploy,rs,svc', '-n', 'demo', '-o', 'name']);
    expect(all.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'deployment.apps/demo-service',
        'replicaset.apps/demo-service-7d9f8b6c5',
        'service/demo-service',
      ]),
    );
    const top = await run(['top', 'pod', '-n', 'demo', '--no-headers']);
    expect(top.stdout).toMatch(
      new RegExp(`^${DEMO_POD}\\s+\\d+m\\s+\\d+Mi`, 'm'),
    );
  });

  it('gets namespaces as a table', async () => {
    const r = await run(['get', 'ns']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
    expect(lines.map(l => l.split(/\s+/)[0])).toEqual(
      expect.arrayContaining(['default', 'demo', 'other', 'kube-system']),
    );
  });

  it('gets the demo service pods by the Backstage label', async () => {
    const r = await run([
      'get',
      'pods',
      '-l',
      'backstage.io/kubernetes-id=demo-service',
      '-n',
      'demo',
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map(l => l.split(/\s+/).slice(0, 4))).toEqual([
      [DEMO_POD, '2/2', 'Running', '0'],
      [DEMO_POD_2, '2/2', 'Running', '0'],
    ]);
    const json = JSON.parse(
      (await run(['get', 'pods', '-n', 'demo', '-o', 'json'])).stdout,
    );
    expect(json.items.map((p: any) => p.metadata.name)).toEqual([
      DEMO_POD,
      DEMO_POD_2,
    ]);
    const yaml = await run([
      'get',
      'pod',
      DEMO_POD_2,
      '-n',
      'demo',
      '-o',
      'yaml',
    ]);
    expect(yaml.stdout).toContain('backstage.io/kubernetes-id: demo-service');
  });

  it('answers auth can-i with yes and no', async () => {
    const admin = await run([
      'auth',
      'can-i',
      'create',
      'pods',
      '--subresource=exec',
      '-n',
      'demo',
    ]);
    expect([admin.code, admin.stdout.trim()]).toEqual([0, 'yes']);
    const devYes = await run(['auth', 'can-i', 'list', 'pods', '-n', 'demo'], {
      user: 'developer',
    });
    expect([devYes.code, devYes.stdout.trim()]).toEqual([0, 'yes']);
    const devNo = await run(['auth', 'can-i', 'list', 'pods', '-n', 'other'], {
      user: 'developer',
    });
    expect([devNo.code, devNo.stdout.trim()]).toEqual([1, 'no']);
    const devExec = await run(
      ['auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', 'demo'],
      { user: 'developer' },
    );
    expect(devExec.stdout.trim()).toBe('no');
    const who = await run(
      ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'],
      { user: 'portal' },
    );
    expect(who.stdout).toBe('portal');
  });

  it('shows Forbidden to a user outside their namespace', async () => {
    const r = await run(['get', 'pods', '-n', 'other'], { user: 'developer' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "developer" cannot list resource "pods" in API group "" in the namespace "other"',
    );
    const exec = await run(
      ['exec', '-n', 'demo', DEMO_POD_2, '--', 'echo', 'hi'],
      { user: 'developer' },
    );
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain(
      `pods "${DEMO_POD_2}" is forbidden: User "developer" cannot create resource "pods/exec" in API group "" in the namespace "demo"`,
    );
  });

  /** kubectl on a terminal of its own, as a person runs it: what it printed, and its exit code. */
  function onTerminal(args: string[], cols: number, rows: number) {
    const term = pty.spawn(kubectl!, args, {
      cols,
      rows,
      env: {
        ...env,
        KUBECONFIG: path.join(dir, 'admin.kubeconfig'),
      } as Record<string, string>,
    });
    const session = {
      term,
      output: '',
      exited: new Promise<number>(resolve =>
        term.onExit(e => resolve(e.exitCode)),
      ),
    };
    term.onData(d => (session.output += d));
    return session;
  }

  it('exec -it runs on a terminal: echo, resize, exit code', async () => {
    const session = onTerminal(
      ['exec', '-it', '-n', 'demo', DEMO_POD, '-c', 'app', '--', 'bash'],
      100,
      30,
    );
    const { term, exited } = session;
    const expectOutput = (pattern: RegExp) =>
      waitFor(() => pattern.test(session.output), 10000, `output ${pattern}`);

    await expectOutput(new RegExp(`${DEMO_POD}:.*[$#] $`, 'm'));
    term.write('echo hello-$((6*7))\r');
    await expectOutput(/hello-42/);
    term.write('stty size\r');
    await expectOutput(/^30 100\r?$/m);
    term.resize(120, 40);
    // kubectl forwards SIGWINCH asynchronously; ask again until the new size has arrived.
    await waitFor(
      async () => {
        term.write('stty size\r');
        await new Promise(r => setTimeout(r, 250));
        return /^40 120\r?$/m.test(session.output);
      },
      10000,
      'resized terminal',
    );
    term.write('exit 3\r');
    expect(await exited).toBe(3);
  });

  it('exec -it adds no input of its own: a command that reads none shows its output alone', async () => {
    // Once seen as `^@33 111`: that was `script -qc … < /dev/null`, which sends the terminal's EOF
    // character when its own input ends, and kubectl forwarded a NUL byte on stdin (the sandbox logged
    // the frame [0, 0] from kubectl). On a terminal of its own kubectl sends no such byte, and the
    // sandbox, like the API server, gives the process exactly the stdin it gets.
    const session = onTerminal(
      [
        'exec',
        '-it',
        '-n',
        'demo',
        DEMO_POD,
        '-c',
        'app',
        '--',
        'sh',
        '-c',
        'stty size',
      ],
      111,
      33,
    );
    const code = await session.exited;
    expect(code).toBe(0);
    expect(session.output).toBe('33 111\r\n');
  });

  /** Whether an ephemeral container of the second demo pod is running now. */
  const ephemeralRunning = async (name: string) =>
    JSON.parse(
      (await run(['get', 'pod', '-n', 'demo', DEMO_POD_2, '-o', 'json']))
        .stdout,
    ).status.ephemeralContainerStatuses?.some(
      (s: any) => s.name === name && s.state.running,
    );

  it('debug -it adds an ephemeral container beside its target, with a shell on a terminal', async () => {
    const session = onTerminal(
      [
        'debug',
        '-it',
        '-n',
        'demo',
        DEMO_POD_2,
        '--image=busybox:1.36',
        '--target=app',
        '--profile=general',
        '-c',
        'debugger',
        '--',
        'sh',
      ],
      100,
      30,
    );
    const { term, exited } = session;
    const expectOutput = (pattern: RegExp) =>
      waitFor(() => pattern.test(session.output), 15000, `output ${pattern}`);
    await expectOutput(/If you don't see a command prompt/);
    term.write('echo hi-$((40+2))\r');
    await expectOutput(/^hi-42\r?$/m);
    // The target's files: all containers of a sandbox pod share its directory.
    term.write('cat .bashrc\r');
    await expectOutput(new RegExp(`PS1='${DEMO_POD_2}`));
    term.write('exit\r');
    expect(await exited).toBe(0);
    expect(session.output).toMatch(
      /Session ended, the ephemeral container will not be restarted/,
    );

    const pod = JSON.parse(
      (await run(['get', 'pod', '-n', 'demo', DEMO_POD_2, '-o', 'json']))
        .stdout,
    );
    expect(pod.spec.ephemeralContainers).toEqual([
      expect.objectContaining({
        name: 'debugger',
        image: 'busybox:1.36',
        targetContainerName: 'app',
        stdin: true,
        tty: true,
        securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
      }),
    ]);
    await waitFor(
      async () =>
        JSON.parse(
          (
            await run(['get', 'pod', '-n', 'demo', DEMO_POD_2, '-o', 'json'])
          ).stdout,
        ).status.ephemeralContainerStatuses?.[0]?.state?.terminated?.reason ===
        'Completed',
      10000,
      'the debug container terminated',
    );
  });

  it('attach joins an ephemeral container started without attaching, and debug refuses to change it', async () => {
    const started = await run([
      'debug',
      '-n',
      'demo',
      DEMO_POD_2,
      '--image=busybox:1.36',
      '-c',
      'reader',
      '-i',
      '--attach=false',
      '--',
      'sh',
      '-c',
      'read line; echo got-$line',
    ]);
    expect(started.code).toBe(0);
    await waitFor(
      () => ephemeralRunning('reader'),
      10000,
      'the reader running',
    );
    const attached = await run(
      ['attach', '-n', 'demo', DEMO_POD_2, '-c', 'reader', '-i'],
      { input: 'hello\n' },
    );
    expect(attached.stdout).toContain('got-hello');
    expect(attached.code).toBe(0);

    const again = await run([
      'debug',
      '-n',
      'demo',
      DEMO_POD_2,
      '--image=busybox:1.37',
      '-c',
      'reader',
      '--attach=false',
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(
      `The Pod "${DEMO_POD_2}" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "reader" may not be changed`,
    );
    // attach -it joins a debug container's terminal: its shell answers, and leaving keeps it.
    const shell = await run([
      'debug',
      '-n',
      'demo',
      DEMO_POD_2,
      '--image=busybox:1.36',
      '-c',
      'shell',
      '-i',
      '-t',
      '--attach=false',
      '--',
      'sh',
    ]);
    expect(shell.code).toBe(0);
    await waitFor(() => ephemeralRunning('shell'), 10000, 'the shell running');
    const session = onTerminal(
      ['attach', '-it', '-n', 'demo', DEMO_POD_2, '-c', 'shell'],
      90,
      20,
    );
    const { term, exited } = session;
    await waitFor(
      () => /If you don't see a command prompt/.test(session.output),
      10000,
      'attached',
    );
    term.write('stty size; echo att-$((3*3))\r');
    await waitFor(
      () => /^att-9\r?$/m.test(session.output),
      10000,
      'the shell answer',
    );
    expect(session.output).toMatch(/^20 90\r?$/m);
    term.write('exit\r');
    expect(await exited).toBe(0);

    // A regular container has no main process in the sandbox: said, not hung.
    const regular = await run([
      'attach',
      '-n',
      'demo',
      DEMO_POD_2,
      '-c',
      'app',
    ]);
    expect(regular.code).not.toBe(0);
    expect(regular.stderr).toContain(
      'the sandbox runs no main process in container app',
    );
  });

  it('exec without a terminal passes exit codes, stdout and stdin', async () => {
    const failing = await run([
      'exec',
      '-n',
      'demo',
      DEMO_POD_2,
      '--',
      'sh',
      '-c',
      'echo partial; exit 7',
    ]);
    expect(failing.code).toBe(7);
    expect(failing.stdout).toBe('partial\n');
    expect(failing.stderr).toContain('command terminated with exit code 7');
    const piped = await run(
      ['exec', '-i', '-n', 'demo', DEMO_POD_2, '--', 'cat'],
      { input: 'hi\n' },
    );
    expect([piped.code, piped.stdout]).toEqual([0, 'hi\n']);
  });

  it('reports a shell that is not in the container', async () => {
    const r = await run([
      'exec',
      '-n',
      'demo',
      DEMO_POD,
      '-c',
      'sidecar',
      '--',
      'bash',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'exec: "bash": executable file not found in $PATH',
    );
    const sh = await run([
      'exec',
      '-n',
      'demo',
      DEMO_POD,
      '-c',
      'sidecar',
      '--',
      'sh',
      '-c',
      'echo sidecar-sh',
    ]);
    expect([sh.code, sh.stdout]).toEqual([0, 'sidecar-sh\n']);
  });

  it('runs, waits for and deletes a pod', async () => {
    expect(
      (await run(['run', 'scratch', '--image=kubectl-shell', '-n', 'demo']))
        .stdout,
    ).toBe('pod/scratch created\n');
    const wait = await run([
      'wait',
      '--for=condition=Ready',
      'pod/scratch',
      '-n',
      'demo',
      '--timeout=10s',
    ]);
    expect(wait.stdout).toBe('pod/scratch condition met\n');
    // The pod's own kubectl talks to the sandbox with the pod's service-account token.
    const inside = await run([
      'exec',
      '-n',
      'demo',
      'scratch',
      '--',
      'kubectl',
      'get',
      'pods',
      '-n',
      'demo',
    ]);
    expect(inside.stderr).toContain(
      'User "system:serviceaccount:demo:default" cannot list resource "pods"',
    );
    const del = await run(['delete', 'pod', 'scratch', '-n', 'demo']);
    expect([del.code, del.stdout]).toEqual([0, 'pod "scratch" deleted\n']);
  });

  it('applies manifests (server-side field validation, no --validate=false needed)', async () => {
    const manifest = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: applied',
      '  namespace: demo',
      'data:',
      '  key: one',
      '---',
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: deny-ingress',
      '  namespace: demo',
      'spec:',
      '  podSelector: {}',
      '  policyTypes: [Ingress]',
      '',
    ].join('\n');
    const first = await run(['apply', '-f', '-'], { input: manifest });
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      'configmap/applied created\nnetworkpolicy.networking.k8s.io/deny-ingress created\n',
    );
    const second = await run(['apply', '-f', '-'], {
      input: manifest.replace('key: one', 'key: two'),
    });
    expect(second.stdout).toBe(
      'configmap/applied configured\nnetworkpolicy.networking.k8s.io/deny-ingress unchanged\n',
    );
    expect(
      (
        await run([
          'get',
          'configmap',
          'applied',
          '-n',
          'demo',
          '-o',
          'jsonpath={.data.key}',
        ])
      ).stdout,
    ).toBe('two');
  });

  it('creates service-account tokens that kubectl can use', async () => {
    const token = (
      await run(['create', 'token', 'default', '-n', 'demo', '--duration=10m'])
    ).stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const who = await run(
      [
        '--token',
        token,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ],
      { user: 'developer' },
    );
    expect(who.stdout).toBe('system:serviceaccount:demo:default');
  });
});
