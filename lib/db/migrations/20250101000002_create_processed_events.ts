import type { Knex } from 'knex';

/**
 * The ledger of processed events. Its primary key on event_id makes a second application of an
 * event impossible, even when the Redis idempotency keys are lost.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('processed_events', (table) => {
    table.engine('InnoDB');
    table.charset('utf8mb4');
    table.collate('utf8mb4_unicode_ci');

    // Identifiers compare byte for byte (utf8mb4_bin), like the Redis idempotency keys.
    table.string('event_id', 255).notNullable().collate('utf8mb4_bin').primary();
    table.string('provider', 32).notNullable().collate('utf8mb4_bin');
    table.string('payment_id', 255).notNullable().collate('utf8mb4_bin');
    // applied: the event changed the payment row. stale: it was older or lower-ranked than the row.
    table.enu('outcome', ['applied', 'stale']).notNullable();
    // SHA-256 (hex) of the event without receivedAt; tells a redelivery from a conflicting reuse of the id.
    table.specificType('payload_hash', 'CHAR(64)').notNullable();
    table.string('kafka_topic', 249).notNullable();
    table.integer('kafka_partition').notNullable();
    table.bigInteger('kafka_offset').notNullable();
    table.specificType('processed_at', 'DATETIME(3)').notNullable();

    table.index(['provider', 'payment_id'], 'processed_events_payment_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('processed_events');
}
