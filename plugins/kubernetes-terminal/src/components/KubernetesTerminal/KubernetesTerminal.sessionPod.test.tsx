import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import type { TerminalSessionExpiry } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  kubernetesTerminalApiRef,
  type KubernetesTerminalApi,
} from '../../api';
import { FakeWebSocket } from '../../__testUtils__/FakeWebSocket';
import {
  entityRef,
  responseError,
  session,
} from '../../__testUtils__/fixtures';
import type { TerminalSessionPodTarget } from '../../types';
import { KubernetesTerminal } from './KubernetesTerminal';

const target: TerminalSessionPodTarget = {
  kind: 'session-pod',
  cluster: 'prod',
  namespace: 'shop',
};

async function renderTerminal(overrides: Partial<KubernetesTerminalApi> = {}) {
  const sockets: FakeWebSocket[] = [];
  const api = {
    createSession: jest.fn().mockResolvedValue(session),
    openStream: jest.fn(async () => {
      const socket = new FakeWebSocket();
      sockets.push(socket);
      return socket.asWebSocket();
    }),
    extendSession: jest.fn(),
    ...overrides,
  };
  await renderInTestApp(
    <TestApiProvider apis={[[kubernetesTerminalApiRef, api]]}>
      <KubernetesTerminal entityRef={entityRef} target={target} />
    </TestApiProvider>,
  );
  return { api, sockets };
}

async function openSocket(sockets: FakeWebSocket[], index = 0) {
  await waitFor(() => expect(sockets[index]).toBeDefined());
  const socket = sockets[index];
  act(() => socket.open());
  return socket;
}

function connect(socket: FakeWebSocket) {
  act(() =>
    socket.receiveControl({
      type: 'connected',
      shell: 'bash',
      protocol: 'v5.channel.k8s.io',
    }),
  );
}

const minutes = (n: number) => n * 60_000;

function expiry(
  overrides: Partial<TerminalSessionExpiry & { warning: boolean }> = {},
) {
  return {
    type: 'expiry',
    warning: false,
    expiresAt: new Date(Date.now() + minutes(28) + 30_000).toISOString(),
    maxExpiresAt: new Date(Date.now() + minutes(480)).toISOString(),
    canExtend: true,
    extendBySeconds: 1800,
    ...overrides,
  };
}

const screenText = () =>
  screen.getByTestId('terminal').querySelector('.xterm-rows')?.textContent ??
  '';
const state = () => screen.getByTestId('terminal-status-state');
const warning = () => screen.queryByTestId('session-pod-expiry-warning');

