import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import type { TerminalAgentStatus } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type express from 'express';
import Router from 'express-promise-router';
import { createReader } from './requests';

/** @internal */
export interface AgentsRouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** The agents' health as this replica knows it. */
  agentStatus: () => Promise<TerminalAgentStatus[]>;
}

/**
 * `GET /agents`: the health of every cluster reached through an agent, for those who may read the
 * audit log (`kubernetes.terminal.audit.read`).
 *
 * @internal
 */
export function createAgentsRouter(
  options: AgentsRouterOptions,
): express.Router {
  const router = Router();
  const reader = createReader(options.httpAuth, options.permissions);
  router.get('/agents', async (req, res) => {
    const { canReadAll } = await reader(req);
    if (!canReadAll) {
      throw new NotAllowedError(
        "the agents' health needs the kubernetes.terminal.audit.read permission",
      );
    }
    res.json({ items: await options.agentStatus() });
  });
  return router;
}
