import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import DvrIcon from '@material-ui/icons/Dvr';
import { KubernetesTerminalClient, kubernetesTerminalApiRef } from './api';
import {
  KUBERNETES_ID_ANNOTATION,
  KUBERNETES_LABEL_SELECTOR_ANNOTATION,
} from './conditions';
import { terminalSessionRouteRef, terminalSessionsRouteRef } from './routes';

/** @alpha */
export const kubernetesTerminalApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: kubernetesTerminalApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new KubernetesTerminalClient({ discoveryApi, fetchApi }),
    }),
});

// The predicate type of @backstage/filter-predicates, which this package does not depend on.
type EntityPredicate = Exclude<
  NonNullable<
    Extract<
      Parameters<typeof EntityCardBlueprint.make>[0]['params'],
      { loader: unknown }
    >['filter']
  >,
  string | Function
>;

const hasKubernetesAnnotations: EntityPredicate = {
  $any: [
    {
      [`metadata.annotations.${KUBERNETES_ID_ANNOTATION}`]: {
        $exists: true,
      },
    },
    {
      [`metadata.annotations.${KUBERNETES_LABEL_SELECTOR_ANNOTATION}`]: {
        $exists: true,
      },
    },
  ],
};

/**
 * The Terminal tab of entity pages, shown for entities with Kubernetes annotations.
 *
 * @alpha
 */
export const entityKubernetesTerminalContent = EntityContentBlueprint.make({
  name: 'terminal',
  params: {
    path: '/terminal',
    title: 'Terminal',
    // A tab of its own, beside Backstage's Kubernetes tab: inside the Deployment group it was hard to
    // find, and the page showed only "Deployment" as selected. An app can still put it there (README).
    filter: hasKubernetesAnnotations,
    loader: () =>
      import('./components/EntityTerminalPage').then(m => (
        <m.EntityTerminalPage />
      )),
  },
});

/**
 * The Terminals page at `/kubernetes-terminal`, with its item in the sidebar: live
 * sessions, the audit log, and one page per session.
 *
 * @alpha
 */
export const kubernetesTerminalSessionsPage = PageBlueprint.make({
  params: {
    path: '/kubernetes-terminal',
    routeRef: terminalSessionsRouteRef,
    // Also the sidebar item's label, which cut "Terminal sessions" to "Terminal sessi…".
    title: 'Terminals',
    icon: <DvrIcon fontSize="inherit" />,
    loader: async () => {
      const [{ Content }, m] = await Promise.all([
        import('@backstage/core-components'),
        import('./components/TerminalSessionsPage'),
      ]);
      return (
        <Content>
          <m.TerminalSessionsContent />
        </Content>
      );
    },
  },
});

/**
 * A card on entity overview pages, for entities with Kubernetes annotations: the entity's most
 * recent terminal sessions.
 *
 * @alpha
 */
export const entityTerminalSessionsCard = EntityCardBlueprint.make({
  name: 'terminal-sessions',
  params: {
    filter: hasKubernetesAnnotations,
    loader: () =>
      import('./components/EntityTerminalSessionsCard').then(m => (
        <m.EntityTerminalSessionsCard />
      )),
  },
});

/**
 * The kubernetes-terminal plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'kubernetes-terminal',
  title: 'Kubernetes Terminal',
  info: { packageJson: () => import('../package.json') },
  routes: {
    root: terminalSessionsRouteRef,
    session: terminalSessionRouteRef,
  },
  extensions: [
    kubernetesTerminalApi,
    entityKubernetesTerminalContent,
    kubernetesTerminalSessionsPage,
    entityTerminalSessionsCard,
  ],
});
