import { useCallback, useEffect, useRef, useState } from 'react';
import { toError } from '@backstage/errors';
import type { TerminalPage } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** @internal */
export interface CursorPages<T> {
  items: T[];
  loading: boolean;
  error?: Error;
  /** There is a next page. */
  hasMore: boolean;
  loadMore: () => void;
  /** Starts over from the first page. */
  reload: () => void;
}

/**
 * Loads a cursor-paginated list page by page. A new `fetchPage` (new filters) starts over; answers
 * to outdated requests are dropped.
 *
 * @internal
 */
export function useCursorPages<T>(
  fetchPage: (cursor?: string) => Promise<TerminalPage<T>>,
): CursorPages<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error>();
  const generation = useRef(0);

  const load = useCallback(
    (cursor: string | undefined, append: boolean) => {
      const current = append ? generation.current : ++generation.current;
      setLoading(true);
      setError(undefined);
      fetchPage(cursor).then(
        page => {
          if (current !== generation.current) {
            return;
          }
          setItems(previous =>
            append ? [...previous, ...page.items] : page.items,
          );
          setNextCursor(page.nextCursor);
          setLoading(false);
        },
        e => {
          if (current !== generation.current) {
            return;
          }
          setError(toError(e));
          setLoading(false);
        },
      );
    },
    [fetchPage],
  );

  useEffect(() => {
    load(undefined, false);
    // Invalidates the answers still on their way when the filters change or the table unmounts.
    const requests = generation;
    return () => {
      requests.current++;
    };
  }, [load]);

  const loadMore = useCallback(() => {
    if (nextCursor && !loading) {
      load(nextCursor, true);
    }
  }, [load, nextCursor, loading]);

  const reload = useCallback(() => load(undefined, false), [load]);

  return {
    items,
    loading,
    error,
    hasMore: Boolean(nextCursor),
    loadMore,
    reload,
  };
}
