import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alertApiRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import type { TerminalSessionDetail as Detail } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { TERMINATE_DENIED_REASON } from '../../hooks/useSessionPermissions';
import { terminalSessionsRouteRef } from '../../routes';
import { responseError } from '../../__testUtils__/fixtures';
import {
  auditEvent,
  fakeSessionsApi,
  sessionRecord,
} from '../../__testUtils__/sessions';
import { TerminalSessionDetail } from './TerminalSessionDetail';

function detail(overrides: Partial<Detail> = {}): Detail {
  return {
    session: sessionRecord({
      clientIp: '10.0.0.7',
      expiresAt: '2030-01-01T00:00:00.000Z',
    }),
    events: [
      auditEvent({
        id: 'e1',
        type: 'connect',
        command: undefined,
        createdAt: '2024-05-01T10:00:00.000Z',
      }),
      auditEvent({
        id: 'e2',
        command: 'cat /etc/os-release',
        createdAt: '2024-05-01T10:01:00.000Z',
      }),
      auditEvent({
        id: 'e3',
        type: 'terminate',
        command: undefined,
        userEntityRef: 'user:default/admin',
        details: { reason: 'cleanup' },
        createdAt: '2024-05-01T10:02:00.000Z',
      }),
    ],
    canTerminate: true,
    ...overrides,
  };
}

async function renderDetail(api: ReturnType<typeof fakeSessionsApi>) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubernetesTerminalApiRef, api],
        [alertApiRef, { post: jest.fn() }],
      ]}
    >
      <TerminalSessionDetail sessionId="session-1" />
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/kubernetes-terminal': terminalSessionsRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

describe('TerminalSessionDetail', () => {
  it('shows the metadata and the event timeline, oldest first', async () => {
    const api = fakeSessionsApi({
      getSession: jest.fn().mockResolvedValue(detail()),
    });
    await renderDetail(api);

    expect(
      await screen.findByRole('heading', { name: 'Session session-1' }),
    ).toBeInTheDocument();
    expect(api.getSession).toHaveBeenCalledWith('session-1');
    expect(screen.getByRole('link', { name: /All sessions/ })).toHaveAttribute(
      'href',
      '/kubernetes-terminal',
    );
    const metadata = within(screen.getByLabelText('Session metadata'));
    expect(metadata.getByText('prod (public)')).toBeInTheDocument();
    expect(metadata.getByText('web-1')).toBeInTheDocument();
    expect(metadata.getByText('10.0.0.7')).toBeInTheDocument();
    expect(metadata.getByText('bash')).toBeInTheDocument();
    expect(metadata.queryByText('End reason')).not.toBeInTheDocument();

    const events = screen.getAllByTestId('session-event');
    expect(events).toHaveLength(3);
    expect(events[0]).toHaveTextContent('Connect');
    const command = within(events[1]).getByText('cat /etc/os-release');
    expect(command.tagName).toBe('CODE');
    expect(events[2]).toHaveTextContent('Terminate');
    // Named as the catalog presents them (without a catalog: the ref's name).
    expect(events[2]).toHaveTextContent('by admin');
    expect(events[2]).toHaveTextContent('reason: cleanup');
  });

  it('terminates a live session and reloads it', async () => {
    const api = fakeSessionsApi({
      getSession: jest
        .fn()
        .mockResolvedValueOnce(detail())
        .mockResolvedValue(
          detail({
            session: sessionRecord({ status: 'terminated' }),
            canTerminate: false,
          }),
        ),
    });
    await renderDetail(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Terminate' }),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Terminate session' }),
    );
    await waitFor(() =>
      expect(api.terminateSession).toHaveBeenCalledWith('session-1'),
    );
    expect(await screen.findByText('Terminated')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Terminate' }),
    ).not.toBeInTheDocument();
  });

  it('disables Terminate with the reason when the backend says the user may not', async () => {
    const api = fakeSessionsApi({
      getSession: jest.fn().mockResolvedValue(
        detail({
          session: sessionRecord({ userEntityRef: 'user:default/bob' }),
          canTerminate: false,
        }),
      ),
    });
    await renderDetail(api);
    const button = await screen.findByRole('button', { name: 'Terminate' });
    expect(button).toBeDisabled();
    await userEvent.hover(button.parentElement!);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      TERMINATE_DENIED_REASON,
    );
  });

  it('says so when the session does not exist', async () => {
    const api = fakeSessionsApi({
      getSession: jest
        .fn()
        .mockRejectedValue(
          await responseError(404, 'NotFoundError', 'no such session'),
        ),
    });
    await renderDetail(api);
    expect(
      await screen.findByText('Session session-1 was not found.'),
    ).toBeInTheDocument();
  });

  it("explains that other users' sessions need audit.read", async () => {
    const api = fakeSessionsApi({
      getSession: jest
        .fn()
        .mockRejectedValue(
          await responseError(403, 'NotAllowedError', 'not yours'),
        ),
    });
    await renderDetail(api);
    expect(
      await screen.findByText(/need kubernetes.terminal.audit.read/),
    ).toBeInTheDocument();
  });
});
