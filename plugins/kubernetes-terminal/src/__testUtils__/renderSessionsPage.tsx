import type { ReactElement } from 'react';
import { Route, Routes } from 'react-router-dom';
import { alertApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import { kubernetesTerminalApiRef } from '../api';
import { terminalSessionsRouteRef } from '../routes';
import { fakeSessionsApi, permissionApi } from './sessions';

/** @internal */
export const ALL_PERMISSIONS = [
  'kubernetes.terminal.audit.read',
  'kubernetes.terminal.session.terminate',
];

/**
 * Renders an element of the sessions page as the app mounts it: under `/kubernetes-terminal/*`,
 * signed in as user:default/alice.
 *
 * usePermission caches decisions for the whole test file (SWR), so keep one set of allowed
 * permissions per file.
 *
 * @internal
 */
export async function renderSessionsPage(
  element: ReactElement,
  options: {
    api?: ReturnType<typeof fakeSessionsApi>;
    allowed?: string[];
    route?: string;
  } = {},
) {
  const api = options.api ?? fakeSessionsApi();
  const alerts = { post: jest.fn() };
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubernetesTerminalApiRef, api],
        [permissionApiRef, permissionApi(options.allowed ?? ALL_PERMISSIONS)],
        [
          identityApiRef,
          mockApis.identity({ userEntityRef: 'user:default/alice' }),
        ],
        [alertApiRef, alerts],
      ]}
    >
      <Routes>
        <Route path="/kubernetes-terminal/*" element={element} />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: [options.route ?? '/kubernetes-terminal'],
      mountedRoutes: {
        '/kubernetes-terminal': terminalSessionsRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
  return Object.assign(api, { alerts });
}
