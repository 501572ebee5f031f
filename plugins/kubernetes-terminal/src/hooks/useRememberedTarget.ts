import { useCallback, useMemo } from 'react';
import { storageApiRef, useApi } from '@backstage/core-plugin-api';
import type { TerminalSessionKind } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { TerminalSessionTarget, TerminalTarget } from '../types';

const BUCKET = 'kubernetes-terminal';

/**
 * The last target of an entity as stored: a container, or with `kind: 'session-pod'` the cluster
 * and namespace of a session pod. Stored values predate `kind`, which then means a container.
 *
 * @internal
 */
export type RememberedTarget = Partial<Omit<TerminalTarget, 'kind'>> & {
  kind?: TerminalSessionKind;
};

/**
 * The target last connected to for an entity, and so the mode, kept in the storage API (browser
 * storage, or the user's settings when the user-settings backend is installed).
 *
 * @internal
 */
export function useRememberedTarget(entityRef: string): {
  remembered: RememberedTarget | undefined;
  remember: (target: TerminalSessionTarget) => void;
} {
  const storageApi = useApi(storageApiRef);
  const bucket = useMemo(() => storageApi.forBucket(BUCKET), [storageApi]);
  const key = `target:${entityRef}`;

  const remembered = useMemo(() => {
    const value = bucket.snapshot<RememberedTarget>(key).value;
    return value && typeof value === 'object' ? value : undefined;
  }, [bucket, key]);

  const remember = useCallback(
    (target: TerminalSessionTarget) => {
      bucket.set(key, { ...target }).catch(() => {
        // Remembering is a convenience; failing to store must not block the terminal.
      });
    },
    [bucket, key],
  );

  return { remembered, remember };
}
