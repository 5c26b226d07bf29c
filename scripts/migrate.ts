/**
 * `npm run migrate`: creates the MySQL database named by MYSQL_DATABASE (default `payments`)
 * with utf8mb4 when it is missing, then runs the Knex migrations to the latest version.
 */
import { createLogger, describeError } from '../lib/logger.js';
import { migrateDatabase } from '../lib/db/migrate.js';

const logger = createLogger('migrate');

try {
  const result = await migrateDatabase();
  if (result.applied.length === 0) {
    logger.info('No migrations were pending; the database schema is current', { database: result.database });
  } else {
    const noun = result.applied.length === 1 ? 'migration' : 'migrations';
    logger.info(`Applied ${result.applied.length} ${noun}: ${result.applied.join(', ')}`, { database: result.database, applied: result.applied });
  }
} catch (error) {
  logger.error('Migration failed; check the MYSQL_* variables and that MySQL is reachable', describeError(error));
  process.exitCode = 1;
}
