import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/**
 * Where the legacy app mounts `EntityTerminalContent`.
 *
 * @public
 */
export const rootRouteRef = createRouteRef({
  id: 'kubernetes-terminal',
});

/**
 * The Terminal sessions page: live sessions and the audit log.
 *
 * @public
 */
export const terminalSessionsRouteRef = createRouteRef({
  id: 'kubernetes-terminal:sessions',
});

/**
 * One session of the Terminal sessions page, with its event timeline.
 *
 * @public
 */
export const terminalSessionRouteRef = createSubRouteRef({
  id: 'kubernetes-terminal:session',
  parent: terminalSessionsRouteRef,
  path: '/sessions/:sessionId',
});
