import { useCallback } from 'react';
import { alertApiRef, useApiHolder } from '@backstage/core-plugin-api';
import { toastApiRef } from '@backstage/frontend-plugin-api';

/** @internal */
export interface Notification {
  message: string;
  severity: 'success' | 'info' | 'warning' | 'error';
  /** Goes away by itself after a few seconds. */
  transient?: boolean;
}

const TRANSIENT_MS = 5000;

/**
 * Tells the person something in a toast: through the new frontend system's ToastApi where the app
 * has it (its AlertApi is deprecated there and says so in the console), else the AlertApi.
 *
 * @internal
 */
export function useNotify(): (notification: Notification) => void {
  const apis = useApiHolder();
  const toastApi = apis.get(toastApiRef);
  const alertApi = apis.get(alertApiRef);
  return useCallback(
    ({ message, severity, transient }: Notification) => {
      if (toastApi) {
        toastApi.post({
          title: message,
          status: severity === 'error' ? 'danger' : severity,
          timeout: transient ? TRANSIENT_MS : undefined,
        });
      } else {
        alertApi?.post({
          message,
          severity,
          ...(transient && { display: 'transient' as const }),
        });
      }
    },
    [toastApi, alertApi],
  );
}
