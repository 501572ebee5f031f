import { screen, waitFor } from '@testing-library/react';
import type { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { kubernetesTerminalApiRef } from '../../api';
import { terminalSessionsRouteRef } from '../../routes';
import { fakeSessionsApi, permissionApi } from '../../__testUtils__/sessions';
import { EntityTerminalSessionsCard } from './EntityTerminalSessionsCard';

const ALLOWED: string[] = [];

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

describe('EntityTerminalSessionsCard without audit.read', () => {
  it('says when there are no sessions, and that only own sessions show without audit.read', async () => {
    const api = fakeSessionsApi();
    await renderCard({ api });
    expect(
      await screen.findByText('No terminal sessions for this entity yet.'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByTestId('audit-read-hint')).toHaveTextContent(
        "Only your own sessions are shown; members with kubernetes.terminal.audit.read see everyone's.",
      ),
    );
  });
});
