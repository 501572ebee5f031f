// @ts-check

/**
 * Session recordings (asciicast v2): one row per recording with its header, its events in binary
 * chunks written as the session runs (the terminal's bytes as they came, not JSON-escaped: cheap to
 * record), turned into asciicast lines when read.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('kubernetes_terminal_recordings', table => {
    table.comment(
      'asciicast v2 recordings of terminal sessions (output and resizes, never input)',
    );
    table.string('session_id').primary().notNullable();
    table
      .text('header')
      .notNullable()
      .comment('The asciicast header line, JSON');
    table.timestamp('started_at', { useTz: true, precision: 3 }).notNullable();
    table
      .timestamp('updated_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Start, then end; retention ages recordings by it');
    table.timestamp('ended_at', { useTz: true, precision: 3 }).nullable();
    table
      .boolean('truncated')
      .notNullable()
      .defaultTo(false)
      .comment('Stopped at the size cap, or lost output');
    table.index('updated_at', 'kubernetes_terminal_recordings_updated_at_idx');
  });
  await knex.schema.createTable(
    'kubernetes_terminal_recording_chunks',
    table => {
      table.comment('Events of a recording, in order of seq');
      table.string('session_id').notNullable();
      table.integer('seq').notNullable();
      table
        .binary('data')
        .notNullable()
        .comment(
          'Whole events, framed as in src/recording/recordingFormat.ts; served as asciicast lines',
        );
      table.primary(['session_id', 'seq']);
    },
  );
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('kubernetes_terminal_recording_chunks');
  await knex.schema.dropTable('kubernetes_terminal_recordings');
};
