import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { KubernetesTerminalClient, kubernetesTerminalApiRef } from './api';
import type { EntityTerminalSessionsCardProps } from './components/EntityTerminalSessionsCard';
import {
  rootRouteRef,
  terminalSessionRouteRef,
  terminalSessionsRouteRef,
} from './routes';

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
    sessionsPage: terminalSessionsRouteRef,
    session: terminalSessionRouteRef,
  },
});

/**
 * The Terminal tab of an entity page: pick a container of the entity's pods and open a shell in it.
 *
 * @public
 */
export const EntityTerminalContent: () => JSX.Element =
  kubernetesTerminalPlugin.provide(
    createRoutableExtension({
      name: 'EntityTerminalContent',
      component: () =>
        import('./components/EntityTerminalPage').then(
          m => m.EntityTerminalPage,
        ),
      mountPoint: rootRouteRef,
    }),
  );

/**
 * The Terminal sessions page: live sessions with a Terminate action, the audit log with filters and
 * exports, and one page per session at `sessions/:sessionId`.
 *
 * @public
 */
export const KubernetesTerminalSessionsPage: () => JSX.Element =
  kubernetesTerminalPlugin.provide(
    createRoutableExtension({
      name: 'KubernetesTerminalSessionsPage',
      component: () =>
        import('./components/TerminalSessionsPage').then(
          m => m.TerminalSessionsPage,
        ),
      mountPoint: terminalSessionsRouteRef,
    }),
  );

/**
 * A card for entity overview pages: the entity's most recent terminal sessions.
 *
 * @public
 */
export const EntityTerminalSessionsCard: (
  props: EntityTerminalSessionsCardProps,
) => JSX.Element = kubernetesTerminalPlugin.provide(
  createComponentExtension({
    name: 'EntityTerminalSessionsCard',
    component: {
      lazy: () =>
        import('./components/EntityTerminalSessionsCard').then(
          m => m.EntityTerminalSessionsCard,
        ),
    },
  }),
);
