import type { AuthService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CreateTerminalSessionResponse } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { PeerAuth } from '../agents/peerRelay';

/** The plugin's id: replicas accept forwarded calls only from the plugin itself. @internal */
export const REPLICA_PLUGIN_ID = 'kubernetes-terminal';

/** What a replica is asked when a resume reached another one. @internal */
export interface ForwardedResume {
  offset: number;
  userEntityRef: string;
}

const FORWARD_TIMEOUT_MS = 5000;

/**
 * Calls from one replica of the portal backend to another, authenticated with the backend's own
 * service token for this plugin (Backstage's plugin-to-plugin auth, whose keys every replica shares
 * through the database).
 *
 * @internal
 */
export class ReplicaClient implements PeerAuth {
  constructor(private readonly auth: AuthService) {}

  /** A token of this plugin for another replica of it. */
  async token(): Promise<string> {
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: await this.auth.getOwnServiceCredentials(),
      targetPluginId: REPLICA_PLUGIN_ID,
    });
    return token;
  }

  /** Whether a token is this plugin's own (another replica's). */
  async verify(token: string): Promise<boolean> {
    const credentials = await this.auth.authenticate(token);
    return (
      this.auth.isPrincipal(credentials, 'service') &&
      credentials.principal.subject === `plugin:${REPLICA_PLUGIN_ID}`
    );
  }

  /** Asks the replica at `address` (its plugin base URL) for a resume ticket of its session. */
  async resume(
    address: string,
    sessionId: string,
    body: ForwardedResume,
  ): Promise<CreateTerminalSessionResponse> {
    const token = await this.token();
    let res: Response;
    try {
      res = await fetch(
        `${address}/internal/sessions/${encodeURIComponent(sessionId)}/resume`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
        },
      );
    } catch (error) {
      throw new ServiceUnavailableError(
        `the portal replica holding terminal session ${sessionId} cannot be reached: ${
          (error as Error).message
        }`,
      );
    }
    if (res.ok) {
      return (await res.json()) as CreateTerminalSessionResponse;
    }
    const message = await res.json().then(
      (b: { error?: { message?: string } }) => b.error?.message,
      () => undefined,
    );
    const text = message ?? `HTTP ${res.status}`;
    if (res.status === 404) throw new NotFoundError(text);
    if (res.status === 409) throw new ConflictError(text);
    throw new ServiceUnavailableError(
      `the portal replica holding terminal session ${sessionId} answered: ${text}`,
    );
  }
}
