// @ts-check

/**
 * The agent tunnels each replica holds, so that a replica without a tunnel to a private cluster relays
 * its connections through the replica that has one. A replica adds its tunnels' rows, refreshes
 * `seen_at` while they live, and removes them when they close; rows not seen for a minute are ignored.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('kubernetes_terminal_agent_tunnels', table => {
    table.comment(
      'Agent tunnels of private clusters, by the replica holding them',
    );
    table.string('id', 36).primary().notNullable().comment('Tunnel id (uuid)');
    table
      .string('cluster', 253)
      .notNullable()
      .comment('Cluster the agent serves');
    table
      .string('replica_address', 255)
      .notNullable()
      .comment('Internal base URL of the replica holding the tunnel');
    table
      .string('token_id', 64)
      .notNullable()
      .comment('Id of the token the agent presented');
    table.string('version', 64).nullable().comment("The agent's version");
    table
      .string('api_server', 300)
      .nullable()
      .comment('Address the agent relays to');
    table
      .string('remote_address', 64)
      .nullable()
      .comment("The agent's address");
    table.timestamp('connected_at', { useTz: true }).notNullable();
    table.timestamp('seen_at', { useTz: true }).notNullable();
    table.index(['cluster'], 'kubernetes_terminal_agent_tunnels_cluster_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('kubernetes_terminal_agent_tunnels');
};
