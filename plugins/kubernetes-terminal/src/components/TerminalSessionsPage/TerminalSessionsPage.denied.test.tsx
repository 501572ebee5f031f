import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  AUDIT_READ_HINT,
  EXPORT_DENIED_REASON,
  TERMINATE_DENIED_REASON,
  USER_FILTER_DENIED_REASON,
} from '../../hooks/useSessionPermissions';
import { renderSessionsPage } from '../../__testUtils__/renderSessionsPage';
import { fakeSessionsApi, sessionRecord } from '../../__testUtils__/sessions';
import { TerminalSessionsContent } from './TerminalSessionsContent';

// A file of its own: usePermission caches decisions per test file.

function renderPage(
  options: { api?: ReturnType<typeof fakeSessionsApi>; route?: string } = {},
) {
  return renderSessionsPage(<TerminalSessionsContent refreshIntervalMs={0} />, {
    ...options,
    allowed: [],
  });
}

const rowOf = (text: string) => screen.getByText(text).closest('tr')!;

describe('TerminalSessionsContent', () => {
  describe('without audit.read and terminate permissions', () => {
    it('explains that only own sessions are shown and disables the user filter', async () => {
      await renderPage();
      expect(await screen.findByTestId('audit-read-hint')).toHaveTextContent(
        AUDIT_READ_HINT,
      );
      expect(screen.getByLabelText('User')).toBeDisabled();
      expect(screen.getByText(USER_FILTER_DENIED_REASON)).toBeInTheDocument();
    });

    it("does not ask for the agents' health", async () => {
      const api = await renderPage();
      await screen.findByTestId('audit-read-hint');
      expect(api.listAgents).not.toHaveBeenCalled();
    });

    it('drops a user filter from a shared link', async () => {
      const api = await renderPage({
        route: '/kubernetes-terminal?user=user%3Adefault%2Fbob&cluster=prod',
      });
      await screen.findByTestId('audit-read-hint');
      await waitFor(() =>
        expect(api.listAuditEvents).toHaveBeenLastCalledWith({
          cluster: 'prod',
          limit: 50,
        }),
      );
      expect(api.listSessions).toHaveBeenLastCalledWith({
        cluster: 'prod',
        status: ['active', 'idle', 'detached'],
        limit: 100,
      });
    });

    it('disables the exports with the reason', async () => {
      await renderPage();
      await screen.findByTestId('audit-read-hint');
      expect(screen.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
      expect(
        screen.getByRole('button', { name: 'Export JSON' }),
      ).toBeDisabled();
      expect(screen.getByTestId('export-denied-reason')).toHaveTextContent(
        EXPORT_DENIED_REASON,
      );
    });

    it("disables Terminate on others' sessions with the reason, but not on the user's own", async () => {
      const api = fakeSessionsApi({
        listSessions: jest.fn().mockResolvedValue({
          items: [
            sessionRecord(),
            sessionRecord({
              id: 'session-2',
              userEntityRef: 'user:default/bob',
              pod: 'web-2',
            }),
          ],
        }),
      });
      await renderPage({ api });
      await screen.findByText('prod/shop/web-2/app');
      await screen.findByTestId('audit-read-hint');

      const own = within(rowOf('prod/shop/web-1/app')).getByRole('button', {
        name: 'Terminate',
      });
      await waitFor(() => expect(own).toBeEnabled());

      const others = within(rowOf('prod/shop/web-2/app')).getByRole('button', {
        name: 'Terminate',
      });
      expect(others).toBeDisabled();
      await userEvent.hover(others.parentElement!);
      expect(await screen.findByRole('tooltip')).toHaveTextContent(
        TERMINATE_DENIED_REASON,
      );
    });
  });
});
