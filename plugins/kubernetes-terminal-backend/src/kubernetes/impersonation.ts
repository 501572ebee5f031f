import type {
  BackstageCredentials,
  BackstageUserPrincipal,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { TerminalClusterAuth } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { ClusterCaller } from './clusterAuth';
import type { TerminalClusterDetails } from './ClusterRegistry';
import { ClusterAccessError } from './errors';

/**
 * How a cluster with `kubernetesTerminal.clusters.<name>.impersonate` names the person: the backend's
 * credential plus `Impersonate-User` and one `Impersonate-Group` per group of theirs.
 *
 * @internal
 */
export interface ImpersonationSettings {
  /** What the Kubernetes user name is made of: the entity ref, the user's `spec.profile.email`, or its name. */
  user: 'entityRef' | 'email' | 'name';
  userPrefix: string;
  /** The groups the person belongs to in the catalog, as entity refs or names; or none. */
  groups: 'entityRef' | 'name' | 'none';
  groupPrefix: string;
}

const USER_FIELDS = ['entityRef', 'email', 'name'] as const;
const GROUP_FIELDS = ['entityRef', 'name', 'none'] as const;

/** `kubernetesTerminal.clusters.<name>.impersonate`, by cluster name. @internal */
export function readImpersonationSettings(
  config: Config,
): Map<string, ImpersonationSettings> {
  const result = new Map<string, ImpersonationSettings>();
  const clusters = config.getOptionalConfig('kubernetesTerminal.clusters');
  for (const name of clusters?.keys() ?? []) {
    const key = `kubernetesTerminal.clusters.${name}.impersonate`;
    const value = config.getOptional(key);
    if (value === undefined || value === false) continue;
    const block = value === true ? undefined : config.getConfig(key);
    const user = block?.getOptionalString('user') ?? 'entityRef';
    const groups = block?.getOptionalString('groups') ?? 'entityRef';
    if (!(USER_FIELDS as readonly string[]).includes(user)) {
      throw new Error(
        `${key}.user must be one of ${USER_FIELDS.join(', ')}, not '${user}'`,
      );
    }
    if (!(GROUP_FIELDS as readonly string[]).includes(groups)) {
      throw new Error(
        `${key}.groups must be one of ${GROUP_FIELDS.join(
          ', ',
        )}, not '${groups}'`,
      );
    }
    result.set(name, {
      user: user as ImpersonationSettings['user'],
      userPrefix: block?.getOptionalString('userPrefix') ?? '',
      groups: groups as ImpersonationSettings['groups'],
      groupPrefix: block?.getOptionalString('groupPrefix') ?? '',
    });
  }
  return result;
}

/**
 * Who a call to a cluster is made for: the person's token from the browser when the cluster's
 * credential is theirs, and their Kubernetes identity when the cluster impersonates.
 *
 * @internal
 */
export class ClusterCallers {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      userInfo: UserInfoService;
    },
  ) {}

  async callerFor(
    cluster: TerminalClusterDetails,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
    auth?: TerminalClusterAuth,
  ): Promise<ClusterCaller> {
    const caller: ClusterCaller = {};
    if (cluster.browserAuthProvider) {
      caller.auth = onlyProvider(cluster, auth);
    }
    if (cluster.impersonate) {
      caller.impersonate = await this.identity(
        cluster,
        cluster.impersonate,
        credentials,
      );
    }
    return caller;
  }

  private async identity(
    cluster: TerminalClusterDetails,
    settings: ImpersonationSettings,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<{ user: string; groups: string[] }> {
    const ref = credentials.principal.userEntityRef;
    let user: string;
    if (settings.user === 'entityRef') {
      user = ref;
    } else if (settings.user === 'name') {
      user = parseEntityRef(ref).name;
    } else {
      const entity = await this.options.catalog.getEntityByRef(ref, {
        credentials,
      });
      const email = (entity?.spec?.profile as { email?: unknown } | undefined)
        ?.email;
      if (typeof email !== 'string' || !email) {
        throw new ClusterAccessError(
          'FORBIDDEN',
          `cluster '${cluster.name}' acts as each person by their email, and ${ref} has none in the catalog (spec.profile.email)`,
        );
      }
      user = email;
    }
    let groups: string[] = [];
    if (settings.groups !== 'none') {
      const info = await this.options.userInfo.getUserInfo(credentials);
      groups = info.ownershipEntityRefs
        .filter(r => parseEntityRef(r).kind.toLowerCase() === 'group')
        .map(r => (settings.groups === 'name' ? parseEntityRef(r).name : r))
        .map(g => settings.groupPrefix + g);
    }
    return { user: settings.userPrefix + user, groups };
  }
}

/** The person's token for this cluster's provider alone: no other credential rides along. */
function onlyProvider(
  cluster: TerminalClusterDetails,
  auth: TerminalClusterAuth | undefined,
): TerminalClusterAuth {
  const key = cluster.browserAuthProvider!;
  const token = key.startsWith('oidc.')
    ? auth?.oidc?.[key.slice('oidc.'.length)]
    : auth?.[key as 'google' | 'aks'];
  if (!token) {
    throw new ClusterAccessError(
      'SIGN_IN_REQUIRED',
      `cluster '${cluster.name}' is reached with your own ${key} credential, and none came with the request: sign in to ${key} and try again`,
    );
  }
  return key.startsWith('oidc.')
    ? { oidc: { [key.slice('oidc.'.length)]: token } }
    : { [key]: token };
}
