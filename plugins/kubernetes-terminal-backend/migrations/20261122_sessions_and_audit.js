// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('kubernetes_terminal_sessions', table => {
    table.comment('Terminal sessions opened into Kubernetes pods');
    table
      .string('id')
      .primary()
      .notNullable()
      .comment('The UUID of the session');
    table
      .string('user_entity_ref')
      .notNullable()
      .comment('The user who opened the session');
    table
      .string('entity_ref')
      .notNullable()
      .comment('The catalog entity whose workload the pod belongs to');
    table.string('cluster').notNullable().comment('The cluster name');
    table
      .string('cluster_type')
      .notNullable()
      .comment('public or private, as configured for the cluster');
    table.string('namespace').notNullable();
    table.string('pod').notNullable();
    table.string('container').notNullable();
    table.string('kind').notNullable().comment('exec or session-pod');
    table
      .string('status')
      .notNullable()
      .comment('active, idle, expired, closed or terminated');
    // Millisecond precision keeps the (created_at, id) keyset cursor exact; the values are always
    // written by the store, never defaulted, because SQLite would store a default as text.
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table
      .timestamp('last_activity_at', { useTz: true, precision: 3 })
      .notNullable();
    table.timestamp('expires_at', { useTz: true, precision: 3 }).nullable();
    table.timestamp('ended_at', { useTz: true, precision: 3 }).nullable();
    table.text('end_reason').nullable();
    table.string('client_ip').nullable();
    table.text('user_agent').nullable();
    table.string('shell').nullable();
    table
      .string('backend_instance')
      .nullable()
      .comment('The backend replica that holds the session stream');
    table
      .timestamp('heartbeat_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Refreshed by the owning replica; stale rows outlived a crash');

    table.index('status', 'kubernetes_terminal_sessions_status_idx');
    table.index(
      'user_entity_ref',
      'kubernetes_terminal_sessions_user_entity_ref_idx',
    );
    table.index('entity_ref', 'kubernetes_terminal_sessions_entity_ref_idx');
    table.index('created_at', 'kubernetes_terminal_sessions_created_at_idx');
  });

  await knex.schema.createTable('kubernetes_terminal_audit_events', table => {
    table.comment('Audit trail of terminal sessions, append-only');
    table.bigIncrements('id');
    // No foreign key: a denied open has no session, and events may be written before the
    // session row or outlive it under retention.
    table.string('session_id').nullable();
    table
      .string('event_type')
      .notNullable()
      .comment(
        'connect, disconnect, command_executed, resize, denied, extend, expire, idle or terminate',
      );
    table.string('user_entity_ref').notNullable();
    table.string('entity_ref').nullable();
    table.string('cluster').nullable();
    table.string('namespace').nullable();
    table.string('pod').nullable();
    table.string('container').nullable();
    table.text('command').nullable();
    table.string('client_ip').nullable();
    table.text('user_agent').nullable();
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.text('details').nullable().comment('JSON object');

    table.index(
      'created_at',
      'kubernetes_terminal_audit_events_created_at_idx',
    );
    table.index(
      'session_id',
      'kubernetes_terminal_audit_events_session_id_idx',
    );
    table.index(
      'user_entity_ref',
      'kubernetes_terminal_audit_events_user_entity_ref_idx',
    );
    table.index(
      'event_type',
      'kubernetes_terminal_audit_events_event_type_idx',
    );
    table.index('cluster', 'kubernetes_terminal_audit_events_cluster_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('kubernetes_terminal_audit_events');
  await knex.schema.dropTable('kubernetes_terminal_sessions');
};
