import { useMemo } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  isLiveSessionStatus,
  kubernetesTerminalAuditReadPermission,
  kubernetesTerminalSessionTerminatePermission,
  type TerminalSessionRecord,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** @internal */
export const AUDIT_READ_HINT =
  "Only members with kubernetes.terminal.audit.read see everyone's sessions; you see your own.";

/** @internal */
export const EXPORT_DENIED_REASON =
  'Exporting the audit log needs the kubernetes.terminal.audit.read permission.';

/** @internal */
export const USER_FILTER_DENIED_REASON =
  'You see only your own sessions and events; filtering by user needs kubernetes.terminal.audit.read.';

/** @internal */
export const TERMINATE_DENIED_REASON =
  "You can end only your own sessions; ending someone else's needs kubernetes.terminal.session.terminate.";

/** @internal */
export const CHECKING_PERMISSIONS = 'Checking your permissions…';

/** @internal */
export const NOT_LIVE_REASON = 'The session has already ended.';

/** @internal */
export function isLive(session: Pick<TerminalSessionRecord, 'status'>) {
  return isLiveSessionStatus(session.status);
}

/** @internal */
export interface SessionPermissions {
  loading: boolean;
  /** Sees everyone's sessions and events, and may export the audit log. */
  canReadAudit: boolean;
  /** May end anyone's live session. */
  canTerminateAny: boolean;
  /** The signed-in user, once known. */
  userEntityRef?: string;
  /** Why the session cannot be terminated, or undefined when it can. */
  terminateDeniedReason(session: TerminalSessionRecord): string | undefined;
}

/**
 * What the signed-in user may see and do on the sessions page. The backend enforces the same
 * rules; this only keeps the UI from offering what would be refused.
 *
 * @internal
 */
export function useSessionPermissions(): SessionPermissions {
  const auditRead = usePermission({
    permission: kubernetesTerminalAuditReadPermission,
  });
  const terminate = usePermission({
    permission: kubernetesTerminalSessionTerminatePermission,
  });
  const identityApi = useApi(identityApiRef);
  const identity = useAsync(
    () => identityApi.getBackstageIdentity(),
    [identityApi],
  );
  const userEntityRef = identity.value?.userEntityRef;
  const canTerminateAny = terminate.allowed;

  const loading = auditRead.loading || terminate.loading || identity.loading;
  const checking = terminate.loading || identity.loading;
  const canReadAudit = auditRead.allowed;

  // The same object while the answers are the same: tables make their columns from it once.
  return useMemo(
    () => ({
      loading,
      canReadAudit,
      canTerminateAny,
      userEntityRef,
      terminateDeniedReason(session: TerminalSessionRecord) {
        if (!isLive(session)) {
          return NOT_LIVE_REASON;
        }
        if (checking) {
          return CHECKING_PERMISSIONS;
        }
        if (canTerminateAny || session.userEntityRef === userEntityRef) {
          return undefined;
        }
        return TERMINATE_DENIED_REASON;
      },
    }),
    [loading, canReadAudit, canTerminateAny, userEntityRef, checking],
  );
}
