/**
 * Migrations of the processPayments schema on real MariaDB/MySQL: each test creates its own
 * database, so upgrades start from a known set of applied migrations.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMysqlConfig, type MysqlConfig } from '../../lib/config.js';
import { createKnex } from '../../lib/db/knex.js';
import { createDatabaseIfMissing, migrateDatabase } from '../../lib/db/migrate.js';
import { migrationSource } from '../../lib/db/migrationSource.js';
import { loadDatabaseTimeouts } from '../../lib/db/knex.js';
import { STATUS_RANK, type PaymentStatus } from '../../lib/paymentEvent.js';
import { uniqueSuffix } from './processHelpers.js';

const REPOSITORY = resolve(import.meta.dirname, '../..');
const MIGRATION_NAMES = ['20250101000001_create_payments', '20250101000002_create_processed_events'];
const RANKS_BEFORE: Record<PaymentStatus, number> = { CREATED: 0, PENDING: 1, AUTHORIZED: 2, SUCCESS: 3, FAILED: 3, CANCELLED: 3, REFUNDED: 4 };

const opened: Array<{ knex: Knex; database: string }> = [];

afterEach(async () => {
  for (const { knex, database } of opened.splice(0)) {
    await knex.raw(`DROP DATABASE IF EXISTS \`${database}\``);
    await knex.destroy();
  }
});

function freshDatabase(): MysqlConfig {
  return { ...loadMysqlConfig(), database: `pw_test_process_migrations_${uniqueSuffix()}` };
}

async function open(mysql: MysqlConfig): Promise<Knex> {
  const knex = createKnex(mysql);
  opened.push({ knex, database: mysql.database });
  return knex;
}

/** Runs only the migrations named in `names`, as a database created by an older release has. */
async function migrateTo(knex: Knex, names: readonly string[]): Promise<void> {
  const all = await migrationSource.getMigrations([]);
  await knex.migrate.latest({
    migrationSource: { ...migrationSource, getMigrations: async () => all.filter((entry) => names.includes(migrationSource.getMigrationName(entry))) },
  });
}

async function insertPayment(knex: Knex, paymentId: string, status: PaymentStatus): Promise<void> {
  await knex('payments').insert({
    provider: 'stripe',
    payment_id: paymentId,
    status,
    status_rank: RANKS_BEFORE[status],
    event_type: status,
    amount: '1.00',
    currency: 'USD',
    last_event_id: `evt_${paymentId}`,
    received_at: '2024-05-01 12:00:00.000',
    effective_at: '2024-05-01 12:00:00.000',
    applied_events: 1,
    created_at: '2024-05-01 12:00:00.000',
    updated_at: '2024-05-01 12:00:00.000',
  });
}

function runMigrateScript(database: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
      cwd: REPOSITORY,
      env: { ...process.env, MYSQL_DATABASE: database, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

describe('processPayments migrations', () => {
  it('recompute status_rank of existing rows', async () => {
    const mysql = freshDatabase();
    await createDatabaseIfMissing(mysql, loadDatabaseTimeouts());
    const knex = await open(mysql);
    await migrateTo(knex, MIGRATION_NAMES);
    const statuses = Object.keys(RANKS_BEFORE) as PaymentStatus[];
    for (const status of statuses) await insertPayment(knex, `pi_${status}`, status);

    const result = await migrateDatabase(mysql);
    const rows = (await knex('payments').select('status', 'status_rank')) as Array<{ status: PaymentStatus; status_rank: number }>;

    expect(result.applied.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(statuses.length);
    for (const row of rows) expect(`${row.status} ${row.status_rank}`).toBe(`${row.status} ${STATUS_RANK[row.status]}`);
  });

  it('add amount and currency to the ledger', async () => {
    const mysql = freshDatabase();
    await migrateDatabase(mysql);
    const knex = await open(mysql);

    const columns = await knex('processed_events').columnInfo();

    expect(columns.amount?.type).toBe('decimal');
    expect(columns.currency?.type).toBe('char');
  });

  it('restore the earlier ranks when rolled back', async () => {
    const mysql = freshDatabase();
    await migrateDatabase(mysql);
    const knex = await open(mysql);
    await insertPayment(knex, 'pi_success', 'SUCCESS');
    await knex('payments').update({ status_rank: STATUS_RANK.SUCCESS });

    await knex.migrate.down({ migrationSource });
    const [row] = (await knex('payments').select('status_rank')) as Array<{ status_rank: number }>;
    const columns = await knex('processed_events').columnInfo();

    expect(row?.status_rank).toBe(RANKS_BEFORE.SUCCESS);
    expect(columns.event_id).toBeDefined();
    expect(columns.amount).toBeUndefined();
  });
});

describe('npm run migrate', () => {
  it('names the migrations it applied, then reports none pending', async () => {
    const mysql = freshDatabase();
    await createDatabaseIfMissing(mysql, loadDatabaseTimeouts());
    await open(mysql);

    const first = await runMigrateScript(mysql.database);
    const second = await runMigrateScript(mysql.database);

    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain('Applied 3 migrations');
    expect(first.output).toContain('20250101000001_create_payments');
    expect(first.output).not.toContain('No migrations were pending');
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('No migrations were pending');
  }, 60_000);
});
