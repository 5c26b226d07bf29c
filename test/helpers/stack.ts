/**
 * Helpers for tests that run against the local stack (`npm run stack:up`): the addresses from
 * KAFKA_BROKERS, REDIS_URL and MYSQL_*, a private MySQL database per test file, and polling.
 */
import mysql from 'mysql2/promise';
import { loadKafkaConfig, loadMysqlConfig, type MysqlConfig } from '../../lib/config.js';
import { migrateDatabase } from '../../lib/db/migrate.js';
import { loadDatabaseTimeouts } from '../../lib/db/knex.js';
import { createKafka, ensureTopics, type TopicSpec } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';

/** Connection settings of the stack the tests use, with the local defaults. */
export function stackEnv() {
  const kafka = loadKafkaConfig();
  const database = loadMysqlConfig();
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    MYSQL_HOST: database.host,
    MYSQL_PORT: String(database.port),
    MYSQL_USER: database.user,
    ...(database.password === '' ? {} : { MYSQL_PASSWORD: database.password }),
  };
}

/** Creates a database of its own for one test file, created with the project's migrations. */
export async function createTestDatabase(name: string): Promise<MysqlConfig> {
  const config = { ...loadMysqlConfig(), database: name };
  await migrateDatabase(config, loadDatabaseTimeouts());
  return config;
}

export async function dropTestDatabase(config: MysqlConfig): Promise<void> {
  const connection = await mysql.createConnection({ host: config.host, port: config.port, user: config.user, password: config.password });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${config.database}\``);
  } finally {
    await connection.end();
  }
}

export function connectDatabase(config: MysqlConfig): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    // DECIMAL columns come back as strings, so amounts compare exactly.
    decimalNumbers: false,
  });
}

/** Creates topics that do not exist yet on the stack's broker. */
export async function createTopics(specs: TopicSpec[]): Promise<void> {
  await ensureTopics(createKafka(loadKafkaConfig(), createLogger('test-topics')), specs);
}

/** Deletes topics; missing topics are ignored. */
export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = createKafka(loadKafkaConfig(), createLogger('test-topics')).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `read` every `intervalMs` until `done(value)` holds, and returns the last value either
 * way once `timeoutMs` passed, so the caller's assertion shows what was there.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await read();
  }
  return value;
}
