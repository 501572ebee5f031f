import { mockCredentials } from '@backstage/backend-test-utils';
import type { TerminalServerMessage } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import request from 'supertest';
import { sessionPodName } from '../sessionPods/names';
import { TerminalClient } from './TerminalClient';
import type { SandboxEndpoint } from './terminalBackend';

export const ALICE = 'user:default/alice';
export const ENTITY = 'component:default/demo-service';

/** Another name for the sandbox, so that a test can give it settings of its own. */
export const alias = (name: string) => (sandbox: SandboxEndpoint) => ({
  name,
  url: sandbox.url,
  authProvider: 'serviceAccount',
  serviceAccountToken: 'sandbox-portal-token',
  skipTLSVerify: true,
});

export function messagesOf<T extends TerminalServerMessage['type']>(
  client: TerminalClient,
  type: T,
) {
  return client.messages.filter(m => m.type === type) as Extract<
    TerminalServerMessage,
    { type: T }
  >[];
}

/** The objects of a user's session pod in the sandbox, as stored. */
export function objectsOf(
  sandbox: SandboxCluster,
  user: string,
  namespace = 'demo',
) {
  const name = sessionPodName(user);
  return {
    name,
    pod: sandbox.get('v1', 'Pod', name, namespace),
    serviceAccount: sandbox.get('v1', 'ServiceAccount', name, namespace),
    roleBinding: sandbox.get(
      'rbac.authorization.k8s.io/v1',
      'RoleBinding',
      name,
      namespace,
    ),
    networkPolicy: sandbox.get(
      'networking.k8s.io/v1',
      'NetworkPolicy',
      name,
      namespace,
    ),
    secret: sandbox.get('v1', 'Secret', `${name}-kubeconfig`, namespace),
  };
}

export function jwtClaims(token: string): any {
  return JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString('utf8'),
  );
}

export function sessionPodHarness(
  getEnv: () => { backend: { server: any }; port: number },
) {
  const clients: TerminalClient[] = [];
  const api = (method: 'get' | 'post', url: string, user = ALICE) =>
    request(getEnv().backend.server)
      [method](`/api/kubernetes-terminal${url}`)
      .set('Authorization', mockCredentials.user.header(user));
  async function open(user = ALICE, body: Record<string, unknown> = {}) {
    const res = await api('post', '/sessions', user).send({
      kind: 'session-pod',
      entityRef: ENTITY,
      cluster: 'sandbox',
      namespace: 'demo',
      cols: 120,
      rows: 30,
      ...body,
    });
    expect(res.status).toBe(201);
    const client = await TerminalClient.connect(
      `ws://127.0.0.1:${getEnv().port}/api/kubernetes-terminal${
        res.body.streamPath
      }`,
      { ticket: res.body.ticket },
    );
    clients.push(client);
    return { client, sessionId: res.body.sessionId as string };
  }
  const connected = (client: TerminalClient) =>
    client.waitFor(() => !!client.message('connected'), 'connected', 30_000);
  const closeAll = () => clients.splice(0).forEach(c => c.close());
  return { api, open, connected, closeAll };
}
