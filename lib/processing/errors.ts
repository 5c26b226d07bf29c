/**
 * Error classes of the processPayments path, and the MySQL error numbers that decide between
 * retrying a transaction, dead-lettering a record and failing the batch.
 */

/** Reason code of a dead-lettered record, sent as the `dlq-reason` header. */
export type DeadLetterReason =
  | 'missing-value'
  | 'invalid-base64'
  | 'invalid-utf8'
  | 'invalid-json'
  | 'invalid-schema'
  | 'conflicting-duplicate'
  | 'rejected-by-database';

/** A PaymentEvent that failed validation; `field` names the first offending field. */
export class InvalidPaymentEventError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`Invalid payment event: ${field} ${problem}`);
    this.name = 'InvalidPaymentEventError';
  }
}

/**
 * Raised at the end of a batch when some events are held by another invocation's unexpired
 * lease. The batch is retried, so those events are applied once that lease is settled.
 */
export class LeaseHeldError extends Error {
  constructor(readonly eventIds: string[]) {
    super(
      `${eventIds.length} event(s) are in progress in another invocation (first: ${eventIds[0]}); ` +
        'failing the batch so it is retried after that lease is completed or expires',
    );
    this.name = 'LeaseHeldError';
  }
}

/** Raised when the batch could not be completed; the event-source mapping retries it. */
export class BatchFailedError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'BatchFailedError';
  }
}

export const ER_DUP_ENTRY = 1062;
export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_LOCK_DEADLOCK = 1213;

/**
 * MySQL errors raised by a value the column cannot hold (strict SQL mode): out of range, too
 * long, wrong value for the type, NULL in a NOT NULL column, invalid string bytes.
 */
const DATA_ERRORS = new Set([1048, 1264, 1265, 1292, 1366, 1406, 1411, 1690]);

function errnoOf(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/**
 * True for failures that a new attempt of the same transaction can get past: deadlock, lock
 * wait timeout, and a duplicate key, which means that a concurrent transaction inserted a
 * ledger row or a payment row of the batch first.
 */
export function isRetryableTransactionError(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT || errno === ER_DUP_ENTRY;
}

/** True when MySQL rejected a value of the statement, which no retry can fix. */
export function isDataError(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno !== undefined && DATA_ERRORS.has(errno);
}

/**
 * Returns log fields for a MySQL error: the server's own message and codes, without the SQL
 * text that Knex adds to `message`. Other errors get name and message.
 */
export function describeDatabaseError(error: unknown): Record<string, unknown> {
  const details = error as { sqlMessage?: unknown; code?: unknown; errno?: unknown } | null;
  if (typeof details?.sqlMessage === 'string') {
    return { errorCode: details.code, errno: details.errno, errorMessage: details.sqlMessage };
  }
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorMessage: String(error) };
}
