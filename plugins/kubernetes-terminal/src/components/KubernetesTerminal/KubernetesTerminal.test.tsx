import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
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
import { entityPresentationApiRef } from '@backstage/plugin-catalog-react';
import { KubernetesTerminal } from './KubernetesTerminal';

/** The catalog's names: Alice has a display name; others show as their ref. */
const presentationApi = {
  forEntity: (ref: string) => {
    const snapshot = {
      entityRef: ref,
      primaryTitle: ref === 'user:default/alice' ? 'Alice Example' : ref,
    };
    return { snapshot, promise: Promise.resolve(snapshot) };
  },
};

const target = {
  cluster: 'local',
  namespace: 'default',
  pod: 'web-1',
  container: 'app',
};

async function renderTerminal(overrides: Partial<KubernetesTerminalApi> = {}) {
  const sockets: FakeWebSocket[] = [];
  const api = {
    getTargets: jest.fn(),
    createSession: jest.fn().mockResolvedValue(session),
    openStream: jest.fn(async () => {
      const socket = new FakeWebSocket();
      sockets.push(socket);
      return socket.asWebSocket();
    }),
    ...overrides,
  };
  const rendered = await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubernetesTerminalApiRef, api],
        [entityPresentationApiRef, presentationApi],
      ]}
    >
      <KubernetesTerminal entityRef={entityRef} target={target} />
    </TestApiProvider>,
  );
  return { api, sockets, rendered };
}

async function connectedSocket(sockets: FakeWebSocket[], index = 0) {
  await waitFor(() => expect(sockets[index]).toBeDefined());
  const socket = sockets[index];
  act(() => {
    socket.open();
    socket.receiveControl({
      type: 'hello',
      version: 1,
      sessionId: session.sessionId,
      target,
    });
    socket.receiveControl({
      type: 'connected',
      shell: 'bash',
      protocol: 'v5.channel.k8s.io',
    });
  });
  return socket;
}

const screenText = () =>
  screen.getByTestId('terminal').querySelector('.xterm-rows')?.textContent ??
  '';

const status = () => screen.getByTestId('terminal-status');

