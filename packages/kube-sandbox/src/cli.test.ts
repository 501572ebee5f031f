import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXAMPLE_SEED, waitFor } from './__testUtils__/sandboxTest';

const BIN = path.resolve(__dirname, '../bin/kube-sandbox');

function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', d => (out.stdout += d));
  child.stderr.on('data', d => (out.stderr += d));
  const exited = new Promise<number | null>(resolve =>
    child.on('close', code => resolve(code)),
  );
  return { child, out, exited };
}

describe('bin/kube-sandbox', () => {
  it('starts from the seed, writes a kubeconfig, serves, and stops cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-sandbox-cli-'));
    const kubeconfig = path.join(dir, 'config');
    const cli = startCli([
      '--port',
      '0',
      '--seed',
      EXAMPLE_SEED,
      '--admin-token',
      'cli-admin',
      '--kubeconfig-out',
      kubeconfig,
      '--start-delay-ms',
      '10',
    ]);
    try {
      const url = await Promise.race([
        waitFor(
          () => /listening on (http:\/\/\S+)/.exec(cli.out.stdout)?.[1],
          25000,
          'the CLI to listen',
        ),
        cli.exited.then(code => {
          if (/listening on/.test(cli.out.stdout))
            return new Promise<string>(() => {});
          throw new Error(`the CLI exited early (${code})`);
        }),
      ]).catch(error => {
        throw new Error(
          `${error.message}\nstdout: ${cli.out.stdout}\nstderr: ${cli.out.stderr}`,
        );
      });
      expect(cli.out.stdout).not.toContain('cli-admin');
      expect(cli.out.stdout).toContain(`kubeconfig (admin): ${kubeconfig}`);
      expect(fs.readFileSync(kubeconfig, 'utf8')).toContain('token: cli-admin');
      const res = await fetch(`${url}/api/v1/namespaces/demo/pods`, {
        headers: { Authorization: 'Bearer sandbox-portal-token' },
      });
      expect((await res.json()).items).toHaveLength(2);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to listen anywhere but loopback', async () => {
    const cli = startCli(['--host', '0.0.0.0']);
    expect(await cli.exited).toBe(2);
    expect(cli.out.stderr).toContain('--host must be a loopback address');
  });

  it('refuses unknown flags and explains itself', async () => {
    const cli = startCli(['--nope']);
    expect(await cli.exited).toBe(2);
    expect(cli.out.stderr).toContain('Usage: kube-sandbox');
  });
});
