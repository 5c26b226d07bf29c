/**
 * Creates the database when it is missing and runs every migration that has not run yet.
 * Safe to run again: an existing database and applied migrations are left as they are.
 */
import type { Knex } from 'knex';
import { loadMysqlConfig, type MysqlConfig } from '../config.js';
import { createKnex, loadDatabaseTimeouts, type DatabaseTimeouts } from './knex.js';
import { migrationSource } from './migrationSource.js';

export interface MigrateResult {
  database: string;
  /** Names of the migrations run by this call; empty when the schema was already current. */
  applied: string[];
}

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

export async function createDatabaseIfMissing(mysql: MysqlConfig, timeouts: DatabaseTimeouts): Promise<void> {
  if (!DATABASE_NAME.test(mysql.database)) {
    throw new Error(
      `Invalid MySQL database name ${JSON.stringify(mysql.database)}: use 1 to 64 letters, digits or underscores.`,
    );
  }
  const server = createKnex(mysql, timeouts, { database: null });
  try {
    await server.raw(
      `CREATE DATABASE IF NOT EXISTS \`${mysql.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await server.destroy();
  }
}

/** Runs migrations to the latest version on an existing Knex instance. */
export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function migrateDatabase(
  mysql: MysqlConfig = loadMysqlConfig(),
  timeouts: DatabaseTimeouts = loadDatabaseTimeouts(),
): Promise<MigrateResult> {
  await createDatabaseIfMissing(mysql, timeouts);
  const knex = createKnex(mysql, timeouts);
  try {
    return { database: mysql.database, applied: await migrateToLatest(knex) };
  } finally {
    await knex.destroy();
  }
}
