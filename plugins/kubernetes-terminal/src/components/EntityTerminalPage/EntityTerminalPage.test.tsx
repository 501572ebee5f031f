import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Entity } from '@backstage/catalog-model';
import { storageApiRef } from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import {
  type KubernetesAuthProvidersApi,
  kubernetesAuthProvidersApiRef,
} from '@backstage/plugin-kubernetes-react';
import type {
  TerminalClusterSummary,
  TerminalTargetsResponse,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { FakeWebSocket } from '../../__testUtils__/FakeWebSocket';
import {
  responseError,
  session,
  sessionPodClusters,
  singleContainer,
  targetsResponse,
  twoClusters,
} from '../../__testUtils__/fixtures';
import { EntityTerminalPage } from './EntityTerminalPage';

const annotatedEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'web',
    annotations: { 'backstage.io/kubernetes-id': 'web' },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

async function renderPage(options: {
  entity?: Entity;
  targets?: TerminalTargetsResponse | Error;
  clusters?: TerminalClusterSummary[];
  /** The Kubernetes plugin's auth providers API, when the app has one. */
  authProviders?: KubernetesAuthProvidersApi;
}) {
  const sockets: FakeWebSocket[] = [];
  const api = {
    getClusters: jest.fn(async () => ({ items: options.clusters ?? [] })),
    getTargets: jest.fn(async () => {
      if (options.targets instanceof Error) {
        throw options.targets;
      }
      return options.targets ?? targetsResponse();
    }),
    createSession: jest.fn().mockResolvedValue(session),
    openStream: jest.fn(async () => {
      const socket = new FakeWebSocket();
      sockets.push(socket);
      return socket.asWebSocket();
    }),
  };
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubernetesTerminalApiRef, api],
        [storageApiRef, mockApis.storage()],
        ...(options.authProviders
          ? [[kubernetesAuthProvidersApiRef, options.authProviders] as const]
          : []),
      ]}
    >
      <EntityProvider entity={options.entity ?? annotatedEntity}>
        <EntityTerminalPage />
      </EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
  return { api, sockets };
}

