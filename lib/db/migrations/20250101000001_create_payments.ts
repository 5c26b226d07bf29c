import type { Knex } from 'knex';

/**
 * The current state of each payment, one row per (provider, payment_id). The processor replaces
 * a row only under the ordering rules of lib/processing/statusRules.ts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payments', (table) => {
    table.engine('InnoDB');
    table.charset('utf8mb4');
    table.collate('utf8mb4_unicode_ci');

    // Identifiers compare byte for byte (utf8mb4_bin), as the provider and Redis compare them:
    // under utf8mb4_unicode_ci, ids differing only in letter case would be the same key.
    table.string('provider', 32).notNullable().collate('utf8mb4_bin');
    table.string('payment_id', 255).notNullable().collate('utf8mb4_bin');
    table.string('status', 16).notNullable();
    table.specificType('status_rank', 'TINYINT UNSIGNED').notNullable();
    table.string('event_type', 128).notNullable();
    // 18 integer digits and 4 fraction digits: every ISO 4217 minor unit (CLF and UYW have 4).
    table.decimal('amount', 22, 4).notNullable();
    table.specificType('currency', 'CHAR(3)').notNullable();
    table.string('customer_id', 255).nullable();
    table.string('order_id', 255).nullable();
    table.string('last_event_id', 255).notNullable().collate('utf8mb4_bin');
    // The provider's event time, UTC; null when the provider did not send one.
    table.specificType('occurred_at', 'DATETIME(3)').nullable();
    table.specificType('received_at', 'DATETIME(3)').notNullable();
    // occurred_at, or received_at when occurred_at is null; kept for queries, while the status
    // rules compare occurred_at and received_at themselves.
    table.specificType('effective_at', 'DATETIME(3)').notNullable();
    // Number of events applied to this row over its lifetime; stale events do not count.
    table.integer('applied_events').unsigned().notNullable();
    table.specificType('created_at', 'DATETIME(3)').notNullable();
    table.specificType('updated_at', 'DATETIME(3)').notNullable();

    table.primary(['provider', 'payment_id']);
    table.index(['order_id'], 'payments_order_id_index');
    table.index(['customer_id'], 'payments_customer_id_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payments');
}
