// @ts-check

/**
 * Session pods: the cap their expiry can be extended to, kept beside `expires_at` so that the
 * sessions list shows it and a reconnect, a new tab or another replica never resets it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('kubernetes_terminal_sessions', table => {
    table
      .timestamp('max_expires_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('Session pods: the latest expires_at extensions can reach');
    table.index(
      ['kind', 'cluster', 'namespace', 'pod'],
      'kubernetes_terminal_sessions_pod_idx',
    );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('kubernetes_terminal_sessions', table => {
    table.dropIndex(
      ['kind', 'cluster', 'namespace', 'pod'],
      'kubernetes_terminal_sessions_pod_idx',
    );
    table.dropColumn('max_expires_at');
  });
};
