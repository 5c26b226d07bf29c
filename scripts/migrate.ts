/**
 * `npm run migrate`: creates the MySQL database named by MYSQL_DATABASE (default `payments`)
 * with utf8mb4 when it is missing, then runs the Knex migrations to the latest version.
 */
import { createLogger, describeError } from '../lib/logger.js';
import { migrateDatabase } from '../lib/db/migrate.js';

const logger = createLogger('migrate');

try {
  const result = await migrateDatabase();
  logger.info('Database schema is current', { database: result.database, migrationsRun: result.applied });
} catch (error) {
  logger.error('Migration failed; check the MYSQL_* variables and that MySQL is reachable', describeError(error));
  process.exitCode = 1;
}
