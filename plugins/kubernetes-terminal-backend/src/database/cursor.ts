import { InputError } from '@backstage/errors';

/**
 * Position after the last item of a page, ordered by (created_at desc, id desc). Keyset rather
 * than offset, so that rows inserted meanwhile neither repeat nor shift later pages.
 *
 * @internal
 */
export interface Keyset {
  createdAt: Date;
  id: string;
}

/** Which listing a cursor belongs to, so that one is never replayed against the other. @internal */
export type CursorKind = 'sessions' | 'events';

const VERSION = 1;

/** @internal */
export function encodeCursor(kind: CursorKind, keyset: Keyset): string {
  const payload = {
    v: VERSION,
    k: kind,
    t: keyset.createdAt.getTime(),
    i: keyset.id,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** @internal */
export function decodeCursor(kind: CursorKind, cursor: string): Keyset {
  const invalid = (why: string) =>
    new InputError(
      `Invalid cursor: ${why}; pass the nextCursor of a previous page unchanged`,
    );

  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) {
    throw invalid('not a base64url string');
  }
  let payload: any;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('malformed');
  }
  if (!payload || typeof payload !== 'object' || payload.v !== VERSION) {
    throw invalid('malformed or from another version');
  }
  if (payload.k !== kind) {
    throw invalid(`it belongs to a listing of ${String(payload.k)}`);
  }
  if (!Number.isSafeInteger(payload.t)) {
    throw invalid('bad timestamp');
  }
  if (typeof payload.i !== 'string' || !payload.i || payload.i.length > 255) {
    throw invalid('bad id');
  }
  if (kind === 'events' && !/^[0-9]{1,20}$/.test(payload.i)) {
    throw invalid('bad id');
  }
  return { createdAt: new Date(payload.t), id: payload.i };
}
