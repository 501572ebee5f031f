import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { KubernetesTerminalClient, kubernetesTerminalApiRef } from './api';
import { rootRouteRef } from './routes';

/**
 * The kubernetes-terminal plugin for the legacy frontend system.
 *
 * @public
 */
export const kubernetesTerminalPlugin = createPlugin({
  id: 'kubernetes-terminal',
  apis: [
    createApiFactory({
      api: kubernetesTerminalApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new KubernetesTerminalClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    entityContent: rootRouteRef,
  },
});

/**
 * The Terminal tab of an entity page: pick a container of the entity's pods and open a shell in it.
 *
 * @public
 */
export const EntityTerminalContent = kubernetesTerminalPlugin.provide(
  createRoutableExtension({
    name: 'EntityTerminalContent',
    component: () =>
      import('./components/EntityTerminalPage').then(m => m.EntityTerminalPage),
    mountPoint: rootRouteRef,
  }),
);
