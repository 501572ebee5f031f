// @ts-check

/**
 * Sessions record where the replica serving them can be reached by the other replicas (its internal
 * base URL), so that a resume reaching another replica is forwarded to it. Null where the portal does
 * not say (one replica), and for sessions from before this migration.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('kubernetes_terminal_sessions', table => {
    table
      .string('backend_address', 255)
      .nullable()
      .comment(
        'Internal base URL of the replica serving the session, for other replicas to forward to',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('kubernetes_terminal_sessions', table => {
    table.dropColumn('backend_address');
  });
};
