/**
 * Bounded retries of the batch transaction with exponential backoff and full jitter, for
 * failures that a new attempt can get past (isRetryableTransactionError).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { describeDatabaseError, isRetryableTransactionError } from './errors.js';

export interface RetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryOutcome<T> {
  value: T;
  /** Attempts made, 1 when the first one succeeded. */
  attempts: number;
}

/** Delay before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))]. */
export function backoffDelayMs(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, throws an error that is not retryable, or has run
 * `maxAttempts` times; the last error is then rethrown.
 */
export async function withTransactionRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
  logger: Logger,
): Promise<RetryOutcome<T>> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return { value: await attempt(attemptNumber), attempts: attemptNumber };
    } catch (error) {
      if (!isRetryableTransactionError(error) || attemptNumber >= options.maxAttempts) throw error;
      const delayMs = backoffDelayMs(attemptNumber, options);
      logger.warn('Batch transaction failed and will be retried', {
        attempt: attemptNumber,
        maxAttempts: options.maxAttempts,
        delayMs,
        ...describeDatabaseError(error),
      });
      await sleep(delayMs);
    }
  }
}
