import { AGENT_TOKEN_PREFIX } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { hashAgentToken, main } from './cli';

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
});
