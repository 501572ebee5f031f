import {
  DatabaseService,
  isDatabaseConflictError,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { decodeCursor, encodeCursor, CursorKind } from './cursor';
import {
  EventRow,
  mapEvent,
  mapSession,
  SessionRow,
  str,
  text,
  toDate,
  toEventRow,
  toPatchRow,
  toSessionRow,
} from './rows';
import {
  EndedSessionStatus,
  EventFilter,
  liveSessionStatuses,
  NewAuditEvent,
  NewTerminalSession,
  Page,
  PageQuery,
  SessionFilter,
  SessionStore,
  StoredAuditEvent,
  StoredTerminalSession,
  TerminalSessionPatch,
  terminalSessionStatuses,
  validateAuditEvent,
} from './SessionStore';

const migrationsDir = resolvePackagePath(
  '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-backend',
  'migrations',
);

const SESSIONS = 'kubernetes_terminal_sessions';
const EVENTS = 'kubernetes_terminal_audit_events';

const EVENT_COLUMNS = 13; // every column of EventRow but the generated id
// SQLite allows 999 bound variables in older builds and 500 terms in the compound SELECT that
// knex uses for multi-row inserts; PostgreSQL allows 65535 variables.
const SQLITE_INSERT_ROWS = Math.floor(999 / EVENT_COLUMNS);
const POSTGRES_INSERT_ROWS = 1000;
const ID_CHUNK = 500;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, c => `\\${c}`);
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InputError(`Invalid limit ${limit}, must be a positive integer`);
  }
  return limit;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    result.push(items.slice(i, i + size));
  }
  return result;
}

function whereAfter(
  query: Knex.QueryBuilder,
  kind: CursorKind,
  cursor: string,
): void {
  const keyset = decodeCursor(kind, cursor);
  // Event ids are bigints; bind a number where it is exact so that SQLite compares integers.
  const id =
    kind === 'events' && Number.isSafeInteger(Number(keyset.id))
      ? Number(keyset.id)
      : keyset.id;
  query.where(q =>
    q
      .where('created_at', '<', keyset.createdAt)
      .orWhere(q2 =>
        q2.where('created_at', '=', keyset.createdAt).andWhere('id', '<', id),
      ),
  );
}

/**
 * Knex implementation of {@link SessionStore}, for PostgreSQL and SQLite.
 *
 * @internal
 */
