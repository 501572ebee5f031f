import {
  AGENT_TOKEN_PREFIX,
  AGENT_WS_PROTOCOL,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { hashAgentToken, main, proxyFromEnv } from './cli';

describe('kubernetes-terminal-agent', () => {
  let out: string;
  let err: string;
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      out += String(chunk);
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation(chunk => {
      err += String(chunk);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('makes a token and the portal config that admits it: its SHA-256, never the token', async () => {
    await main(['token', '--id', 'prod-1', '--cluster', 'prod']);
    const [token] = out.split('\n');
    expect(token.startsWith(AGENT_TOKEN_PREFIX)).toBe(true);
    // 32 random bytes, base64url.
    expect(token.length).toBe(AGENT_TOKEN_PREFIX.length + 43);
    const config = out.slice(token.length);
    expect(config).toContain(
      `    prod:\n      agent:\n        tokens:\n          - id: prod-1\n            sha256: ${hashAgentToken(
        token,
      )}\n`,
    );
    expect(config).not.toContain(token);
  });

  it('says what is missing, with the usage, and exits 2', async () => {
    await main(
      ['run', '--portal-url', 'https://portal/api/kubernetes-terminal'],
      {},
    );
    expect(process.exitCode).toBe(2);
    expect(err).toMatch(
      /^kubernetes-terminal-agent: --cluster \(or AGENT_CLUSTER\) is required\n\nUsage:/,
    );
    err = '';
    await main(['run', '--portal-url', 'https://p', '--cluster', 'c'], {
      AGENT_TOKEN: 'not-a-token',
    });
    expect(err).toContain(
      'an agent token (starting with ktagent_) is required',
    );
    err = '';
    await main(['run', '--portal-url', 'https://p', '--cluster', 'c'], {
      AGENT_TOKEN: `${AGENT_TOKEN_PREFIX}x`,
    });
    expect(err).toContain('--api-server is required outside a cluster');
    err = '';
    await main(['nonsense'], {});
    expect(err).toContain("unknown command 'nonsense'");
  });

  it('runs from a token file, and its readiness follows the tunnel: 503 until open, 200 then', async () => {
    const portal = http.createServer();
    const wss = new WebSocketServer({
      noServer: true,
      handleProtocols: p =>
        p.has(AGENT_WS_PROTOCOL) ? AGENT_WS_PROTOCOL : false,
    });
    let accept = false;
    let seenAuthorization: string | undefined;
    portal.on('upgrade', (req, socket, head) => {
      if (!accept) {
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      seenAuthorization = req.headers.authorization;
      wss.handleUpgrade(req, socket, head, () => {});
    });
    await new Promise<void>(r => portal.listen(0, '127.0.0.1', r));
    const healthPort = await new Promise<number>(resolve => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-cli-'));
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, `${AGENT_TOKEN_PREFIX}from-the-file\n`);
    let stop!: () => void;
    const running = main(
      [
        'run',
        '--portal-url',
        `http://127.0.0.1:${
          (portal.address() as AddressInfo).port
        }/api/kubernetes-terminal`,
        '--cluster',
        'c',
        '--token-file',
        tokenFile,
        '--health-port',
        String(healthPort),
      ],
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      { stop: new Promise<void>(r => (stop = r)) },
    );
    const get = async (p: string) => {
      for (let i = 0; ; i++) {
        try {
          return await fetch(`http://127.0.0.1:${healthPort}${p}`);
        } catch (error) {
          if (i > 50) throw error;
          await new Promise(r => setTimeout(r, 20));
        }
      }
    };
    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    accept = true;
    for (let i = 0; (await get('/readyz')).status !== 200; i++) {
      if (i > 200) throw new Error('never ready');
      await new Promise(r => setTimeout(r, 50));
    }
    expect(seenAuthorization).toBe(`Bearer ${AGENT_TOKEN_PREFIX}from-the-file`);
    // The in-cluster API server address comes from Kubernetes' environment.
    expect(out).toContain('relaying to 10.0.0.1:443');
    expect(out).not.toContain('from-the-file');
    stop();
    await running;
    wss.close();
    portal.closeAllConnections();
    await new Promise(r => portal.close(r));
  });

  it('takes the egress proxy from the usual environment, unless NO_PROXY names the portal', () => {
    const env = {
      HTTPS_PROXY: 'http://proxy:3128',
      HTTP_PROXY: 'http://plain-proxy:3128',
    };
    expect(proxyFromEnv('https://portal.example.com/api/x', env)).toBe(
      'http://proxy:3128',
    );
    expect(proxyFromEnv('http://portal.internal:7007/api/x', env)).toBe(
      'http://plain-proxy:3128',
    );
    for (const NO_PROXY of [
      'portal.example.com',
      '.example.com',
      'example.com',
      '*.example.com',
      'localhost, example.com:443',
      '*',
    ]) {
      expect(
        proxyFromEnv('https://portal.example.com/api/x', { ...env, NO_PROXY }),
      ).toBeUndefined();
    }
    expect(
      proxyFromEnv('https://portal.example.com/api/x', {
        ...env,
        NO_PROXY: 'other.com,ample.com',
      }),
    ).toBe('http://proxy:3128');
    expect(
      proxyFromEnv('https://portal.example.com/api/x', {}),
    ).toBeUndefined();
  });
});
