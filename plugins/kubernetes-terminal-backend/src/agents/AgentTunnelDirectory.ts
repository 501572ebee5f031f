import type { Knex } from 'knex';

const TABLE = 'kubernetes_terminal_agent_tunnels';
/** A row not refreshed for this long belongs to a replica that is gone. */
const STALE_MS = 60_000;

/** A tunnel as the directory lists it. @internal */
export interface DirectoryTunnel {
  id: string;
  cluster: string;
  replicaAddress: string;
  tokenId: string;
  version?: string;
  apiServer?: string;
  remoteAddress?: string;
  connectedAt: Date;
}

interface Row {
  id: string;
  cluster: string;
  replica_address: string;
  token_id: string;
  version: string | null;
  api_server: string | null;
  remote_address: string | null;
  connected_at: Date | string;
  seen_at: Date | string;
}

/**
 * Which replica holds which agent tunnel, in the portal's database: a replica without a tunnel to a
 * cluster finds one that has it here, and relays through it.
 *
 * @internal
 */
export class AgentTunnelDirectory {
  constructor(
    private readonly db: Knex,
    /** This replica's internal base URL (`resume.instanceUrl`). */
    readonly ownAddress: string,
  ) {}

  /** Forgets the tunnels this replica's address held before it (re)started. */
  async clearOwn(): Promise<void> {
    await this.db<Row>(TABLE)
      .where('replica_address', this.ownAddress)
      .delete();
  }

  async announce(tunnel: Omit<DirectoryTunnel, 'replicaAddress'>) {
    const now = new Date();
    await this.db<Row>(TABLE).insert({
      id: tunnel.id,
      cluster: tunnel.cluster,
      replica_address: this.ownAddress,
      token_id: tunnel.tokenId,
      version: tunnel.version ?? null,
      api_server: tunnel.apiServer ?? null,
      remote_address: tunnel.remoteAddress ?? null,
      connected_at: tunnel.connectedAt,
      seen_at: now,
    });
  }

  async withdraw(id: string): Promise<void> {
    await this.db<Row>(TABLE).where('id', id).delete();
  }

  /** Marks this replica's live tunnels as seen now. */
  async touch(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db<Row>(TABLE)
      .whereIn('id', ids)
      .update({ seen_at: new Date() });
  }

  /** Live tunnels of other replicas, newest first; of one cluster, or of all. */
  async others(cluster?: string): Promise<DirectoryTunnel[]> {
    const query = this.db<Row>(TABLE)
      .whereNot('replica_address', this.ownAddress)
      .where('seen_at', '>', new Date(Date.now() - STALE_MS))
      .orderBy('connected_at', 'desc');
    if (cluster !== undefined) query.where('cluster', cluster);
    const rows = await query;
    return rows.map(row => ({
      id: row.id,
      cluster: row.cluster,
      replicaAddress: row.replica_address,
      tokenId: row.token_id,
      ...(row.version && { version: row.version }),
      ...(row.api_server && { apiServer: row.api_server }),
      ...(row.remote_address && { remoteAddress: row.remote_address }),
      connectedAt: new Date(row.connected_at),
    }));
  }
}
