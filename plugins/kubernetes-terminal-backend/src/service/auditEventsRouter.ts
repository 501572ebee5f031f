import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { TERMINAL_AUDIT_EVENT_TYPES } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { SessionStore } from '../database/SessionStore';
import { CSV_HEADER, toApiEvent, toCsvLine } from './exportFormats';
import {
  createReader,
  isoDate,
  list,
  page,
  parseInput,
  text,
} from './requests';

/** @internal */
export interface AuditEventsRouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  store: SessionStore;
}

const EXPORT_MAX_ROWS = 100_000;

const eventQuery = z
  .object({
    sessionId: z.string().uuid().optional(),
    user: text.optional(),
    entityRef: text.optional(),
    cluster: text.optional(),
    namespace: text.optional(),
    type: list(TERMINAL_AUDIT_EVENT_TYPES as [any, ...any[]]).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    q: z.string().min(1).max(256).optional(),
    ...page,
  })
  .strict();

/**
 * The audit log and its exports. Everyone sees their own events; `kubernetes.terminal.audit.read`
 * shows everyone's.
 *
 * @internal
 */
export function createAuditEventsRouter(
  options: AuditEventsRouterOptions,
): express.Router {
  const { httpAuth, permissions, store } = options;
  const router = Router();
  const reader = createReader(httpAuth, permissions);

  function eventFilter(
    q: z.infer<typeof eventQuery>,
    user: string,
    canReadAll: boolean,
  ) {
    if (!canReadAll && q.user && q.user !== user) {
      throw new NotAllowedError(
        'reading other users\u2019 terminal events needs the kubernetes.terminal.audit.read permission',
      );
    }
    return {
      sessionId: q.sessionId,
      userEntityRef: canReadAll ? q.user : user,
      entityRef: q.entityRef,
      cluster: q.cluster,
      namespace: q.namespace,
      eventType: q.type,
      from: q.from,
      to: q.to,
      text: q.q,
    };
  }

  router.get('/audit-events', async (req, res) => {
    const q = parseInput(eventQuery, req.query, 'query');
    const { user, canReadAll } = await reader(req);
    const result = await store.listEvents({
      filter: eventFilter(q, user, canReadAll),
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json({
      items: result.items.map(toApiEvent),
      nextCursor: result.nextCursor,
    });
  });

  router.get('/audit-events/export', async (req, res) => {
    const { format = 'csv', ...rest } = req.query as Record<string, unknown>;
    if (format !== 'csv' && format !== 'json') {
      throw new InputError('format: must be csv or json');
    }
    const q = parseInput(
      eventQuery.omit({ cursor: true, limit: true }),
      rest,
      'query',
    );
    const { user, canReadAll } = await reader(req);
    const filter = eventFilter({ ...q, limit: 500 }, user, canReadAll);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.setHeader(
      'Content-Type',
      format === 'csv'
        ? 'text/csv; charset=utf-8'
        : 'application/json; charset=utf-8',
    );
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="terminal-audit-${stamp}.${format}"`,
    );
    // The app may be on another origin (development); let it read the file name.
    res.setHeader('Access-Control-Expose-Headers', 'Content-Disposition');
    res.write(format === 'csv' ? CSV_HEADER : '[');
    let cursor: string | undefined;
    let rows = 0;
    do {
      const batch = await store.listEvents({ filter, limit: 500, cursor });
      for (const event of batch.items) {
        res.write(
          format === 'csv'
            ? toCsvLine(event)
            : `${rows === 0 ? '' : ','}\n${JSON.stringify(toApiEvent(event))}`,
        );
        rows += 1;
      }
      cursor = batch.nextCursor;
    } while (cursor && rows < EXPORT_MAX_ROWS);
    res.end(format === 'csv' ? '' : '\n]\n');
  });

  return router;
}
