/**
 * Migrations as a static Knex MigrationSource. The modules are imported here instead of being
 * read from a directory, so they are part of the esbuild bundle and also load under tsx.
 * Add a new migration by importing it and appending it to MIGRATIONS; never rename one that
 * has run, because knex_migrations stores the names.
 */
import type { Knex } from 'knex';
import * as createPayments from './migrations/20250101000001_create_payments.js';
import * as createProcessedEvents from './migrations/20250101000002_create_processed_events.js';
import * as rerankSuccessAndAddLedgerAmounts from './migrations/20250101000003_rerank_success_and_add_ledger_amounts.js';

interface NamedMigration {
  name: string;
  migration: Knex.Migration;
}

const MIGRATIONS: readonly NamedMigration[] = [
  { name: '20250101000001_create_payments', migration: createPayments },
  { name: '20250101000002_create_processed_events', migration: createProcessedEvents },
  { name: '20250101000003_rerank_success_and_add_ledger_amounts', migration: rerankSuccessAndAddLedgerAmounts },
];

export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (entry) => entry.name,
  getMigration: async (entry) => entry.migration,
};
