import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { KubernetesTerminalClient, kubernetesTerminalApiRef } from './api';
import {
  KUBERNETES_ID_ANNOTATION,
  KUBERNETES_LABEL_SELECTOR_ANNOTATION,
} from './conditions';

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
    group: 'deployment',
    filter: {
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
    },
    loader: () =>
      import('./components/EntityTerminalPage').then(m => (
        <m.EntityTerminalPage />
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
  extensions: [kubernetesTerminalApi, entityKubernetesTerminalContent],
});
