/**
 * The Knex instance for MySQL 8 and MariaDB 10.11, created once per container.
 *
 * Every pooled connection runs in UTC with strict SQL mode, and mysql2 returns DECIMAL and
 * DATETIME columns as strings, so amounts keep every digit and times never shift with the
 * server's or the process's time zone.
 */
import knexFactory, { type Knex } from 'knex';
import { loadMysqlConfig, once, readInteger, type MysqlConfig } from '../config.js';
import { createLogger } from '../logger.js';

type Env = Record<string, string | undefined>;

export interface DatabaseTimeouts {
  /** Upper bound for opening a TCP connection and completing the MySQL handshake. */
  connectTimeoutMs: number;
  /** Upper bound for waiting for a free pooled connection. */
  acquireTimeoutMs: number;
  /** Upper bound for one statement; mysql2 destroys the connection when it passes. */
  queryTimeoutMs: number;
  /** innodb_lock_wait_timeout of each session, in seconds; a longer wait fails with error 1205. */
  lockWaitTimeoutSeconds: number;
}

export function loadDatabaseTimeouts(env: Env = process.env): DatabaseTimeouts {
  return {
    connectTimeoutMs: readInteger(env, 'MYSQL_CONNECT_TIMEOUT_MS', 3000, 100, 60_000),
    acquireTimeoutMs: readInteger(env, 'MYSQL_ACQUIRE_TIMEOUT_MS', 5000, 100, 60_000),
    queryTimeoutMs: readInteger(env, 'MYSQL_QUERY_TIMEOUT_MS', 15_000, 100, 600_000),
    lockWaitTimeoutSeconds: readInteger(env, 'MYSQL_LOCK_WAIT_TIMEOUT_SECONDS', 5, 1, 3600),
  };
}

// Strict mode makes an out-of-range or too-long value an error instead of a silently clipped
// value. Every mode listed exists in both MySQL 8 and MariaDB 10.11.
const SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

interface SessionConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * Creates a Knex instance with a bounded pool. `database: null` connects without selecting a
 * database (used to create it).
 */
export function createKnex(
  mysql: MysqlConfig = loadMysqlConfig(),
  timeouts: DatabaseTimeouts = loadDatabaseTimeouts(),
  options: { database?: string | null } = {},
): Knex {
  const database = options.database === undefined ? mysql.database : options.database;
  const logger = createLogger('knex', { database });
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: mysql.host,
      port: mysql.port,
      user: mysql.user,
      password: mysql.password,
      ...(database === null ? {} : { database }),
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: true,
      decimalNumbers: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: timeouts.connectTimeoutMs,
      ...(mysql.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    },
    pool: {
      min: 0,
      max: mysql.poolMax,
      afterCreate: (connection: SessionConnection, done: (error: Error | null, connection: SessionConnection) => void) => {
        const statement =
          `SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00', sql_mode = '${SQL_MODE}', ` +
          `innodb_lock_wait_timeout = ${timeouts.lockWaitTimeoutSeconds}`;
        connection.query(statement, (error) => done(error, connection));
      },
    },
    acquireConnectionTimeout: timeouts.acquireTimeoutMs,
    // Error messages carry the SQL with placeholders, not the bound values (payment data).
    compileSqlOnError: false,
    // Knex prints pool and connection errors to the console by default; keep them structured.
    log: {
      warn: (message: unknown) => logger.warn(String(message)),
      error: (message: unknown) => logger.error(String(message)),
      deprecate: (method: string, alternative: string) => logger.warn(`Knex: ${method} is deprecated, use ${alternative}`),
      debug: (message: unknown) => logger.debug(String(message)),
    },
  });
}

/** The Knex instance shared by every invocation of this container, created on first use. */
export const sharedKnex = once(() => createKnex());
