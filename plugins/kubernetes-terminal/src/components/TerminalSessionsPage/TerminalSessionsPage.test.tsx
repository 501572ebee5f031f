import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderSessionsPage } from '../../__testUtils__/renderSessionsPage';
import { responseError } from '../../__testUtils__/fixtures';
import {
  auditEvent,
  fakeSessionsApi,
  sessionRecord,
} from '../../__testUtils__/sessions';
import { TerminalSessionsContent } from './TerminalSessionsContent';
import { TerminalSessionsPage } from './TerminalSessionsPage';

function renderPage(
  options: {
    api?: ReturnType<typeof fakeSessionsApi>;
    route?: string;
    refreshIntervalMs?: number;
  } = {},
) {
  return renderSessionsPage(
    <TerminalSessionsContent
      refreshIntervalMs={options.refreshIntervalMs ?? 0}
    />,
    options,
  );
}

const sessionsSection = () => screen.getByRole('region', { name: /sessions/i });
const auditSection = () => screen.getByRole('region', { name: 'Audit log' });
const rowOf = (text: string) => screen.getByText(text).closest('tr')!;

describe('TerminalSessionsContent', () => {
  it('lists live sessions with their user, entity, target, kind, status and times', async () => {
    const api = fakeSessionsApi({
      listSessions: jest.fn().mockResolvedValue({
        items: [
          sessionRecord(),
          sessionRecord({
            id: 'session-2',
            userEntityRef: 'user:default/bob',
            pod: 'web-2',
            status: 'idle',
            kind: 'session-pod',
          }),
        ],
      }),
    });
    await renderPage({ api });

    expect(await screen.findByText('prod/shop/web-1/app')).toBeInTheDocument();
    expect(api.listSessions).toHaveBeenCalledWith({
      status: ['active', 'idle', 'detached'],
      limit: 100,
    });
    expect(
      screen.getByRole('heading', { name: 'Live sessions' }),
    ).toBeInTheDocument();
    const first = within(rowOf('prod/shop/web-1/app'));
    expect(first.getByText('alice')).toBeInTheDocument();
    expect(first.getByText('web')).toHaveAttribute(
      'title',
      'component:default/web',
    );
    expect(first.getByText('Shell in container')).toBeInTheDocument();
    expect(first.getByText('Active')).toBeInTheDocument();
    expect(first.getByText('5 minutes ago')).toBeInTheDocument();
    expect(first.getByText(/^3\d seconds ago$/)).toBeInTheDocument();
    expect(
      first.getByRole('link', { name: 'Session session-1' }),
    ).toHaveAttribute('href', '/kubernetes-terminal/sessions/session-1');

    const second = within(rowOf('prod/shop/web-2/app'));
    expect(second.getByText('bob')).toBeInTheDocument();
    expect(second.getByText('Idle')).toBeInTheDocument();
    expect(second.getByText('kubectl session pod')).toBeInTheDocument();
    expect(screen.queryByTestId('audit-read-hint')).not.toBeInTheDocument();
  });

  it('refreshes the live sessions periodically', async () => {
    const api = await renderPage({ refreshIntervalMs: 50 });
    await waitFor(() =>
      expect(api.listSessions.mock.calls.length).toBeGreaterThanOrEqual(3),
    );
  });

  it('lists audit events with commands in monospace and links to their session', async () => {
    const api = fakeSessionsApi({
      listAuditEvents: jest.fn().mockResolvedValue({
        items: [
          auditEvent(),
          auditEvent({
            id: 'event-2',
            type: 'resize',
            command: undefined,
            details: { cols: 120, rows: 40 },
          }),
        ],
      }),
    });
    await renderPage({ api });
    const command = await within(auditSection()).findByText('ls -la /tmp');
    expect(command.tagName).toBe('CODE');
    expect(api.listAuditEvents).toHaveBeenCalledWith({ limit: 50 });
    expect(within(auditSection()).getByText('120×40')).toBeInTheDocument();
    expect(
      within(rowOf('ls -la /tmp')).getByText('Command'),
    ).toBeInTheDocument();
    expect(
      within(auditSection()).getAllByRole('link', {
        name: 'Session session-1',
      }),
    ).toHaveLength(2);
    expect(screen.getByTestId('audit-count')).toHaveTextContent(
      'Showing 2 events',
    );
  });

  it('translates the filters into the queries of both tables and the URL', async () => {
    const api = await renderPage();
    await waitFor(() => expect(api.listAuditEvents).toHaveBeenCalledTimes(1));
    // No timer between keys: 30 characters typed one timer each were most of this test's time.
    const user = userEvent.setup({ delay: null });

    await user.type(screen.getByLabelText('User'), 'alice');
    await user.type(screen.getByLabelText('Entity'), 'web');
    await user.type(screen.getByLabelText('Cluster'), 'prod');
    await user.type(screen.getByLabelText('Namespace'), 'shop');
    await user.type(screen.getByLabelText('Command contains'), 'rm -rf');
    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: '2024-05-01T10:00' },
    });
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2024-05-02T18:30' },
    });
    await user.click(screen.getByRole('button', { name: /Event types/ }));
    const listbox = within(screen.getByRole('listbox'));
    await user.click(listbox.getByRole('option', { name: 'Connect' }));
    await user.click(listbox.getByRole('option', { name: 'Command' }));
    await user.keyboard('{Escape}');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));

    const expectedAudit = {
      user: 'user:default/alice',
      entityRef: 'component:default/web',
      cluster: 'prod',
      namespace: 'shop',
      type: ['connect', 'command_executed'],
      from: new Date('2024-05-01T10:00').toISOString(),
      to: new Date('2024-05-02T18:30').toISOString(),
      q: 'rm -rf',
      cursor: undefined,
      limit: 50,
    };
    await waitFor(() =>
      expect(api.listAuditEvents).toHaveBeenLastCalledWith(expectedAudit),
    );
    expect(api.listSessions).toHaveBeenLastCalledWith({
      user: 'user:default/alice',
      entityRef: 'component:default/web',
      cluster: 'prod',
      namespace: 'shop',
      status: ['active', 'idle', 'detached'],
      limit: 100,
    });
    // The applied filters stay in the form.
    expect(screen.getByLabelText('User')).toHaveValue('user:default/alice');
    expect(screen.getByLabelText('From')).toHaveValue('2024-05-01T10:00');

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() =>
      expect(api.listAuditEvents).toHaveBeenLastCalledWith({ limit: 50 }),
    );
    expect(screen.getByLabelText('User')).toHaveValue('');
  });

  it('applies filters from the URL, including ended sessions', async () => {
    const api = await renderPage({
      route:
        '/kubernetes-terminal?entityRef=component%3Adefault%2Fweb&sessions=all&type=denied',
    });
    await waitFor(() =>
      expect(api.listSessions).toHaveBeenCalledWith({
        entityRef: 'component:default/web',
        limit: 100,
      }),
    );
    expect(api.listAuditEvents).toHaveBeenCalledWith(
      expect.objectContaining({
        entityRef: 'component:default/web',
        type: ['denied'],
      }),
    );
    expect(screen.getByLabelText('Entity')).toHaveValue(
      'component:default/web',
    );
    expect(
      screen.getByRole('heading', { name: 'Sessions' }),
    ).toBeInTheDocument();
    const toggle = screen.getByRole('checkbox', {
      name: 'Show ended sessions',
    });
    expect(toggle).toBeChecked();

    await userEvent.click(toggle);
    await waitFor(() =>
      expect(api.listSessions).toHaveBeenLastCalledWith({
        entityRef: 'component:default/web',
        status: ['active', 'idle', 'detached'],
        limit: 100,
      }),
    );
    expect(
      screen.getByRole('heading', { name: 'Live sessions' }),
    ).toBeInTheDocument();
  });

  it('loads more audit events with the next cursor', async () => {
    const api = fakeSessionsApi({
      listAuditEvents: jest
        .fn()
        .mockResolvedValueOnce({
          items: [auditEvent({ id: 'e1', command: 'first' })],
          nextCursor: 'cursor-2',
        })
        .mockResolvedValueOnce({
          items: [auditEvent({ id: 'e2', command: 'second' })],
        }),
    });
    await renderPage({ api });
    expect(await screen.findByText('first')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('second')).toBeInTheDocument();
    expect(screen.getByText('first')).toBeInTheDocument();
    expect(api.listAuditEvents).toHaveBeenLastCalledWith({
      cursor: 'cursor-2',
      limit: 50,
    });
    expect(
      screen.queryByRole('button', { name: 'Load more' }),
    ).not.toBeInTheDocument();
    expect(screen.getByTestId('audit-count')).toHaveTextContent(
      'Showing 2 events',
    );
  });

  it("shows the private clusters' agents: connected ones with version, token and replica, absent ones with why", async () => {
    const api = fakeSessionsApi({
      listAgents: jest.fn().mockResolvedValue({
        items: [
          {
            cluster: 'prod-eu',
            connected: true,
            connections: [
              {
                tokenId: 'prod-eu-1',
                version: '0.1.0',
                apiServer: 'kubernetes.default.svc:443',
                since: new Date(Date.now() - 120_000).toISOString(),
                replica: 'http://10.0.0.12:7007/api/kubernetes-terminal',
                remoteAddress: '198.51.100.7',
                openStreams: 3,
              },
            ],
          },
          {
            cluster: 'prod-us',
            connected: false,
            connections: [],
            lastSeen: new Date(Date.now() - 600_000).toISOString(),
            lastError: 'tunnel closed (1006)',
          },
        ],
      }),
    });
    await renderPage({ api });
    const section = await screen.findByRole('region', {
      name: 'Private cluster agents',
    });
    const connected = within(section).getByText('prod-eu').closest('tr')!;
    expect(within(connected).getByText('Connected')).toBeInTheDocument();
    expect(within(connected).getByText('0.1.0')).toBeInTheDocument();
    expect(within(connected).getByText('prod-eu-1')).toBeInTheDocument();
    expect(within(connected).getByText('2 minutes ago')).toBeInTheDocument();
    expect(
      within(connected).getByText(
        'relays to kubernetes.default.svc:443, from 198.51.100.7, 3 open connections',
      ),
    ).toBeInTheDocument();
    const away = within(section).getByText('prod-us').closest('tr')!;
    expect(within(away).getByText('Not connected')).toBeInTheDocument();
    expect(within(away).getByText('10 minutes ago')).toBeInTheDocument();
    expect(within(away).getByText('tunnel closed (1006)')).toBeInTheDocument();
  });

  it('shows no agents section where no cluster has an agent', async () => {
    const api = await renderPage();
    await waitFor(() => expect(api.listAgents).toHaveBeenCalled());
    expect(
      screen.queryByRole('region', { name: 'Private cluster agents' }),
    ).not.toBeInTheDocument();
  });

  describe('export', () => {
    const createObjectURL = jest.fn(() => 'blob:export');
    const revokeObjectURL = jest.fn();
    let clicked: HTMLAnchorElement[];

    beforeEach(() => {
      clicked = [];
      Object.assign(URL, { createObjectURL, revokeObjectURL });
      jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(function record(this: HTMLAnchorElement) {
          clicked.push(this);
        });
    });
    afterEach(() => jest.restoreAllMocks());

    it.each([
      ['Export CSV', 'csv'],
      ['Export JSON', 'json'],
    ])('%s downloads the filtered audit log', async (button, format) => {
      const blob = new Blob(['x']);
      const api = fakeSessionsApi({
        exportAuditEvents: jest.fn().mockResolvedValue({
          blob,
          filename: `audit.${format}`,
        }),
      });
      await renderPage({
        api,
        route: '/kubernetes-terminal?cluster=prod&type=denied',
      });
      await userEvent.click(
        await screen.findByRole('button', { name: button }),
      );
      await waitFor(() => expect(clicked).toHaveLength(1));
      expect(api.exportAuditEvents).toHaveBeenCalledWith(
        expect.objectContaining({ cluster: 'prod', type: ['denied'] }),
        format,
      );
      expect(api.exportAuditEvents.mock.calls[0][0].cursor).toBeUndefined();
      expect(createObjectURL).toHaveBeenCalledWith(blob);
      expect(clicked[0].download).toBe(`audit.${format}`);
      expect(clicked[0].href).toBe('blob:export');
    });

    it('reports a failed export', async () => {
      const api = fakeSessionsApi({
        exportAuditEvents: jest
          .fn()
          .mockRejectedValue(
            await responseError(503, 'ServiceUnavailableError', 'store down'),
          ),
      });
      const { alerts } = await renderPage({ api });
      await userEvent.click(
        await screen.findByRole('button', { name: 'Export CSV' }),
      );
      await waitFor(() =>
        expect(alerts.post).toHaveBeenCalledWith({
          message: 'Could not export the audit log: store down',
          severity: 'error',
        }),
      );
      expect(clicked).toHaveLength(0);
    });
  });

  describe('terminate', () => {
    it('asks for confirmation, terminates, and refreshes the list', async () => {
      const api = fakeSessionsApi({
        listSessions: jest
          .fn()
          .mockResolvedValueOnce({ items: [sessionRecord()] })
          .mockResolvedValue({ items: [] }),
      });
      await renderPage({ api });
      const row = within(
        rowOf(
          await screen
            .findByText('prod/shop/web-1/app')
            .then(e => e.textContent!),
        ),
      );
      await userEvent.click(row.getByRole('button', { name: 'Terminate' }));

      const dialog = within(screen.getByRole('dialog'));
      expect(dialog.getByText('Terminate session?')).toBeInTheDocument();
      expect(dialog.getByText('prod/shop/web-1/app')).toBeInTheDocument();
      await userEvent.click(
        dialog.getByRole('button', { name: 'Terminate session' }),
      );

      await waitFor(() =>
        expect(api.terminateSession).toHaveBeenCalledWith('session-1'),
      );
      await waitFor(() => expect(api.listSessions).toHaveBeenCalledTimes(2));
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(
        await screen.findByText('No live sessions match the filters.'),
      ).toBeInTheDocument();
    });

    it('keeps the confirmation open while the list refreshes behind it', async () => {
      // A fresh copy of the session at each refresh, as the backend answers.
      const api = fakeSessionsApi({
        listSessions: jest.fn(async () => ({ items: [sessionRecord()] })),
      });
      await renderPage({ api, refreshIntervalMs: 400 });
      await screen.findByText('prod/shop/web-1/app');
      // At once: the rows are made anew at each refresh, and a slow click could miss its row.
      fireEvent.click(screen.getByRole('button', { name: 'Terminate' }));
      expect(screen.getByRole('dialog')).toBeInTheDocument();
      const calls = api.listSessions.mock.calls.length;
      await waitFor(
        () =>
          expect(api.listSessions.mock.calls.length).toBeGreaterThan(calls + 2),
        { timeout: 3000 },
      );
      expect(
        within(screen.getByRole('dialog')).getByText('Terminate session?'),
      ).toBeInTheDocument();
    });

    it('does nothing when the confirmation is cancelled', async () => {
      const api = fakeSessionsApi({
        listSessions: jest.fn().mockResolvedValue({ items: [sessionRecord()] }),
      });
      await renderPage({ api });
      await screen.findByText('prod/shop/web-1/app');
      await userEvent.click(screen.getByRole('button', { name: 'Terminate' }));
      await userEvent.click(
        within(screen.getByRole('dialog')).getByRole('button', {
          name: 'Cancel',
        }),
      );
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.terminateSession).not.toHaveBeenCalled();
    });

    it('shows why the backend refused', async () => {
      const api = fakeSessionsApi({
        listSessions: jest.fn().mockResolvedValue({ items: [sessionRecord()] }),
        terminateSession: jest
          .fn()
          .mockRejectedValue(
            await responseError(409, 'ConflictError', 'session is not live'),
          ),
      });
      await renderPage({ api });
      await screen.findByText('prod/shop/web-1/app');
      await userEvent.click(screen.getByRole('button', { name: 'Terminate' }));
      await userEvent.click(
        screen.getByRole('button', { name: 'Terminate session' }),
      );
      expect(
        await within(screen.getByRole('dialog')).findByText(
          'session is not live',
        ),
      ).toBeInTheDocument();
    });
  });

  it('shows a failure to list sessions', async () => {
    const api = fakeSessionsApi({
      listSessions: jest
        .fn()
        .mockRejectedValue(
          await responseError(500, 'Error', 'database unavailable'),
        ),
    });
    await renderPage({ api });
    expect(
      (
        await within(sessionsSection()).findAllByText(/database unavailable/)
      )[0],
    ).toBeInTheDocument();
  });

  it('opens the session page from the table', async () => {
    const api = fakeSessionsApi({
      listSessions: jest.fn().mockResolvedValue({ items: [sessionRecord()] }),
      getSession: jest.fn().mockResolvedValue({
        session: sessionRecord(),
        events: [auditEvent()],
        canTerminate: true,
      }),
    });
    await renderPage({ api });
    await userEvent.click(
      await screen.findByRole('link', { name: 'Session session-1' }),
    );
    expect(
      await screen.findByRole('heading', { name: 'Session session-1' }),
    ).toBeInTheDocument();
    expect(api.getSession).toHaveBeenCalledWith('session-1');
  });

  it('has its own header in the legacy app', async () => {
    await renderSessionsPage(<TerminalSessionsPage />);
    expect(
      screen.getByRole('heading', { name: 'Terminal sessions', level: 1 }),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('heading', { name: 'Live sessions', level: 2 }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'Audit log', level: 2 }),
    ).toBeInTheDocument();
  });
});