describe('KubernetesTerminal', () => {
  it('creates a session for the target and opens its stream', async () => {
    const { api, sockets } = await renderTerminal();
    await waitFor(() => expect(api.openStream).toHaveBeenCalledWith(session));
    expect(api.createSession).toHaveBeenCalledWith({
      entityRef,
      ...target,
      cols: expect.any(Number),
      rows: expect.any(Number),
    });
    expect(status()).toHaveTextContent('local/default/web-1/app');
    expect(status()).toHaveTextContent('Connecting…');

    const socket = await connectedSocket(sockets);
    expect(socket.controlMessages()[0]).toMatchObject({ type: 'resize' });
    expect(status()).toHaveTextContent('Connected (bash)');
    expect(screen.getByTestId('terminal-status-state')).toHaveTextContent(
      'Connected (bash)',
    );
    expect(
      screen.queryByRole('button', { name: 'Reconnect' }),
    ).not.toBeInTheDocument();
  });

  it('shows output and sends what the user types', async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => socket.receiveOutput('hello from the pod\r\n$ '));
    await waitFor(() => expect(screenText()).toContain('hello from the pod'));

    const textarea = screen
      .getByTestId('terminal')
      .querySelector('textarea') as HTMLTextAreaElement;
    await userEvent.type(textarea, 'ls');
    await waitFor(() => expect(socket.input()).toBe('ls'));

    // Output is acknowledged once xterm has processed it.
    await waitFor(
      () =>
        expect(socket.controlMessages()).toContainEqual({
          type: 'ack',
          bytes: 'hello from the pod\r\n$ '.length,
        }),
      { timeout: 2000 },
    );
  });

  it('shows the exit status in the terminal and the status line, and reconnects', async () => {
    const { api, sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => {
      socket.receiveControl({ type: 'exit', code: 3 });
      socket.serverClose(1000, 'process exited');
    });
    expect(status()).toHaveTextContent(
      "Exited with status 3 (the last command's)",
    );
    await waitFor(() =>
      expect(screenText()).toContain('[process exited with code 3]'),
    );
    expect(screen.queryByText('Connection lost')).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitFor(() => expect(api.createSession).toHaveBeenCalledTimes(2));
    await connectedSocket(sockets, 1);
    expect(status()).toHaveTextContent('Connected (bash)');
  });

  it('explains a container without a shell', async () => {
    const { sockets } = await renderTerminal();
    await waitFor(() => expect(sockets[0]).toBeDefined());
    act(() => {
      sockets[0].open();
      sockets[0].receiveControl({
        type: 'shell-fallback',
        tried: 'bash',
        next: 'sh',
        reason: 'not found',
      });
    });
    expect(status()).toHaveTextContent('Connecting… (trying sh)');
    act(() => sockets[0].serverClose(4422, 'no shell found (tried bash, sh)'));
    expect(screen.getByText('No shell in container app')).toBeInTheDocument();
    expect(status()).toHaveTextContent(
      'Disconnected: no shell found (tried bash, sh)',
    );
  });

  it('offers to reconnect when the connection is lost', async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => socket.serverClose(1006));
    expect(screen.getByText('Connection lost')).toBeInTheDocument();
    expect(status()).toHaveTextContent('Disconnected: the connection was lost');
    expect(
      screen.getByRole('button', { name: 'Reconnect' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screenText()).toContain('[disconnected: the connection was lost]'),
    );
  });

  it('shows the reason of a server error', async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => {
      socket.receiveControl({
        type: 'error',
        reason: 'UPSTREAM',
        message: 'exec stream was cut',
      });
      socket.serverClose(4502, '');
    });
    expect(status()).toHaveTextContent('Disconnected: exec stream was cut');
  });

  it('shows who terminated the session by their catalog name, in the terminal and the status line', async () => {
    const { api, sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => {
      socket.receiveControl({
        type: 'terminated',
        by: 'user:default/alice',
        reason: 'maintenance window',
      });
      socket.serverClose(4410, 'terminated by user:default/alice');
    });
    expect(status()).toHaveTextContent(
      'Terminated by Alice Example — maintenance window',
    );
    expect(screen.getByText('Session terminated')).toBeInTheDocument();
    expect(
      screen.getByText(/Alice Example ended this session: maintenance window/),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screenText()).toContain(
        '[Terminated by Alice Example — maintenance window]',
      ),
    );
    expect(document.body.textContent).not.toContain('user:default/alice');
    expect(screenText()).not.toContain('[disconnected');

    await userEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitFor(() => expect(api.createSession).toHaveBeenCalledTimes(2));
  });

  it('explains a termination close without a terminated message', async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => socket.serverClose(4410, 'session terminated by an admin'));
    expect(screen.getByText('Session terminated')).toBeInTheDocument();
    expect(status()).toHaveTextContent(
      'Disconnected: session terminated by an admin',
    );
  });

  it('warns of an idle session with a countdown until the user types', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const { sockets } = await renderTerminal();
      const socket = await connectedSocket(sockets);
      act(() =>
        socket.receiveControl({
          type: 'idle',
          idleSeconds: 600,
          disconnectInSeconds: 60,
        }),
      );
      const idle = screen.getByTestId('terminal-status-idle');
      expect(idle).toHaveTextContent('Idle for 10 min — disconnects in 60 s');
      expect(status()).toHaveTextContent('Connected (bash)');

      act(() => {
        jest.advanceTimersByTime(5000);
      });
      expect(screen.getByTestId('terminal-status-idle')).toHaveTextContent(
        /disconnects in 5[56] s/,
      );

      const textarea = screen
        .getByTestId('terminal')
        .querySelector('textarea') as HTMLTextAreaElement;
      await userEvent.type(textarea, 'x');
      await waitFor(() =>
        expect(
          screen.queryByTestId('terminal-status-idle'),
        ).not.toBeInTheDocument(),
      );
    } finally {
      jest.useRealTimers();
    }
  });

  it('shows an idle warning without a deadline', async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => socket.receiveControl({ type: 'idle', idleSeconds: 45 }));
    expect(screen.getByTestId('terminal-status-idle')).toHaveTextContent(
      'Idle for 45 s',
    );
    expect(screen.getByTestId('terminal-status-idle')).not.toHaveTextContent(
      'disconnects',
    );
  });

  it.each([
    [4411, 'idle for 15 minutes', 'Disconnected after inactivity'],
    [4412, 'session reached its 8 hour limit', 'Session expired'],
    [4429, 'you have 5 open sessions (limit 5)', 'Too many terminal sessions'],
    [4503, 'audit store is down', 'Audit log unavailable'],
  ])(
    'explains close code %s with the server reason',
    async (code, reason, title) => {
      const { sockets } = await renderTerminal();
      const socket = await connectedSocket(sockets);
      act(() => socket.serverClose(code, reason));
      expect(screen.getByText(title)).toBeInTheDocument();
      expect(status()).toHaveTextContent(`Disconnected: ${reason}`);
      expect(screen.getByRole('alert')).toHaveTextContent(reason);
      expect(
        screen.getByRole('button', { name: 'Reconnect' }),
      ).toBeInTheDocument();
    },
  );

  it('describes a close code without a reason', async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    act(() => socket.serverClose(4429));
    expect(status()).toHaveTextContent(
      'Disconnected: you have too many open terminal sessions',
    );
  });

  it("says when the cluster itself refused, in full, not as the portal's permission", async () => {
    const { sockets } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    const message =
      'the cluster refused: pods "web-1" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "shop"';
    act(() => {
      socket.receiveControl({ type: 'error', reason: 'Forbidden', message });
      // The close frame's reason is cut at 123 bytes.
      socket.serverClose(4403, `${message.slice(0, 110)}…`);
    });
    const alert = await screen.findByText('The cluster refused');
    expect(alert.parentElement).toHaveTextContent(
      'pods "web-1" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "shop". The cluster\'s own access rules (Kubernetes RBAC) decide this for you',
    );
    expect(screen.queryByText('Permission denied')).not.toBeInTheDocument();
    expect(status()).toHaveTextContent(`Disconnected: ${message}`);
  });

  it('explains a denied session', async () => {
    const error = await responseError(
      403,
      'NotAllowedError',
      'denied by policy',
    );
    const { api } = await renderTerminal({
      createSession: jest.fn().mockRejectedValue(error),
    });
    expect(
      await screen.findByText(
        /You are not allowed to open a terminal on this entity/,
        {
          selector: '.MuiAlert-message',
        },
      ),
    ).toBeInTheDocument();
    expect(status()).toHaveTextContent(
      'Failed: You are not allowed to open a terminal on this entity',
    );
    expect(api.openStream).not.toHaveBeenCalled();
  });

  it('closes the socket when unmounted', async () => {
    const { sockets, rendered } = await renderTerminal();
    const socket = await connectedSocket(sockets);
    rendered.unmount();
    expect(socket.closeCalls).toEqual([
      { code: 1000, reason: 'closed by the user' },
    ]);
  });

  it('opens a search box', async () => {
    const { sockets } = await renderTerminal();
    await connectedSocket(sockets);
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(screen.getByLabelText('Search terminal')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Close search' }));
    expect(screen.queryByLabelText('Search terminal')).not.toBeInTheDocument();
  });

  describe('keyboard and clipboard', () => {
    const clipboard = {
      writeText: jest.fn(async () => {}),
      readText: jest.fn(async () => 'echo pasted'),
    };
    beforeEach(() => {
      Object.defineProperty(navigator, 'clipboard', {
        value: clipboard,
        configurable: true,
      });
    });
    afterEach(() => {
      delete (navigator as { clipboard?: unknown }).clipboard;
    });

    const textarea = () =>
      screen
        .getByTestId('terminal')
        .querySelector('textarea') as HTMLTextAreaElement;

    it('opens the search box on Ctrl+Shift+F without sending it to the shell', async () => {
      const { sockets } = await renderTerminal();
      const socket = await connectedSocket(sockets);
      textarea().focus();
      await userEvent.keyboard('{Control>}{Shift>}F{/Shift}{/Control}');
      expect(await screen.findByLabelText('Search terminal')).toHaveFocus();
      expect(socket.input()).toBe('');
    });

    it('pastes the clipboard into the shell', async () => {
      const { sockets } = await renderTerminal();
      const socket = await connectedSocket(sockets);
      await userEvent.click(screen.getByRole('button', { name: 'Paste' }));
      await waitFor(() => expect(socket.input()).toBe('echo pasted'));
    });
  });
});
