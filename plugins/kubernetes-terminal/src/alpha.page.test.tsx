import { screen, within } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { kubernetesTerminalApiRef } from './api';
import plugin from './alpha';
import { fakeSessionsApi, permissionApi } from './__testUtils__/sessions';

describe('Terminal sessions page in the new frontend system', () => {
  it('renders at /kubernetes-terminal with its title, nav item and both tables', async () => {
    const api = fakeSessionsApi();
    renderTestApp({
      features: [plugin],
      initialRouteEntries: ['/kubernetes-terminal'],
      apis: [
        [kubernetesTerminalApiRef, api],
        [permissionApiRef, permissionApi(['kubernetes.terminal.audit.read'])],
      ],
    });
    // The page is loaded lazily, which takes a while the first time in Jest.
    expect(
      await screen.findByRole(
        'heading',
        { name: 'Live sessions' },
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'Audit log' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'Terminals', level: 1 }),
    ).toBeInTheDocument();
    expect(
      within(screen.getByRole('navigation', { name: 'sidebar nav' })).getByRole(
        'link',
        { name: 'Terminals' },
      ),
    ).toHaveAttribute('href', '/kubernetes-terminal');
    expect(api.listSessions).toHaveBeenCalled();
  });
});
