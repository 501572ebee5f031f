import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { kubernetesTerminalPermissions } from '@internal/plugin-kubernetes-terminal-common';
import { readTerminalConfig } from './config';
import { ClusterRegistry } from './kubernetes/ClusterRegistry';
import { PodLister } from './kubernetes/PodLister';
import { SessionRegistry } from './service/SessionRegistry';
import { TicketStore } from './service/TicketStore';
import { createRouter } from './service/router';
import { StreamGateway } from './stream/StreamGateway';

/**
 * The kubernetes-terminal backend plugin.
 *
 * @public
 */
export const kubernetesTerminalPlugin = createBackendPlugin({
  pluginId: 'kubernetes-terminal',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        discovery: coreServices.discovery,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        auth,
        httpAuth,
        httpRouter,
        discovery,
        permissions,
        permissionsRegistry,
        lifecycle,
        catalog,
      }) {
        permissionsRegistry.addPermissions(kubernetesTerminalPermissions);
        const terminalConfig = readTerminalConfig(config);
        const clusters = ClusterRegistry.fromConfig(config);
        for (const cluster of clusters.list()) {
          if (cluster.unsupported) {
            logger.warn(cluster.unsupported);
          }
        }
        const sessions = new SessionRegistry();
        const tickets = new TicketStore(terminalConfig.ticketTtlMs);
        const basePath = new URL(await discovery.getBaseUrl('kubernetes-terminal')).pathname;
        const gateway = new StreamGateway({
          basePath,
          config: terminalConfig,
          tickets,
          sessions,
          clusters,
          logger,
        });
        const sweeper = setInterval(
          () => sessions.sweep(new Date(Date.now() - terminalConfig.ticketTtlMs)),
          60_000,
        );
        sweeper.unref();
        lifecycle.addShutdownHook(async () => {
          clearInterval(sweeper);
          await gateway.close();
        });
        httpRouter.addAuthPolicy({ path: '/sessions/:id/stream', allow: 'unauthenticated' });
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        httpRouter.use(
          await createRouter({
            logger,
            auth,
            httpAuth,
            permissions,
            catalog,
            clusters,
            pods: new PodLister(clusters),
            sessions,
            tickets,
            gateway,
          }),
        );
      },
    });
  },
});
