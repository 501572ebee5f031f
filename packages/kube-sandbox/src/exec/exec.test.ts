import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocket } from 'ws';
import {
  api,
  podManifest,
  TEST_SEED,
  waitFor,
} from '../__testUtils__/sandboxTest';
import { SandboxCluster, START_DELAY_ANNOTATION, startSandbox } from '../index';

interface ExecResult {
  frames: Array<{ channel: number; data: Buffer }>;
  stdout: string;
  stderr: string;
  status: any;
  closeCode?: number;
  ws: WebSocket;
}

/** Speaks the exec protocol directly, the way kubectl and client-node do. */
function openExec(
  sandbox: SandboxCluster,
  pod: string,
  params: Record<string, string | string[]>,
  options: {
    protocols?: string[];
    token?: string;
    onOpen?: (ws: WebSocket) => void;
    subresource?: 'exec' | 'attach';
  } = {},
): Promise<ExecResult> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    for (const item of [v].flat()) query.append(k, item);
  const ws = new WebSocket(
    `${sandbox.url.replace('http', 'ws')}/api/v1/namespaces/demo/pods/${pod}/${
      options.subresource ?? 'exec'
    }?${query}`,
    options.protocols ?? ['v5.channel.k8s.io'],
    {
      headers: {
        Authorization: `Bearer ${options.token ?? sandbox.adminToken}`,
      },
    },
  );
  const result: ExecResult = {
    frames: [],
    stdout: '',
    stderr: '',
    status: undefined,
    ws,
  };
  return new Promise((resolve, reject) => {
    ws.on('open', () => options.onOpen?.(ws));
    ws.on('message', (data: Buffer) => {
      const frame = { channel: data[0], data: data.subarray(1) };
      result.frames.push(frame);
      if (frame.channel === 1) result.stdout += frame.data.toString();
      if (frame.channel === 2) result.stderr += frame.data.toString();
      if (frame.channel === 3 && frame.data.length)
        result.status = JSON.parse(frame.data.toString());
    });
    ws.on('close', code => {
      result.closeCode = code;
      resolve(result);
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            statusCode: res.statusCode,
            body: JSON.parse(body),
          }),
        ),
      );
    });
    ws.on('error', reject);
  });
}

const send = (ws: WebSocket, channel: number, data: string | Buffer) =>
  ws.send(
    Buffer.concat([
      Buffer.from([channel]),
      Buffer.isBuffer(data) ? data : Buffer.from(data),
    ]),
  );

