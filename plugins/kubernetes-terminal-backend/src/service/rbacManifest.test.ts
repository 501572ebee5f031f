import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { ENTITY, sessionPodHarness } from '../__testUtils__/sessionPodHarness';
import {
  DEMO_TARGET,
  openTerminal,
  startDemoSandbox,
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';

jest.setTimeout(90_000);

/** The manifest the README tells platform teams to apply, as the package ships it. */
const MANIFEST = path.resolve(__dirname, '../../manifests/rbac.yaml');
const IMPERSONATION = path.resolve(
  __dirname,
  '../../manifests/impersonation.yaml',
);
const ALICE = 'user:default/alice';

/**
 * The backend with the credentials of ServiceAccounts granted exactly what manifests/rbac.yaml grants
 * (applied with the real kubectl), against the sandbox's RBAC: `backstage` has both parts, `readonly`
 * only the first. The sandbox does not check RBAC's escalation rule, so `bind` on `view` is not proven
 * here.
 */
describe('manifests/rbac.yaml', () => {
  let env: TerminalTestEnv;
  const tokens: Record<string, string> = {};
  const { open, connected, closeAll } = sessionPodHarness(() => env);

  // Not execFileSync: the sandbox runs in this process and must answer kubectl meanwhile.
  const kubectl = async (kubeconfig: string, ...args: string[]) =>
    (
      await promisify(execFile)('kubectl', [
        '--kubeconfig',
        kubeconfig,
        ...args,
      ])
    ).stdout;

  beforeAll(async () => {
    const sandbox = await startDemoSandbox();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-rbac-'));
    const kubeconfig = path.join(dir, 'admin.kubeconfig');
    sandbox.writeKubeconfig(kubeconfig);
    // The identities, as a platform team's own manifests would make them (kubectl's `create` sends
    // protobuf, which the sandbox does not read; `apply` sends JSON).
    const accounts = path.join(dir, 'accounts.yaml');
    fs.writeFileSync(
      accounts,
      `apiVersion: v1
kind: Namespace
metadata:
  name: backstage
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: backstage
  namespace: backstage
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: readonly
  namespace: backstage
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: impersonator
  namespace: backstage
---
# The third account gets impersonation.yaml only.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: impersonator-only
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: backstage-kubernetes-terminal-impersonator
subjects:
  - kind: ServiceAccount
    name: impersonator
    namespace: backstage
---
# Alice, as the cluster knows her, may open terminals herself; Bob may not.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: alice-terminals
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: backstage-kubernetes-terminal
subjects:
  - kind: User
    name: alice
---
# The second account gets the first part only: the same ClusterRole, bound to it as well.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: readonly-kubernetes-terminal
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: backstage-kubernetes-terminal
subjects:
  - kind: ServiceAccount
    name: readonly
    namespace: backstage
`,
    );
    await kubectl(kubeconfig, 'apply', '-f', accounts);
    await kubectl(kubeconfig, 'apply', '-f', MANIFEST);
    await kubectl(kubeconfig, 'apply', '-f', IMPERSONATION);
    for (const account of ['backstage', 'readonly', 'impersonator']) {
      const token = await kubectl(
        kubeconfig,
        '-n',
        'backstage',
        'create',
        'token',
        account,
        '--duration=1h',
      );
      tokens[account] = token.trim();
    }
    const cluster = (name: string, token: string) => ({
      name,
      url: sandbox.url,
      authProvider: 'serviceAccount',
      serviceAccountToken: token,
      skipTLSVerify: true,
    });
    env = await startTerminalTestEnv({
      sandbox,
      decide: () => AuthorizeResult.ALLOW,
      extraClusters: [
        cluster('granted', tokens.backstage),
        cluster('readonly', tokens.readonly),
        cluster('impersonating', tokens.impersonator),
      ],
      terminalConfig: {
        clusters: { impersonating: { impersonate: { user: 'name' } } },
        debugContainers: { enabled: true, image: 'busybox:1.36' },
        sessionPods: {
          enabled: true,
          image: 'kubectl-shell',
          clusters: {
            granted: { apiServerUrl: sandbox.httpsUrl },
            readonly: { apiServerUrl: sandbox.httpsUrl },
          },
        },
      },
    });
  });

  afterAll(async () => {
    closeAll();
    await env?.stop();
    await env?.sandbox.close();
  });

  afterEach(closeAll);

  it.each(['granted', 'readonly'])(
    'lets the backend list the entity pods and open a shell (%s)',
    async cluster => {
      const targets = await request(env.backend.server)
        .get(`/api/kubernetes-terminal/targets?entityRef=${ENTITY}`)
        .set('Authorization', mockCredentials.user.header(ALICE));
      expect(targets.status).toBe(200);
      const listed = targets.body.clusters.find(
        (c: { name: string }) => c.name === cluster,
      );
      expect(listed.error).toBeUndefined();
      expect(listed.pods.map((p: { name: string }) => p.name)).toContain(
        DEMO_TARGET.pod,
      );

      const { client } = await openTerminal(env.backend.server, ALICE, {
        ...DEMO_TARGET,
        cluster,
      });
      client.type('echo rbac-$((6*7))\r');
      await client.waitFor(() => /rbac-42/.test(client.output), 'echo');
      client.close();
    },
  );

  it('lets the backend start a session pod with the second part, and says what is missing without it', async () => {
    const granted = await open(ALICE, { cluster: 'granted' });
    await connected(granted.client);
    granted.client.type('kubectl get pods -o name\r');
    await granted.client.waitFor(
      () => /pod\/demo-service-/.test(granted.client.output),
      'kubectl in the session pod',
    );

    const readonly = await open('user:default/bob', { cluster: 'readonly' });
    await readonly.client.waitFor(
      () => !!readonly.client.message('error'),
      'error',
    );
    expect(readonly.client.message('error')).toMatchObject({
      message: expect.stringMatching(
        /not allowed to set up your session pod: .*serviceaccounts/s,
      ),
    });
  });

  it('lets the backend add and attach to a debug container with the third part; without it the cluster refuses', async () => {
    const granted = await openTerminal(env.backend.server, ALICE, {
      ...DEMO_TARGET,
      kind: 'debug',
      cluster: 'granted',
    });
    granted.client.type('echo dbg-$((6*7))\r');
    await granted.client.waitFor(
      () => /dbg-42/.test(granted.client.output),
      'echo in the debug container',
    );
    granted.client.close();

    const readonly = await openTerminal(
      env.backend.server,
      'user:default/bob',
      { ...DEMO_TARGET, kind: 'debug', cluster: 'readonly' },
      { connected: false },
    );
    await readonly.client.waitForClose();
    expect(readonly.client.closed?.code).toBe(4403);
    expect(readonly.client.message('error')).toMatchObject({
      message: expect.stringMatching(
        /^the cluster refused: could not add a debug container to pod .*: pods "demo-service-7d9f8b6c5-abcde" is forbidden: .* cannot patch resource "pods\/ephemeralcontainers"/,
      ),
    });
  });

  it('lets a backend that may only impersonate open the shells of people the cluster lets in (impersonation.yaml)', async () => {
    const listed = async (user: string) =>
      (
        await request(env.backend.server)
          .get(`/api/kubernetes-terminal/targets?entityRef=${ENTITY}`)
          .set('Authorization', mockCredentials.user.header(user))
      ).body.clusters.find((c: { name: string }) => c.name === 'impersonating');
    const alice = await listed(ALICE);
    expect(alice.error).toBeUndefined();
    expect(alice.pods.map((p: { name: string }) => p.name)).toContain(
      DEMO_TARGET.pod,
    );
    const { client } = await openTerminal(env.backend.server, ALICE, {
      ...DEMO_TARGET,
      cluster: 'impersonating',
    });
    client.type('echo as-alice-$((6*7))\r');
    await client.waitFor(() => /as-alice-42/.test(client.output), 'echo');
    client.close();
    // Bob has no RBAC of his own in the cluster, and the backend's identity has none beyond impersonation.
    expect((await listed('user:default/bob')).error).toEqual({
      reason: 'FORBIDDEN',
      message: expect.stringContaining(
        'User "bob" cannot list resource "pods" in API group "" at the cluster scope',
      ),
    });
  });
});