describe('EntityTerminalPage', () => {
  it('explains the missing annotations without asking the backend', async () => {
    const { api } = await renderPage({
      entity: { ...annotatedEntity, metadata: { name: 'web' } },
    });
    expect(screen.getByText('No Kubernetes annotations')).toBeInTheDocument();
    expect(
      screen.getAllByText(/backstage\.io\/kubernetes-id/).length,
    ).toBeGreaterThan(0);
    expect(api.getTargets).not.toHaveBeenCalled();
  });

  it('explains missing annotations reported by the backend', async () => {
    await renderPage({
      targets: targetsResponse({ annotated: false, clusters: [] }),
    });
    expect(
      await screen.findByText('No Kubernetes annotations'),
    ).toBeInTheDocument();
  });

  it('says when the user may not open a terminal', async () => {
    await renderPage({ targets: targetsResponse({ canExec: false }) });
    expect(
      await screen.findByText(
        /You are not allowed to open a terminal on this entity/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Connect' }),
    ).not.toBeInTheDocument();
  });

  it('says which permission is missing and who to ask, as the backend tells', async () => {
    await renderPage({
      targets: targetsResponse({
        canExec: false,
        clusters: [],
        denied: {
          permissions: [
            'kubernetes.terminal.exec',
            'kubernetes.terminal.sessionPod.create',
          ],
          owner: 'group:default/payments',
        },
      }),
    });
    const alert = await screen.findByTestId('terminal-permission-denied');
    expect(alert).toHaveTextContent(
      "You are not allowed to open a terminal on this entity: the portal's permission policy does not give you kubernetes.terminal.exec or kubernetes.terminal.sessionPod.create on it. Policies usually grant it to the entity's owner, payments: ask them, or your Backstage administrators, for access.",
    );
    expect(screen.getByRole('link', { name: 'payments' })).toBeInTheDocument();
  });

  it('says when the targets are forbidden', async () => {
    await renderPage({
      targets: await responseError(403, 'NotAllowedError', 'denied'),
    });
    expect(
      await screen.findByText(
        /You are not allowed to open a terminal on this entity/,
      ),
    ).toBeInTheDocument();
  });

  it('says when no pods were found', async () => {
    await renderPage({
      targets: targetsResponse({
        clusters: [{ name: 'local', pods: [] }],
      }),
    });
    expect(await screen.findByText('No pods found')).toBeInTheDocument();
    expect(
      screen.getByText(/backstage\.io\/kubernetes-id=web/),
    ).toBeInTheDocument();
  });

  it('shows a failed cluster and keeps the others usable', async () => {
    await renderPage({ targets: targetsResponse({ clusters: twoClusters }) });
    expect(
      await screen.findByText('Cluster edge is unreachable'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('connect ECONNREFUSED 10.0.0.1:6443'),
    ).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Cluster'), 'staging');
    expect(screen.getByRole('button', { name: 'Connect' })).toBeEnabled();
  });

  it('asks an unreachable cluster again on Retry: its agent may be back', async () => {
    const away = targetsResponse({
      clusters: [
        {
          name: 'private',
          pods: [],
          error: {
            reason: 'UNREACHABLE',
            message:
              "cluster 'private' is reached through its agent, which is not connected",
          },
        },
      ],
    });
    const { api } = await renderPage({ targets: away });
    expect(
      await screen.findByText('Cluster private is unreachable'),
    ).toBeInTheDocument();
    api.getTargets.mockResolvedValueOnce(targetsResponse());
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() =>
      expect(
        screen.queryByText('Cluster private is unreachable'),
      ).not.toBeInTheDocument(),
    );
    expect(api.getTargets).toHaveBeenCalledTimes(2);
  });

  it('only shows the errors when every cluster failed', async () => {
    await renderPage({
      targets: targetsResponse({
        clusters: [
          {
            name: 'edge',
            pods: [],
            error: { reason: 'UNREACHABLE', message: 'timeout' },
          },
        ],
      }),
    });
    expect(
      await screen.findByText('Cluster edge is unreachable'),
    ).toBeInTheDocument();
    expect(screen.queryByText('No pods found')).not.toBeInTheDocument();
  });

  it('starts a session pod when the user may use only that mode', async () => {
    const { api } = await renderPage({
      targets: targetsResponse({
        canExec: false,
        clusters: sessionPodClusters(),
      }),
    });
    expect(
      await screen.findByRole('radio', { name: 'kubectl session pod' }),
    ).toBeChecked();
    expect(
      screen.getByText(/press Start session pod to get a short-lived pod/),
    ).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Cluster'), 'staging');
    await userEvent.click(
      screen.getByRole('button', { name: 'Start session pod' }),
    );
    await waitFor(() =>
      expect(api.createSession).toHaveBeenCalledWith(
        expect.objectContaining({
          kind: 'session-pod',
          entityRef: 'component:default/web',
          cluster: 'staging',
          namespace: 'shop',
        }),
      ),
    );
    expect(screen.getByTestId('terminal-status')).toHaveTextContent(
      'staging/shop (kubectl session pod)',
    );
  });

  it('says when the user may neither open a shell nor start a session pod', async () => {
    await renderPage({
      targets: targetsResponse({
        canExec: false,
        clusters: sessionPodClusters({ canCreate: false }),
      }),
    });
    expect(
      await screen.findByText(
        /You are not allowed to open a terminal on this entity/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('radio')).not.toBeInTheDocument();
  });

  it('opens the terminal on Connect', async () => {
    const { api } = await renderPage({});
    await userEvent.click(
      await screen.findByRole('button', { name: 'Connect' }),
    );
    expect(await screen.findByTestId('terminal')).toBeInTheDocument();
    await waitFor(() =>
      expect(api.createSession).toHaveBeenCalledWith(
        expect.objectContaining({
          entityRef: 'component:default/web',
          cluster: 'local',
          namespace: 'default',
          pod: 'web-1',
          container: 'app',
        }),
      ),
    );
    expect(api.getTargets).toHaveBeenCalledWith({
      entityRef: 'component:default/web',
    });
    expect(screen.getByTestId('terminal-status')).toHaveTextContent(
      'local/default/web-1/app',
    );
  });

  it('asks before a new target ends the running session, and reconnects on the same terminal', async () => {
    const twoContainers = targetsResponse({
      clusters: [
        {
          ...singleContainer[0],
          pods: [
            {
              ...singleContainer[0].pods[0],
              containers: [
                { name: 'app', ready: true, state: 'running' },
                { name: 'sidecar', ready: true, state: 'running' },
              ],
            },
          ],
        },
      ],
    });
    const { api, sockets } = await renderPage({ targets: twoContainers });
    await userEvent.selectOptions(
      await screen.findByLabelText('Container'),
      'app',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(sockets).toHaveLength(1));
    act(() => sockets[0].open());
    // The running session's own target: nothing to do.
    expect(screen.getByRole('button', { name: 'Connected' })).toBeDisabled();

    await userEvent.selectOptions(
      screen.getByLabelText('Container'),
      'sidecar',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'End the running session?',
    });
    expect(dialog).toHaveTextContent('local/default/web-1/app');
    expect(dialog).toHaveTextContent('local/default/web-1/sidecar');
    await userEvent.click(
      screen.getByRole('button', { name: 'Keep the session' }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.createSession).toHaveBeenCalledTimes(1);
    expect(sockets[0].readyState).toBe(WebSocket.OPEN);

    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await userEvent.click(
      await screen.findByRole('button', { name: 'End it and connect' }),
    );
    await waitFor(() => expect(api.createSession).toHaveBeenCalledTimes(2));
    expect(api.createSession).toHaveBeenLastCalledWith(
      expect.objectContaining({ container: 'sidecar' }),
    );
    expect(sockets[0].readyState).toBe(WebSocket.CLOSED);

    // Disconnect ends it at once; the picker's button is then Reconnect, the only one.
    await waitFor(() => expect(sockets).toHaveLength(2));
    act(() => sockets[1].open());
    await userEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    expect(sockets[1].readyState).toBe(WebSocket.CLOSED);
    expect(screen.getByTestId('terminal-status-state')).toHaveTextContent(
      /^Disconnected$/,
    );
    expect(screen.getAllByRole('button', { name: 'Reconnect' })).toHaveLength(
      1,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitFor(() => expect(api.createSession).toHaveBeenCalledTimes(3));
    expect(api.createSession).toHaveBeenLastCalledWith(
      expect.objectContaining({ container: 'sidecar' }),
    );
    // The same terminal: its scrollback says where the last session ended.
    expect(screen.getByTestId('terminal')).toHaveTextContent('[disconnected]');
  });

  it('offers a debug container beside a container without a shell, where the portal does', async () => {
    const { api, sockets } = await renderPage({
      targets: targetsResponse({ canDebug: true }),
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Connect' }),
    );
    await waitFor(() => expect(sockets).toHaveLength(1));
    act(() => {
      sockets[0].open();
      sockets[0].serverClose(
        4422,
        "container 'app' has none of the shells bash, sh",
      );
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Start a debug container' }),
    );
    await waitFor(() =>
      expect(api.createSession).toHaveBeenLastCalledWith(
        expect.objectContaining({
          kind: 'debug',
          pod: 'web-1',
          container: 'app',
        }),
      ),
    );
    expect(screen.getByTestId('terminal-status-target')).toHaveTextContent(
      '(debug container)',
    );
    // The picker follows: in the debug mode, its button about this debug session.
    expect(
      screen.getByRole('radio', { name: 'Debug container' }),
    ).toBeChecked();
    expect(
      screen.getByRole('button', { name: 'Debug container attached' }),
    ).toBeDisabled();
  });

  describe("clusters reached with the person's own credential", () => {
    const oidcCluster = {
      ...targetsResponse().clusters[0],
      authProvider: 'oidc.okta',
    };

    it("gets the token through the Kubernetes plugin's auth providers and sends it in the bodies", async () => {
      const decorate = jest.fn(async (provider: string, body: any) => ({
        ...body,
        auth: { oidc: { [provider.slice('oidc.'.length)]: 'okta-id-token' } },
      }));
      const { api } = await renderPage({
        clusters: [{ name: 'local', authProvider: 'oidc.okta' }],
        targets: targetsResponse({ clusters: [oidcCluster] }),
        authProviders: {
          decorateRequestBodyForAuth: decorate,
          getCredentials: jest.fn(),
        },
      });
      await waitFor(() =>
        expect(api.getTargets).toHaveBeenCalledWith({
          entityRef: 'component:default/web',
          auth: { oidc: { okta: 'okta-id-token' } },
        }),
      );
      await userEvent.click(
        await screen.findByRole('button', { name: /connect/i }),
      );
      await waitFor(() =>
        expect(api.createSession).toHaveBeenCalledWith(
          expect.objectContaining({
            cluster: 'local',
            auth: { oidc: { okta: 'okta-id-token' } },
          }),
        ),
      );
      // Asked again for the session: the auth API refreshes a token that has expired meanwhile.
      expect(decorate).toHaveBeenCalledTimes(2);
    });

    it('says why the credential could not be had, with a way to sign in and retry', async () => {
      const decorate = jest
        .fn()
        .mockRejectedValueOnce(new Error('the sign-in popup was closed'))
        .mockImplementation(async (_provider: string, body: any) => ({
          ...body,
          auth: { oidc: { okta: 'okta-id-token' } },
        }));
      const { api } = await renderPage({
        clusters: [{ name: 'local', authProvider: 'oidc.okta' }],
        targets: targetsResponse({
          clusters: [
            {
              ...oidcCluster,
              pods: [],
              error: {
                reason: 'SIGN_IN_REQUIRED',
                message: 'from the backend',
              },
            },
          ],
        }),
        authProviders: {
          decorateRequestBodyForAuth: decorate,
          getCredentials: jest.fn(),
        },
      });
      const alert = await screen.findByTestId('cluster-error-local');
      expect(alert).toHaveTextContent('Cluster local needs you to sign in');
      expect(alert).toHaveTextContent(
        'could not get your oidc.okta credential: the sign-in popup was closed',
      );
      await userEvent.click(
        screen.getByRole('button', { name: 'Sign in and retry' }),
      );
      await waitFor(() =>
        expect(api.getTargets).toHaveBeenLastCalledWith({
          entityRef: 'component:default/web',
          auth: { oidc: { okta: 'okta-id-token' } },
        }),
      );
    });

    it('says so when the app has no Kubernetes auth providers API', async () => {
      await renderPage({
        clusters: [{ name: 'local', authProvider: 'google' }],
        targets: targetsResponse({
          clusters: [
            {
              ...oidcCluster,
              authProvider: 'google',
              pods: [],
              error: {
                reason: 'SIGN_IN_REQUIRED',
                message: 'from the backend',
              },
            },
          ],
        }),
      });
      expect(
        await screen.findByTestId('cluster-error-local'),
      ).toHaveTextContent(/this app has no Kubernetes auth providers API/);
    });
  });
});