describe('pods/exec over WebSocket', () => {
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: TEST_SEED });
  });
  afterAll(() => sandbox.close());

  it('runs a command on pipes: empty opening frame, stdout and stderr apart, exit status on channel 3', async () => {
    const r = await openExec(sandbox, 'shell', {
      command: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      stdout: 'true',
      stderr: 'true',
      container: 'main',
    });
    expect(r.frames[0]).toEqual({ channel: 1, data: Buffer.alloc(0) });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.status).toEqual({
      metadata: {},
      status: 'Failure',
      message:
        'command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(r.closeCode).toBe(1000);
  });

  it('speaks v4 too and reports success', async () => {
    const r = await openExec(
      sandbox,
      'shell',
      { command: ['echo', 'v4'], stdout: 'true' },
      { protocols: ['v4.channel.k8s.io'] },
    );
    expect(r.ws.protocol).toBe('v4.channel.k8s.io');
    expect(r.status).toEqual({ metadata: {}, status: 'Success' });
  });

  describe('attach to an ephemeral container', () => {
    async function addEphemeral(container: object) {
      const res = await api(
        sandbox,
        'PATCH',
        '/api/v1/namespaces/demo/pods/shell/ephemeralcontainers',
        {
          body: { spec: { ephemeralContainers: [container] } },
          headers: {
            'Content-Type': 'application/strategic-merge-patch+json',
          },
        },
      );
      expect(res.status).toBe(200);
      const name = (container as { name: string }).name;
      await waitFor(async () => {
        const pod = await api(
          sandbox,
          'GET',
          '/api/v1/namespaces/demo/pods/shell',
        );
        return pod.body.status.ephemeralContainerStatuses?.some(
          (s: any) => s.name === name && s.state.running,
        );
      }, 10000);
    }

    it('joins its main process on pipes over v4, stdin to stdout, with its exit status', async () => {
      await addEphemeral({
        name: 'reader-v4',
        image: 'busybox',
        stdin: true,
        command: ['sh', '-c', 'read line; echo got-$line'],
      });
      const r = await openExec(
        sandbox,
        'shell',
        { container: 'reader-v4', stdin: 'true', stdout: 'true' },
        {
          subresource: 'attach',
          protocols: ['v4.channel.k8s.io'],
          onOpen: ws => send(ws, 0, 'hi\n'),
        },
      );
      expect(r.ws.protocol).toBe('v4.channel.k8s.io');
      expect(r.stdout).toBe('got-hi\n');
      expect(r.status).toEqual({ metadata: {}, status: 'Success' });
      expect(r.closeCode).toBe(1000);
    });

    it('joins its terminal, which follows resizes; leaving does not end it', async () => {
      await addEphemeral({
        name: 'shell-tty',
        image: 'busybox',
        stdin: true,
        tty: true,
      });
      const params = {
        container: 'shell-tty',
        stdin: 'true',
        stdout: 'true',
        tty: 'true',
      };
      // The first client asks the size, then leaves with the shell still running.
      const first = await openExec(sandbox, 'shell', params, {
        subresource: 'attach',
        onOpen: ws => {
          send(ws, 4, JSON.stringify({ Width: 120, Height: 50 }));
          send(ws, 0, 'stty size\r');
          setTimeout(() => ws.close(), 500);
        },
      });
      expect(first.stdout).toMatch(/^50 120\r?$/m);
      expect(first.status).toBeUndefined();
      // The second one finds it and ends it.
      const second = await openExec(sandbox, 'shell', params, {
        subresource: 'attach',
        onOpen: ws => send(ws, 0, 'echo again-$((2*3)); exit 4\r'),
      });
      expect(second.stdout).toMatch(/^again-6\r?$/m);
      expect(second.status).toMatchObject({
        status: 'Failure',
        reason: 'NonZeroExitCode',
      });
    });
  });

  it('feeds stdin and ends it on the v5 close frame', async () => {
    const r = await openExec(
      sandbox,
      'shell',
      { command: 'cat', stdin: 'true', stdout: 'true' },
      {
        onOpen: ws => {
          send(ws, 0, 'hello ');
          send(ws, 0, 'world\n');
          ws.send(Buffer.from([255, 0]));
        },
      },
    );
    expect(r.stdout).toBe('hello world\n');
    expect(r.status.status).toBe('Success');
  });

  it('runs on a PTY that follows resize messages', async () => {
    const r = await openExec(
      sandbox,
      'shell',
      {
        command: 'bash',
        stdin: 'true',
        stdout: 'true',
        stderr: 'true',
        tty: 'true',
      },
      {
        onOpen: ws => {
          send(ws, 4, JSON.stringify({ Width: 120, Height: 40 }));
          send(ws, 0, 'stty size; echo "T=$TERM H=$HOSTNAME"\r');
          setTimeout(() => {
            // client-node sends lower-case keys; Go's decoder (and ours) ignores the case.
            send(ws, 4, JSON.stringify({ width: 90, height: 20 }));
            send(ws, 0, 'stty size; exit 4\r');
          }, 300);
        },
      },
    );
    expect(r.stdout).toContain('40 120');
    expect(r.stdout).toContain('20 90');
    expect(r.stdout).toContain('T=xterm-256color H=shell');
    expect(r.frames.some(f => f.channel === 2)).toBe(false);
    expect(r.status.details.causes[0].message).toBe('4');
  });

  it('fails like a container runtime when the binary is not in the image', async () => {
    const r = await openExec(sandbox, 'shell', {
      command: 'bash',
      container: 'minimal',
      stdout: 'true',
      stdin: 'true',
    });
    expect(r.status).toMatchObject({
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
    });
    expect(r.status.message).toMatch(
      /^Internal error occurred: error executing command in container: failed to exec in container: .*exec: "bash": executable file not found in \$PATH: unknown$/,
    );
    const abs = await openExec(sandbox, 'shell', {
      command: '/bin/sh',
      container: 'minimal',
      stdout: 'true',
    });
    expect(abs.status.status).toBe('Success');
  });

  it('keeps a container to its own tools and environment', async () => {
    const r = await openExec(sandbox, 'shell', {
      command: [
        'sh',
        '-c',
        'ls; echo "PATH=$PATH"; command -v bash || echo no-bash',
      ],
      container: 'minimal',
      stdout: 'true',
    });
    expect(r.stdout).toContain('no-bash');
    expect(r.stdout).toMatch(/PATH=.*\/bin\/minimal\n/);
    const home = await openExec(sandbox, 'shell', {
      command: ['sh', '-c', 'test "$PWD" = "$HOME" && echo same'],
      stdout: 'true',
    });
    expect(home.stdout).toBe('same\n');
  });

  it('materialises secret, configMap and emptyDir volumes and points env paths into them', async () => {
    sandbox.apply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vol-secret', namespace: 'demo' },
        data: { config: Buffer.from('first').toString('base64') },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'vol-cm', namespace: 'demo' },
        data: { 'ca.crt': 'CA' },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'with-volumes',
          namespace: 'demo',
          annotations: { [START_DELAY_ANNOTATION]: '0' },
        },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'main',
              image: 'example/shell:1',
              env: [
                { name: 'CONF', value: '/etc/app/config' },
                { name: 'CA', value: '/etc/ca/ca.crt' },
                { name: 'SCRATCH', value: '/scratch' },
                { name: 'OTHER', value: '/etc/application' },
              ],
              volumeMounts: [
                { name: 'conf', mountPath: '/etc/app', readOnly: true },
                { name: 'ca', mountPath: '/etc/ca' },
                { name: 'scratch', mountPath: '/scratch' },
              ],
            },
          ],
          volumes: [
            {
              name: 'conf',
              secret: { secretName: 'vol-secret', defaultMode: 0o440 },
            },
            {
              name: 'ca',
              projected: { sources: [{ configMap: { name: 'vol-cm' } }] },
            },
            { name: 'scratch', emptyDir: {} },
          ],
        },
      },
    ]);
    await waitFor(
      () =>
        sandbox.get('v1', 'Pod', 'with-volumes', 'demo')?.status?.phase ===
        'Running',
    );
    const read = () =>
      openExec(sandbox, 'with-volumes', {
        command: [
          'sh',
          '-c',
          'cat "$CONF"; echo; cat "$CA"; echo; test -d "$SCRATCH" && echo scratch; echo "$OTHER"; test -e "$HOME/.kube/config" || echo no-token',
        ],
        stdout: 'true',
      });
    expect((await read()).stdout).toBe(
      'first\nCA\nscratch\n/etc/application\nno-token\n',
    );
    sandbox.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'vol-secret', namespace: 'demo' },
      data: { config: Buffer.from('second').toString('base64') },
    });
    const pod = sandbox.get('v1', 'Pod', 'with-volumes', 'demo')!;
    const dir = path.join(
      sandbox.stateDir,
      'pods',
      `demo_with-volumes_${pod.metadata.uid!.slice(0, 8)}`,
      'volumes',
      'conf',
      'config',
    );
    // Written when the Secret changes, not only at the next exec.
    expect(fs.readFileSync(dir, 'utf8')).toBe('second');
    expect((await read()).stdout).toMatch(/^second\n/);
  });

  describe('refuses bad upgrades with a Status', () => {
    const cases: Array<
      [
        string,
        string,
        Record<string, string | string[]>,
        { protocols?: string[]; token?: string },
        number,
        string | RegExp,
      ]
    > = [
      [
        'an unknown container',
        'shell',
        { command: 'sh', container: 'nope', stdout: 'true' },
        {},
        400,
        'container nope is not valid for pod shell',
      ],
      [
        'a missing pod',
        'ghost',
        { command: 'sh', stdout: 'true' },
        {},
        404,
        'pods "ghost" not found',
      ],
      [
        'no command',
        'shell',
        { stdout: 'true' },
        {},
        400,
        'you must specify at least 1 command',
      ],
      [
        'a viewer',
        'shell',
        { command: 'sh', stdout: 'true' },
        { token: 'bob-token' },
        403,
        'pods "shell" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "demo"',
      ],
      [
        'a bad token',
        'shell',
        { command: 'sh', stdout: 'true' },
        { token: 'nope' },
        401,
        'Unauthorized',
      ],
      [
        'an old protocol',
        'shell',
        { command: 'sh', stdout: 'true' },
        { protocols: ['channel.k8s.io'] },
        400,
        /requested protocol\(s\) are not supported/,
      ],
    ];
    it.each(cases)('%s', async (_what, pod, params, options, code, message) => {
      const error: any = await openExec(sandbox, pod, params, options).catch(
        e => e,
      );
      expect(error.statusCode).toBe(code);
      expect(error.body).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        code,
      });
      expect(error.body.message).toEqual(
        expect.stringMatching(
          typeof message === 'string' ? `^${escapeRegExp(message)}$` : message,
        ),
      );
    });

    it('a SPDY upgrade', async () => {
      const res = await new Promise<{ status: number; body: string }>(
        (resolve, reject) => {
          const req = http.request(
            `${sandbox.url}/api/v1/namespaces/demo/pods/shell/exec?command=sh&stdout=true`,
            {
              method: 'POST',
              headers: {
                Authorization: `Bearer ${sandbox.adminToken}`,
                Connection: 'Upgrade',
                Upgrade: 'SPDY/3.1',
              },
            },
          );
          req.on('response', r => {
            let body = '';
            r.on('data', c => (body += c));
            r.on('end', () => resolve({ status: r.statusCode!, body }));
          });
          req.on('upgrade', () => reject(new Error('upgraded')));
          req.on('error', reject);
          req.end();
        },
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).message).toContain('WebSocket only');
    });

    it('a pod that is not running', async () => {
      await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
        body: podManifest('waiting', {
          annotations: { [START_DELAY_ANNOTATION]: '600000' },
        }),
      });
      const error: any = await openExec(sandbox, 'waiting', {
        command: 'sh',
        stdout: 'true',
      }).catch(e => e);
      expect(error.statusCode).toBe(400);
      expect(error.body.message).toBe('container not found ("main")');
    });
  });

  it('kills the processes of a deleted pod and closes its sessions', async () => {
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      body: podManifest('victim', {
        annotations: { [START_DELAY_ANNOTATION]: '0' },
      }),
    });
    await waitFor(
      async () =>
        (
          await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/victim')
        ).body.status.phase === 'Running',
      10000,
      'Running',
    );
    const before = sandbox.processCount();
    const session = openExec(sandbox, 'victim', {
      command: ['sh', '-c', 'sleep 60 & wait'],
      stdout: 'true',
    });
    await waitFor(
      () => sandbox.processCount() > before,
      10000,
      'process start',
    );
    await api(sandbox, 'DELETE', '/api/v1/namespaces/demo/pods/victim');
    const r = await session;
    expect(r.status.reason).toBe('NonZeroExitCode');
    expect(r.status.details.causes[0].message).toBe('129');
    expect(sandbox.processCount()).toBe(before);
  });

  it('hangs up the process when the client disconnects', async () => {
    const before = sandbox.processCount();
    let socket: WebSocket | undefined;
    const session = openExec(
      sandbox,
      'shell',
      { command: ['sleep', '60'], stdout: 'true' },
      { onOpen: ws => (socket = ws) },
    ).catch(() => undefined);
    await waitFor(
      () => socket && sandbox.processCount() > before,
      10000,
      'process start',
    );
    socket!.terminate();
    await session;
    await waitFor(
      () => sandbox.processCount() === before,
      10000,
      'process end',
    );
    expect(sandbox.processCount()).toBe(before);
  });
});

describe('closing the sandbox', () => {
  it('kills running exec processes and closes their sockets', async () => {
    const own = await startSandbox({ seed: TEST_SEED });
    let pid = 0;
    const session = openExec(
      own,
      'shell',
      { command: ['sh', '-c', 'echo $$; exec sleep 60'], stdout: 'true' },
      {
        onOpen: ws =>
          ws.on('message', (d: Buffer) => {
            if (d[0] === 1 && d.length > 1)
              pid = Number(d.subarray(1).toString().trim());
          }),
      },
    );
    await waitFor(() => pid > 0, 10000, 'the pid');
    await own.close();
    const r = await session;
    expect(r.closeCode).not.toBe(1000);
    await waitFor(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      10000,
      'the process to die',
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
