// @ts-check

/**
 * Audit events get a key the writer gives each event when it is queued, unique where present. A batch
 * whose write failed is written again; if the first write had in fact committed (its answer was lost
 * with the connection), the events already there are left as they are instead of being doubled.
 * Events written before this migration have none.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('kubernetes_terminal_audit_events', table => {
    table
      .string('event_key', 36)
      .nullable()
      .comment(
        'Given by the writer when the event was queued; a retried write skips keys present',
      );
    table.unique(['event_key'], {
      indexName: 'kubernetes_terminal_audit_events_key_idx',
    });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('kubernetes_terminal_audit_events', table => {
    table.dropUnique(['event_key'], 'kubernetes_terminal_audit_events_key_idx');
    table.dropColumn('event_key');
  });
};