export class DatabaseSessionStore implements SessionStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseSessionStore> {
    const { database, skipMigrations } = options;
    const client = await database.getClient();
    if (!database.migrations?.skip && !skipMigrations) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseSessionStore(client);
  }

  private readonly insertRows: number;

  private constructor(private readonly db: Knex) {
    this.insertRows = db.client.config.client.toString().includes('sqlite')
      ? SQLITE_INSERT_ROWS
      : POSTGRES_INSERT_ROWS;
  }

  async createSession(session: NewTerminalSession): Promise<void> {
    if (!terminalSessionStatuses.includes(session.status)) {
      throw new InputError(`Invalid session status '${session.status}'`);
    }
    const row = toSessionRow(session);
    try {
      await this.db<SessionRow>(SESSIONS).insert(row);
    } catch (error) {
      if (isDatabaseConflictError(error)) {
        throw new ConflictError(`Session ${session.id} already exists`);
      }
      throw error;
    }
  }

  async updateSession(id: string, patch: TerminalSessionPatch): Promise<void> {
    const row = toPatchRow(patch);
    const found =
      Object.keys(row).length === 0
        ? await this.db<SessionRow>(SESSIONS).where({ id }).first('id')
        : await this.db<SessionRow>(SESSIONS).where({ id }).update(row);
    if (!found) {
      throw new NotFoundError(`No session ${id}`);
    }
  }

  async getSession(id: string): Promise<StoredTerminalSession | undefined> {
    const row = await this.db<SessionRow>(SESSIONS).where({ id }).first();
    return row ? mapSession(row) : undefined;
  }

  async getSessions(ids: string[]): Promise<StoredTerminalSession[]> {
    const found: StoredTerminalSession[] = [];
    for (const chunk of chunks(ids, ID_CHUNK)) {
      const rows = await this.db<SessionRow>(SESSIONS).whereIn('id', chunk);
      found.push(...rows.map(mapSession));
    }
    return found;
  }

  async listSessions(
    query: PageQuery<SessionFilter>,
  ): Promise<Page<StoredTerminalSession>> {
    const limit = checkLimit(query.limit);
    const { filter } = query;
    const base = this.db<SessionRow>(SESSIONS);
    for (const [key, column] of [
      ['userEntityRef', 'user_entity_ref'],
      ['entityRef', 'entity_ref'],
      ['cluster', 'cluster'],
      ['namespace', 'namespace'],
      ['pod', 'pod'],
      ['kind', 'kind'],
    ] as const) {
      if (filter[key] !== undefined) {
        base.where(column, filter[key]);
      }
    }
    if (filter.status !== undefined) {
      base.whereIn(
        'status',
        Array.isArray(filter.status) ? filter.status : [filter.status],
      );
    }
    this.whereCreated(base, filter);

    const rows = await this.page(base, 'sessions', limit, query.cursor);
    const totalCount =
      query.includeTotalCount === false ? undefined : await this.count(base);
    return {
      items: rows.items.map(r => mapSession(r as SessionRow)),
      nextCursor: rows.nextCursor,
      totalCount,
    };
  }

  async appendEvents(events: NewAuditEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    events.forEach(validateAuditEvent);
    const now = new Date();
    const rows = events.map(e => toEventRow(e, now));
    await this.db.transaction(async tx => {
      for (const chunk of chunks(rows, this.insertRows)) {
        // Keyed events already there were written by an earlier try whose answer was lost.
        await tx(EVENTS).insert(chunk).onConflict('event_key').ignore();
      }
    });
  }

  async listEvents(
    query: PageQuery<EventFilter>,
  ): Promise<Page<StoredAuditEvent>> {
    const limit = checkLimit(query.limit);
    const { filter } = query;
    const base = this.db<EventRow>(EVENTS);
    for (const [key, column] of [
      ['sessionId', 'session_id'],
      ['userEntityRef', 'user_entity_ref'],
      ['entityRef', 'entity_ref'],
      ['cluster', 'cluster'],
      ['namespace', 'namespace'],
    ] as const) {
      if (filter[key] !== undefined) {
        base.where(column, filter[key]);
      }
    }
    if (filter.eventType !== undefined) {
      base.whereIn(
        'event_type',
        Array.isArray(filter.eventType) ? filter.eventType : [filter.eventType],
      );
    }
    this.whereCreated(base, filter);
    if (filter.text) {
      base.whereRaw(`LOWER(command) LIKE ? ESCAPE '\\'`, [
        `%${escapeLike(filter.text.toLowerCase())}%`,
      ]);
    }

    const rows = await this.page(base, 'events', limit, query.cursor);
    const totalCount = query.includeTotalCount
      ? await this.count(base)
      : undefined;
    return {
      items: rows.items.map(r => mapEvent(r as EventRow)),
      nextCursor: rows.nextCursor,
      totalCount,
    };
  }

  async updateSessionPodExpiry(
    target: { cluster: string; namespace: string; pod: string },
    expiry: { expiresAt: Date; maxExpiresAt: Date },
  ): Promise<number> {
    return await this.db<SessionRow>(SESSIONS)
      .where({
        kind: 'session-pod',
        cluster: target.cluster,
        namespace: target.namespace,
        pod: target.pod,
      })
      .whereIn('status', liveSessionStatuses)
      .update({
        expires_at: expiry.expiresAt,
        max_expires_at: expiry.maxExpiresAt,
      });
  }

  async heartbeat(
    instanceId: string,
    sessionIds: string[],
    at: Date,
  ): Promise<void> {
    for (const ids of chunks(sessionIds, ID_CHUNK)) {
      await this.db<SessionRow>(SESSIONS)
        .whereIn('id', ids)
        .whereIn('status', liveSessionStatuses)
        .update({ heartbeat_at: at, backend_instance: str(instanceId) });
    }
  }

  async findStaleSessions(olderThan: Date): Promise<StoredTerminalSession[]> {
    const rows = await this.db<SessionRow>(SESSIONS)
      .whereIn('status', liveSessionStatuses)
      .where('heartbeat_at', '<', olderThan)
      .orderBy('heartbeat_at', 'asc');
    return rows.map(mapSession);
  }

  async endSessions(
    ids: string[],
    options: { status: EndedSessionStatus; endReason: string; endedAt: Date },
  ): Promise<string[]> {
    if (
      !terminalSessionStatuses.includes(options.status) ||
      liveSessionStatuses.includes(options.status)
    ) {
      throw new InputError(`Invalid end status '${options.status}'`);
    }
    return await this.db.transaction(async tx => {
      const ended: string[] = [];
      for (const chunk of chunks(ids, ID_CHUNK)) {
        // UPDATE … RETURNING re-checks the status row by row, so of two reapers racing over the
        // same sessions each session is reported by exactly one of them.
        const rows = await tx<SessionRow>(SESSIONS)
          .whereIn('id', chunk)
          .whereIn('status', liveSessionStatuses)
          .update({
            status: options.status,
            end_reason: text(options.endReason),
            ended_at: options.endedAt,
          })
          .returning('id');
        ended.push(
          ...rows.map(r => (typeof r === 'object' ? String(r.id) : String(r))),
        );
      }
      return ended;
    });
  }

  async deleteOlderThan(
    cutoff: Date,
  ): Promise<{ sessions: number; events: number }> {
    return await this.db.transaction(async tx => {
      const events = await tx<EventRow>(EVENTS)
        .where('created_at', '<', cutoff)
        .delete();
      const sessions = await tx<SessionRow>(SESSIONS)
        .whereNotIn('status', liveSessionStatuses)
        .where(q =>
          q
            .where('ended_at', '<', cutoff)
            // an ended session whose end time was never recorded ages by its last activity
            .orWhere(q2 =>
              q2
                .whereNull('ended_at')
                .andWhere('last_activity_at', '<', cutoff),
            ),
        )
        .delete();
      return { sessions, events };
    });
  }

  private whereCreated(
    query: Knex.QueryBuilder,
    filter: { from?: Date; to?: Date },
  ) {
    if (filter.from) {
      query.where('created_at', '>=', filter.from);
    }
    if (filter.to) {
      query.where('created_at', '<', filter.to);
    }
  }

  private async count(query: Knex.QueryBuilder): Promise<number> {
    const [row] = await query.clone().count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  private async page(
    base: Knex.QueryBuilder,
    kind: CursorKind,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ items: Array<SessionRow | EventRow>; nextCursor?: string }> {
    const query = base.clone();
    if (cursor !== undefined) {
      whereAfter(query, kind, cursor);
    }
    const rows: Array<SessionRow | EventRow> = await query
      .select('*')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    if (rows.length <= limit) {
      return { items: rows };
    }
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: encodeCursor(kind, {
        createdAt: toDate(last.created_at),
        id: String(last.id),
      }),
    };
  }
}