describe('KubernetesTerminal with a session pod', () => {
  it('asks for a session pod and shows each provisioning step', async () => {
    const { api, sockets } = await renderTerminal();
    await waitFor(() =>
      expect(api.createSession).toHaveBeenCalledWith({
        kind: 'session-pod',
        entityRef,
        cluster: 'prod',
        namespace: 'shop',
        cols: expect.any(Number),
        rows: expect.any(Number),
      }),
    );
    expect(screen.getByTestId('terminal-status-target')).toHaveTextContent(
      'prod/shop (kubectl session pod)',
    );
    expect(state()).toHaveTextContent('Starting session pod…');

    const socket = await openSocket(sockets);
    act(() => {
      socket.receiveControl({
        type: 'progress',
        step: 'serviceaccount',
        message: 'created kubectl-alice-7f3c',
      });
      socket.receiveControl({
        type: 'progress',
        step: 'event',
        message: 'Pulling image "bitnami/kubectl:1.33"',
      });
    });
    expect(state()).toHaveTextContent(
      'Starting session pod… (Pulling image "bitnami/kubectl:1.33")',
    );
    await waitFor(() =>
      expect(screenText()).toContain(
        '[serviceaccount] created kubectl-alice-7f3c',
      ),
    );
    expect(screenText()).toContain(
      '[event] Pulling image "bitnami/kubectl:1.33"',
    );
    expect(
      screen.queryByRole('button', { name: 'Reconnect' }),
    ).not.toBeInTheDocument();

    connect(socket);
    expect(state()).toHaveTextContent('Connected (bash)');
  });

  it('shows the time left in the status line, without a warning until the backend warns', async () => {
    const { sockets } = await renderTerminal();
    const socket = await openSocket(sockets);
    connect(socket);
    act(() => socket.receiveControl(expiry()));
    expect(screen.getByTestId('terminal-status-expiry')).toHaveTextContent(
      'Expires in 28 min',
    );
    expect(warning()).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Extend' }),
    ).not.toBeInTheDocument();
  });

  it('counts down locally from expiresAt', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const { sockets } = await renderTerminal();
      const socket = await openSocket(sockets);
      connect(socket);
      act(() => socket.receiveControl(expiry()));
      expect(screen.getByTestId('terminal-status-expiry')).toHaveTextContent(
        'Expires in 28 min',
      );
      act(() => {
        jest.advanceTimersByTime(minutes(2));
      });
      expect(screen.getByTestId('terminal-status-expiry')).toHaveTextContent(
        'Expires in 26 min',
      );
    } finally {
      jest.useRealTimers();
    }
  });

  it('warns before expiry and extends over the socket', async () => {
    const { api, sockets } = await renderTerminal();
    const socket = await openSocket(sockets);
    connect(socket);
    act(() =>
      socket.receiveControl(
        expiry({
          warning: true,
          expiresAt: new Date(Date.now() + minutes(4) + 30_000).toISOString(),
        }),
      ),
    );
    expect(warning()).toBeVisible();
    expect(screen.getByTestId('session-pod-expiry-left')).toHaveTextContent(
      'Session pod expires in 4 min',
    );
    expect(warning()).toHaveTextContent('Extend adds 30 min');

    const extend = screen.getByRole('button', { name: 'Extend' });
    await userEvent.click(extend);
    expect(socket.controlMessages()).toContainEqual({ type: 'extend' });
    expect(api.extendSession).not.toHaveBeenCalled();
    // Until the backend answers.
    expect(extend).toBeDisabled();

    act(() =>
      socket.receiveControl(
        expiry({
          expiresAt: new Date(Date.now() + minutes(34) + 30_000).toISOString(),
        }),
      ),
    );
    expect(warning()).not.toBeInTheDocument();
    expect(screen.getByTestId('terminal-status-expiry')).toHaveTextContent(
      'Expires in 34 min',
    );
  });

  it('disables Extend once the maximum session length is reached', async () => {
    const { sockets } = await renderTerminal();
    const socket = await openSocket(sockets);
    connect(socket);
    act(() =>
      socket.receiveControl(
        expiry({
          warning: true,
          canExtend: false,
          expiresAt: new Date(Date.now() + minutes(3) + 30_000).toISOString(),
        }),
      ),
    );
    expect(screen.getByTestId('session-pod-expiry-cap')).toHaveTextContent(
      'Maximum session length reached',
    );
    const extend = screen.getByRole('button', { name: 'Extend' });
    expect(extend).toBeDisabled();
    await userEvent.hover(extend.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Maximum session length reached',
    );
    expect(socket.controlMessages()).not.toContainEqual({ type: 'extend' });
  });

  it('says the session expired and starts a new session pod', async () => {
    const { api, sockets } = await renderTerminal();
    const socket = await openSocket(sockets);
    connect(socket);
    act(() => socket.receiveControl(expiry({ warning: true })));
    act(() => socket.serverClose(4412, 'session pod reached its expiry'));
    expect(screen.getByText('Session expired')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'session pod reached its expiry. The session pod and its credentials in shop were deleted.',
    );
    expect(state()).toHaveTextContent(
      'Disconnected: session pod reached its expiry',
    );
    expect(warning()).not.toBeInTheDocument();
    expect(
      screen.queryByTestId('terminal-status-expiry'),
    ).not.toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Start a new session pod' }),
    );
    await waitFor(() => expect(api.createSession).toHaveBeenCalledTimes(2));
    expect(state()).toHaveTextContent('Starting session pod…');
  });

  it('explains a session pod that failed to start', async () => {
    const { sockets } = await renderTerminal();
    const socket = await openSocket(sockets);
    act(() => {
      socket.receiveControl({
        type: 'progress',
        step: 'pod-phase',
        message: 'Pending: ImagePullBackOff',
      });
      socket.receiveControl({
        type: 'error',
        reason: 'IMAGE_PULL',
        message: 'image bitnami/kubectl:nope could not be pulled',
      });
      socket.serverClose(4502, '');
    });
    expect(screen.getByText('Could not start the session pod')).toBeVisible();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'image bitnami/kubectl:nope could not be pulled',
    );
    expect(
      screen.getByRole('button', { name: 'Start a new session pod' }),
    ).toBeInTheDocument();
  });

  it('explains a session pod the user may not start', async () => {
    const error = await responseError(403, 'NotAllowedError', 'denied');
    await renderTerminal({
      createSession: jest.fn().mockRejectedValue(error),
    });
    expect(await screen.findByText('Permission denied')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'You are not allowed to start a session pod for this entity',
    );
    expect(state()).toHaveTextContent(
      'Failed: You are not allowed to start a session pod for this entity',
    );
  });

  it('says so when the socket is refused with 4403', async () => {
    const { sockets } = await renderTerminal();
    const socket = await openSocket(sockets);
    act(() => socket.serverClose(4403));
    expect(screen.getByRole('alert')).toHaveTextContent(
      'You are not allowed to start a session pod for this entity',
    );
  });
});
