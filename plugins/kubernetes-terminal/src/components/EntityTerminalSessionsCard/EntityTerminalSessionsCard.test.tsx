import { screen, within } from '@testing-library/react';
import type { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { kubernetesTerminalApiRef } from '../../api';
import { terminalSessionsRouteRef } from '../../routes';
import {
  fakeSessionsApi,
  permissionApi,
  sessionRecord,
} from '../../__testUtils__/sessions';
import { EntityTerminalSessionsCard } from './EntityTerminalSessionsCard';

// usePermission caches decisions per test file, so the denied case has a file of its own.
const ALLOWED = ['kubernetes.terminal.audit.read'];

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'web',
    annotations: { 'backstage.io/kubernetes-id': 'web' },
  },
};

async function renderCard(options: {
  api: ReturnType<typeof fakeSessionsApi>;
  mountSessionsPage?: boolean;
}) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubernetesTerminalApiRef, options.api],
        [permissionApiRef, permissionApi(ALLOWED)],
      ]}
    >
      <EntityProvider entity={entity}>
        <EntityTerminalSessionsCard />
      </EntityProvider>
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        ...(options.mountSessionsPage === false
          ? {}
          : { '/kubernetes-terminal': terminalSessionsRouteRef }),
      },
    },
  );
}

describe('EntityTerminalSessionsCard', () => {
  it("lists the entity's recent sessions and links to the filtered sessions page", async () => {
    const api = fakeSessionsApi({
      listSessions: jest.fn().mockResolvedValue({
        items: [
          sessionRecord(),
          sessionRecord({
            id: 'session-2',
            userEntityRef: 'user:default/bob',
            pod: 'web-2',
            status: 'closed',
          }),
        ],
      }),
    });
    await renderCard({ api });

    expect(
      await screen.findByText('Recent terminal sessions'),
    ).toBeInTheDocument();
    expect(api.listSessions).toHaveBeenCalledWith({
      entityRef: 'component:default/web',
      limit: 5,
    });
    const table = within(
      await screen.findByRole('table', { name: 'Recent terminal sessions' }),
    );
    const rows = table.getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('alice');
    expect(rows[1]).toHaveTextContent('Active');
    expect(rows[1]).toHaveTextContent('5 minutes ago');
    expect(
      within(rows[1]).getByRole('link', { name: 'prod/shop/web-1/app' }),
    ).toHaveAttribute('href', '/kubernetes-terminal/sessions/session-1');
    expect(rows[2]).toHaveTextContent('bob');
    expect(rows[2]).toHaveTextContent('Closed');

    expect(
      screen.getByRole('link', { name: /View all sessions/ }),
    ).toHaveAttribute(
      'href',
      '/kubernetes-terminal?entityRef=component%3Adefault%2Fweb&sessions=all',
    );
    expect(screen.queryByTestId('audit-read-hint')).not.toBeInTheDocument();
  });

  it('works without the sessions page, just without links', async () => {
    const api = fakeSessionsApi({
      listSessions: jest.fn().mockResolvedValue({ items: [sessionRecord()] }),
    });
    await renderCard({ api, mountSessionsPage: false });
    expect(await screen.findByText('prod/shop/web-1/app')).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'prod/shop/web-1/app' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /View all sessions/ }),
    ).not.toBeInTheDocument();
  });
});
