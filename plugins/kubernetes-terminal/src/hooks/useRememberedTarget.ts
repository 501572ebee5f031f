import { useCallback, useMemo } from 'react';
import { storageApiRef, useApi } from '@backstage/core-plugin-api';
import type { TerminalTarget } from '../types';

const BUCKET = 'kubernetes-terminal';

/**
 * The container last connected to for an entity, kept in the storage API (browser storage, or the
 * user's settings when the user-settings backend is installed).
 *
 * @internal
 */
export function useRememberedTarget(entityRef: string): {
  remembered: Partial<TerminalTarget> | undefined;
  remember: (target: TerminalTarget) => void;
} {
  const storageApi = useApi(storageApiRef);
  const bucket = useMemo(() => storageApi.forBucket(BUCKET), [storageApi]);
  const key = `target:${entityRef}`;

  const remembered = useMemo(() => {
    const value = bucket.snapshot<Partial<TerminalTarget>>(key).value;
    return value && typeof value === 'object' ? value : undefined;
  }, [bucket, key]);

  const remember = useCallback(
    (target: TerminalTarget) => {
      bucket.set(key, { ...target }).catch(() => {
        // Remembering is a convenience; failing to store must not block the terminal.
      });
    },
    [bucket, key],
  );

  return { remembered, remember };
}
