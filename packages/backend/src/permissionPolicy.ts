import {
  coreServices,
  createBackendModule,
  type UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isPermission,
  type PolicyDecision,
} from '@backstage/plugin-permission-common';
import type {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  kubernetesTerminalAuditReadPermission,
  kubernetesTerminalDebugContainerCreatePermission,
  kubernetesTerminalExecPermission,
  kubernetesTerminalRecordingReadPermission,
  kubernetesTerminalSessionPodCreatePermission,
  kubernetesTerminalSessionTerminatePermission,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** Members of this group read the terminal audit log, replay sessions and may end anyone's session. */
export const PLATFORM_ADMINS = 'group:default/platform-admins';

/**
 * The demo portal's policy: owners of an entity may open terminals (and session pods) on it; the
 * platform-admins group may read the audit log, replay recordings and terminate sessions; everything
 * else is allowed.
 */
export class KubernetesTerminalDemoPolicy implements PermissionPolicy {
  constructor(private readonly userInfo: UserInfoService) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (
      isPermission(permission, kubernetesTerminalExecPermission) ||
      isPermission(permission, kubernetesTerminalSessionPodCreatePermission) ||
      isPermission(permission, kubernetesTerminalDebugContainerCreatePermission)
    ) {
      const claims = user ? await this.ownershipOf(user) : [];
      // Evaluated by the catalog against the entity: the user or one of their groups owns it.
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    }
    if (
      isPermission(permission, kubernetesTerminalAuditReadPermission) ||
      isPermission(permission, kubernetesTerminalRecordingReadPermission) ||
      isPermission(permission, kubernetesTerminalSessionTerminatePermission)
    ) {
      const claims = user ? await this.ownershipOf(user) : [];
      return {
        result: claims.includes(PLATFORM_ADMINS)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }

  private async ownershipOf(user: PolicyQueryUser): Promise<string[]> {
    const info = await this.userInfo.getUserInfo(user.credentials);
    return info.ownershipEntityRefs;
  }
}

/** Installs {@link KubernetesTerminalDemoPolicy} as the portal's permission policy. */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'kubernetes-terminal-demo-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, userInfo: coreServices.userInfo },
      async init({ policy, userInfo }) {
        policy.setPolicy(new KubernetesTerminalDemoPolicy(userInfo));
      },
    });
  },
});
