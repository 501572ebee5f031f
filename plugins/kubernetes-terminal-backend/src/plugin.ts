import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  AGENT_TUNNEL_PATH,
  kubernetesTerminalPermissions,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { readTerminalConfig } from './config';
import { ClusterRegistry } from './kubernetes/ClusterRegistry';
import { defaultStrategies } from './kubernetes/clusterAuth';
import { kubernetesTerminalClustersExtensionPoint } from './extensions';
import type {
  AuthenticationStrategy,
  KubernetesClustersSupplier,
} from '@backstage/plugin-kubernetes-node';
import { PodLister } from './kubernetes/PodLister';
import { ClusterCallers } from './kubernetes/impersonation';
import { SessionRegistry } from './service/SessionRegistry';
import { ReplicaClient } from './service/ReplicaClient';
import { TicketStore } from './service/TicketStore';
import { createRouter } from './service/router';
import { StreamGateway } from './stream/StreamGateway';
import { CommandRecorder } from './audit/CommandRecorder';
import { InputLineRecorder } from './audit/InputLineRecorder';
import { AuditWriter } from './database/AuditWriter';
import { DatabaseSessionStore } from './database/DatabaseSessionStore';
import { SessionAudit } from './sessions/SessionAudit';
import { TerminalSessions } from './sessions/TerminalSessions';
import { SessionPodJanitor } from './sessionPods/SessionPodJanitor';
import { SessionPodManager } from './sessionPods/SessionPodManager';
import { DebugContainers } from './debugContainers/DebugContainers';
import { NotFoundError } from '@backstage/errors';
import Router from 'express-promise-router';
import { createRecordings } from './recording/createRecordings';
import { readAgentClusters } from './agents/agentConfig';
import { AgentTunnelDirectory } from './agents/AgentTunnelDirectory';
import { PEER_RELAY_PATH } from './agents/peerRelay';
import { AgentTunnels, type AgentTunnelsOptions } from './agents/AgentTunnels';

/**
 * The kubernetes-terminal backend plugin.
 *
 * @public
 */
