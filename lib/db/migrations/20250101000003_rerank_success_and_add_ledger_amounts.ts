import type { Knex } from 'knex';

/**
 * Ranks SUCCESS (now 4) above FAILED and CANCELLED (3) and moves REFUNDED to 5, recomputing
 * payments.status_rank from status for rows written with the earlier ranks (SUCCESS 3,
 * REFUNDED 4). Also adds the event's amount and currency to the processed_events ledger, so a
 * refund amount, which no longer replaces the payment amount, stays on record.
 *
 * The ranks are written out here instead of read from STATUS_RANK, so this migration keeps its
 * meaning when the ranks change again; such a change needs a migration of its own.
 * NOTE: rows that processPayments code older than these ranks writes after this migration get
 * the old ranks, so deploy the new code together with the migration, with the consumer stopped.
 */
const RANKS: Record<string, number> = { CREATED: 0, PENDING: 1, AUTHORIZED: 2, FAILED: 3, CANCELLED: 3, SUCCESS: 4, REFUNDED: 5 };
const EARLIER_RANKS: Record<string, number> = { CREATED: 0, PENDING: 1, AUTHORIZED: 2, SUCCESS: 3, FAILED: 3, CANCELLED: 3, REFUNDED: 4 };

async function rankPayments(knex: Knex, ranks: Record<string, number>): Promise<void> {
  const statuses = Object.keys(ranks);
  const rankOfStatus = `CASE status ${statuses.map(() => 'WHEN ? THEN ?').join(' ')} END`;
  const bindings = statuses.flatMap((status) => [status, ranks[status] as number]);
  await knex.raw(
    `UPDATE payments SET status_rank = ${rankOfStatus} WHERE status IN (${statuses.map(() => '?').join(', ')}) AND status_rank <> ${rankOfStatus}`,
    [...bindings, ...statuses, ...bindings],
  );
}

export async function up(knex: Knex): Promise<void> {
  await rankPayments(knex, RANKS);

  await knex.schema.alterTable('processed_events', (table) => {
    // NULL for events recorded before this migration; every later event has both.
    table.decimal('amount', 22, 4).nullable();
    table.specificType('currency', 'CHAR(3)').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('processed_events', (table) => {
    table.dropColumn('amount');
    table.dropColumn('currency');
  });

  await rankPayments(knex, EARLIER_RANKS);
}
