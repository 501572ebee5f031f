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
import { loadTabSession, saveTabSession } from '../../hooks/tabSession';
import { KubernetesTerminal } from './KubernetesTerminal';

const target = {
  cluster: 'local',
  namespace: 'default',
  pod: 'web-1',
  container: 'app',
};

const resumed = { ...session, ticket: 'ticket-2' };

async function renderTerminal(overrides: Partial<KubernetesTerminalApi> = {}) {
  const sockets: FakeWebSocket[] = [];
  const api = {
    getTargets: jest.fn(),
    createSession: jest.fn().mockResolvedValue(session),
    resumeSession: jest.fn().mockResolvedValue(resumed),
    openStream: jest.fn(async () => {
      const socket = new FakeWebSocket();
      sockets.push(socket);
      return socket.asWebSocket();
    }),
    ...overrides,
  };
  await renderInTestApp(
    <TestApiProvider apis={[[kubernetesTerminalApiRef, api]]}>
      <KubernetesTerminal entityRef={entityRef} target={target} />
    </TestApiProvider>,
  );
  return { api, sockets };
}

async function open(sockets: FakeWebSocket[], index: number, hello = true) {
  await waitFor(() => expect(sockets[index]).toBeDefined());
  const socket = sockets[index];
  act(() => {
    socket.open();
    if (hello) {
      socket.receiveControl({
        type: 'hello',
        version: 1,
        sessionId: session.sessionId,
        target,
        resumeGraceSeconds: 120,
      });
    }
  });
  return socket;
}

const connected = (socket: FakeWebSocket) =>
  act(() =>
    socket.receiveControl({
      type: 'connected',
      shell: 'bash',
      protocol: 'v5.channel.k8s.io',
    }),
  );

const screenText = () =>
  screen.getByTestId('terminal').querySelector('.xterm-rows')?.textContent ??
  '';
const state = () => screen.getByTestId('terminal-status-state');
const textarea = () =>
  screen
    .getByTestId('terminal')
    .querySelector('textarea') as HTMLTextAreaElement;

describe('KubernetesTerminal keeps its session across a lost socket', () => {
  afterEach(() => window.sessionStorage.clear());

  it('resumes from the bytes it holds, and sends what was typed meanwhile', async () => {
    const { api, sockets } = await renderTerminal();
    const first = await open(sockets, 0);
    connected(first);
    act(() => first.receiveOutput('$ sleep 3; echo done\r\n'));
    await waitFor(() => expect(screenText()).toContain('sleep 3'));

    act(() => first.serverClose(1006));
    await waitFor(() =>
      expect(state()).toHaveTextContent(/Connection lost — reconnecting/),
    );
    // Not written into the terminal, whose screen must come back exactly as the shell drew it.
    expect(screenText()).not.toContain('reconnecting');
    await userEvent.type(textarea(), 'ls');
    await waitFor(() =>
      expect(state()).toHaveTextContent('2 typed bytes wait to be sent'),
    );

    await waitFor(() =>
      expect(api.resumeSession).toHaveBeenCalledWith(session.sessionId, {
        offset: new TextEncoder().encode('$ sleep 3; echo done\r\n').length,
      }),
    );
    expect(api.openStream).toHaveBeenLastCalledWith(resumed);
    const second = await open(sockets, 1);
    act(() => second.receiveControl({ type: 'resumed', from: 22, missed: 0 }));
    connected(second);
    act(() => second.receiveOutput('done\r\n$ '));
    await waitFor(() => expect(state()).toHaveTextContent('Connected (bash)'));
    await waitFor(() => expect(screenText()).toContain('done'));
    expect(second.input()).toBe('ls');
    expect(api.createSession).toHaveBeenCalledTimes(1);
  });

  it('says so when the session ended while away, and offers a new one', async () => {
    const { api, sockets } = await renderTerminal({
      resumeSession: jest
        .fn()
        .mockRejectedValue(
          await responseError(
            409,
            'ConflictError',
            'terminal session session-1 has ended (closed): the browser did not come back within 2 min of losing its connection',
          ),
        ),
    });
    const first = await open(sockets, 0);
    connected(first);
    act(() => first.serverClose(1006));
    await waitFor(() =>
      expect(state()).toHaveTextContent(
        'Disconnected: the session ended while the connection was lost: the browser did not come back within 2 min of losing its connection',
      ),
    );
    expect(api.resumeSession).toHaveBeenCalledTimes(1);
    expect(loadTabSession(entityRef)).toBeUndefined();
    expect(screen.getByRole('button', { name: 'Reconnect' })).toBeEnabled();
  });

  it('ends at once on Disconnect: the socket closes with 1000 and nothing is resumed', async () => {
    const { api, sockets } = await renderTerminal();
    const first = await open(sockets, 0);
    connected(first);
    await userEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    expect(first.closeCalls).toEqual([
      { code: 1000, reason: 'closed by the user' },
    ]);
    expect(api.resumeSession).not.toHaveBeenCalled();
    expect(loadTabSession(entityRef)).toBeUndefined();
  });

  it('does not resume a session the backend closed on purpose', async () => {
    const { api, sockets } = await renderTerminal();
    const first = await open(sockets, 0);
    connected(first);
    act(() => first.serverClose(4411, 'ended after 30 min without input'));
    await waitFor(() =>
      expect(state()).toHaveTextContent(
        'Disconnected: ended after 30 min without input',
      ),
    );
    expect(api.resumeSession).not.toHaveBeenCalled();
  });

  it('after a reload, puts the saved screen back and resumes from what it holds', async () => {
    saveTabSession({
      entityRef,
      target,
      sessionId: session.sessionId,
      offset: 40,
      screen: 'restored-screen-line\r\n$ ',
      graceSeconds: 120,
      savedAt: Date.now(),
    });
    const { api, sockets } = await renderTerminal();
    await waitFor(() =>
      expect(api.resumeSession).toHaveBeenCalledWith(session.sessionId, {
        offset: 40,
      }),
    );
    expect(api.createSession).not.toHaveBeenCalled();
    await waitFor(() => expect(screenText()).toContain('restored-screen-line'));
    const socket = await open(sockets, 0);
    act(() => socket.receiveControl({ type: 'resumed', from: 40, missed: 0 }));
    connected(socket);
    await waitFor(() => expect(state()).toHaveTextContent('Connected (bash)'));
  });

  it('saves the screen and the bytes it shows when the page goes away', async () => {
    const { sockets } = await renderTerminal();
    const first = await open(sockets, 0);
    connected(first);
    act(() => first.receiveOutput('kept-on-reload\r\n'));
    await waitFor(() => expect(screenText()).toContain('kept-on-reload'));
    act(() => {
      window.dispatchEvent(new Event('pagehide'));
    });
    const saved = loadTabSession(entityRef);
    expect(saved).toMatchObject({
      sessionId: session.sessionId,
      offset: 16,
      graceSeconds: 120,
      target,
    });
    expect(saved?.screen).toContain('kept-on-reload');
  });
});