export const kubernetesTerminalPlugin = createBackendPlugin({
  pluginId: 'kubernetes-terminal',
  register(env) {
    const addedStrategies = new Map<string, AuthenticationStrategy>();
    const addedSuppliers: KubernetesClustersSupplier[] = [];
    env.registerExtensionPoint(kubernetesTerminalClustersExtensionPoint, {
      addAuthStrategy(key, strategy) {
        if (!key || /\s/.test(key)) {
          throw new Error(`auth strategy key must be a word, not '${key}'`);
        }
        addedStrategies.set(key, strategy);
      },
      addClusterSupplier(supplier) {
        addedSuppliers.push(supplier);
      },
    });
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
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        auditor: coreServices.auditor,
        userInfo: coreServices.userInfo,
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
        database,
        scheduler,
        auditor,
        userInfo,
        catalog,
      }) {
        permissionsRegistry.addPermissions(kubernetesTerminalPermissions);
        const terminalConfig = readTerminalConfig(config);
        const agentClusters = readAgentClusters(config);
        const store = await DatabaseSessionStore.create({ database });
        const replicas = new ReplicaClient(auth);
        // Audit events of agents are recorded once the audit is set up, below.
        const agentAudit: Pick<AgentTunnelsOptions, 'record'> = {};
        let agents: AgentTunnels | undefined;
        if (agentClusters.size) {
          // With several replicas (each naming its address), one without a tunnel to a cluster
          // relays through the one that has it.
          const { instanceUrl } = terminalConfig.resume;
          const directory = instanceUrl
            ? new AgentTunnelDirectory(await database.getClient(), instanceUrl)
            : undefined;
          await directory?.clearOwn();
          agents = new AgentTunnels({
            clusters: agentClusters,
            logger,
            record: event => agentAudit.record?.(event),
            directory,
            peers: replicas,
          });
          // A token removed from the config (where the config is reloaded) closes its tunnels at once.
          config.subscribe?.(() => {
            try {
              agents?.updateClusters(readAgentClusters(config));
            } catch (error) {
              logger.error(
                `agent tokens not reloaded: ${(error as Error).message}`,
              );
            }
          });
        }
        // A cluster behind an agent is private: its API server is not reachable from the portal.
        terminalConfig.privateClusters = [
          ...new Set([
            ...terminalConfig.privateClusters,
            ...agentClusters.keys(),
          ]),
        ];
        const clusters = ClusterRegistry.fromConfig(config, {
          logger,
          strategies: new Map([
            ...defaultStrategies({ config, logger }),
            ...addedStrategies,
          ]),
          catalog,
          auth,
          suppliers: addedSuppliers,
          agents,
        });
        for (const skipped of clusters.skipped) {
          logger.warn(skipped);
        }
        // The catalog may not answer yet at start: the clusters it supplies come with the first
        // refresh that reaches it, at the latest a minute later.
        await clusters
          .refresh()
          .catch(error =>
            logger.warn(`could not read the supplied clusters yet: ${error}`),
          );
        await scheduler.scheduleTask({
          id: 'kubernetes-terminal-cluster-refresh',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          scope: 'local',
          fn: () => clusters.refresh(),
        });
        for (const cluster of clusters.list()) {
          if (cluster.unsupported) {
            logger.warn(cluster.unsupported);
          }
        }
        const audit = new SessionAudit(
          new AuditWriter({ store, logger }),
          auditor,
          logger,
        );
        const recordings = await createRecordings({
          config: terminalConfig.recording,
          database,
          logger,
        });
        const sessions = new SessionRegistry();
        const terminalSessions = new TerminalSessions({
          registry: sessions,
          store,
          audit,
          config: terminalConfig,
          logger,
          recordings,
          createCapture: terminalConfig.recordCommands
            ? (size, { tty }) =>
                tty ? new CommandRecorder(size) : new InputLineRecorder()
            : undefined,
        });
        terminalSessions.startHeartbeat();
        agentAudit.record = event => terminalSessions.record(event);
        await scheduler.scheduleTask({
          id: 'kubernetes-terminal-stale-sessions',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          scope: 'global',
          fn: async () => {
            const ended = await terminalSessions.reapStale(
              new Date(Date.now() - 90_000),
            );
            if (ended > 0) {
              logger.info(
                `ended ${ended} terminal sessions left by a stopped backend replica`,
              );
            }
          },
        });
        await scheduler.scheduleTask({
          id: 'kubernetes-terminal-retention',
          frequency: { hours: 6 },
          timeout: { minutes: 10 },
          scope: 'global',
          fn: async () => {
            const removed = await store.deleteOlderThan(
              new Date(Date.now() - terminalConfig.retentionMs),
            );
            const recordingsRemoved = recordings
              ? await recordings.store.deleteOlderThan(
                  new Date(Date.now() - terminalConfig.retentionMs),
                )
              : 0;
            logger.info(
              `terminal audit retention removed ${removed.sessions} sessions, ${removed.events} events and ${recordingsRemoved} recordings`,
            );
          },
        });
        const sessionPods = new SessionPodManager({
          clusters,
          config: terminalConfig.sessionPods,
          store,
          record: event => terminalSessions.record(event),
          logger,
        });
        if (terminalConfig.sessionPods.anyEnabled) {
          const janitor = new SessionPodJanitor({
            clusters,
            config: terminalConfig.sessionPods,
            objects: sessionPods.objects,
            store,
            record: event => terminalSessions.record(event),
            logger,
          });
          await scheduler.scheduleTask({
            id: 'kubernetes-terminal-session-pod-janitor',
            frequency: {
              milliseconds: terminalConfig.sessionPods.janitorIntervalMs,
            },
            timeout: {
              milliseconds: Math.max(
                60_000,
                terminalConfig.sessionPods.janitorIntervalMs,
              ),
            },
            scope: 'global',
            fn: async () => {
              await janitor.run();
            },
          });
        }
        const tickets = new TicketStore(terminalConfig.ticketTtlMs);
        const basePath = new URL(
          await discovery.getBaseUrl('kubernetes-terminal'),
        ).pathname;
        const gateway = new StreamGateway({
          basePath,
          config: terminalConfig,
          tickets,
          sessions,
          clusters,
          terminalSessions,
          store,
          sessionPods,
          debugContainers: new DebugContainers({
            config: terminalConfig.debugContainers,
          }),
          agents,
          logger,
        });
        const sweeper = setInterval(
          () =>
            sessions.sweep(new Date(Date.now() - terminalConfig.ticketTtlMs)),
          60_000,
        );
        sweeper.unref();
        lifecycle.addShutdownHook(async () => {
          clearInterval(sweeper);
          await terminalSessions.close();
          await agents?.close();
        });
        httpRouter.addAuthPolicy({
          path: '/sessions/:id/stream',
          allow: 'unauthenticated',
        });
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // Agents authenticate with their own tokens, checked by the tunnel endpoint.
        httpRouter.addAuthPolicy({
          path: AGENT_TUNNEL_PATH,
          allow: 'unauthenticated',
        });
        // Other replicas prove themselves with the plugin's own token, checked there.
        httpRouter.addAuthPolicy({
          path: PEER_RELAY_PATH,
          allow: 'unauthenticated',
        });
        httpRouter.use(
          await createRouter({
            logger,
            auth,
            httpAuth,
            permissions,
            catalog,
            clusters,
            callers: new ClusterCallers({ catalog, userInfo }),
            pods: new PodLister(
              clusters,
              terminalConfig.clusterRequestTimeoutMs,
            ),
            sessions,
            tickets,
            gateway,
            terminalSessions,
            debugContainers: terminalConfig.debugContainers,
            store,
            sessionPods,
            replicas,
            agents,
            recordings: recordings?.store,
          }),
        );
        // Anything else is a clear 404 with a reason, like every other refusal of the API.
        const unknown = Router();
        unknown.use(async req => {
          throw new NotFoundError(
            `kubernetes-terminal has no route ${req.method} ${req.path.slice(
              0,
              200,
            )}`,
          );
        });
        httpRouter.use(unknown);
      },
    });
  },
});
