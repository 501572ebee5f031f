import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseSessionStore } from '../database/DatabaseSessionStore';
import { AgentTunnelDirectory } from './AgentTunnelDirectory';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe('AgentTunnelDirectory', () => {
  it.each(databases.eachSupportedId())(
    "lists the other replicas' live tunnels, newest first, on %s",
    async databaseId => {
      const knex = await databases.init(databaseId);
      // The plugin's migrations, as the backend runs them.
      await DatabaseSessionStore.create({
        database: mockServices.database({ knex, migrations: { skip: false } }),
      });
      const a = new AgentTunnelDirectory(knex, 'http://10.0.0.1:7007/api/x');
      const b = new AgentTunnelDirectory(knex, 'http://10.0.0.2:7007/api/x');
      const tunnel = (id: string, cluster: string, ageMs: number) => ({
        id,
        cluster,
        tokenId: 'ci',
        version: '1.0.0',
        apiServer: 'kubernetes.default.svc:443',
        remoteAddress: '198.51.100.7',
        connectedAt: new Date(Date.now() - ageMs),
      });
      await a.announce(tunnel('t-old', 'prod', 60_000));
      await a.announce(tunnel('t-new', 'prod', 1_000));
      await a.announce(tunnel('t-other', 'staging', 1_000));
      await b.announce(tunnel('t-b', 'prod', 500));

      // B sees A's tunnels of the cluster, newest first, and not its own.
      expect((await b.others('prod')).map(t => t.id)).toEqual([
        't-new',
        't-old',
      ]);
      expect(await b.others('prod')).toContainEqual({
        id: 't-new',
        cluster: 'prod',
        replicaAddress: 'http://10.0.0.1:7007/api/x',
        tokenId: 'ci',
        version: '1.0.0',
        apiServer: 'kubernetes.default.svc:443',
        remoteAddress: '198.51.100.7',
        connectedAt: expect.any(Date),
      });
      expect((await a.others()).map(t => t.id)).toEqual(['t-b']);

      // A row not seen for a minute belongs to a replica that is gone.
      await knex('kubernetes_terminal_agent_tunnels')
        .where('id', 't-new')
        .update({ seen_at: new Date(Date.now() - 61_000) });
      expect((await b.others('prod')).map(t => t.id)).toEqual(['t-old']);
      await a.touch(['t-new']);
      expect((await b.others('prod')).map(t => t.id)).toEqual([
        't-new',
        't-old',
      ]);

      await a.withdraw('t-old');
      expect((await b.others('prod')).map(t => t.id)).toEqual(['t-new']);
      // A restarted replica forgets what its address held before.
      await a.clearOwn();
      expect(await b.others()).toEqual([]);
      expect((await a.others()).map(t => t.id)).toEqual(['t-b']);
      await knex.destroy();
    },
  );
});
