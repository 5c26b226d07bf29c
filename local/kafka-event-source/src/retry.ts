/**
 * Retry policy for a failed batch. By default AWS retries a failed Kafka batch until it succeeds
 * (maximum retry attempts -1, "Configuring error handling controls for Kafka event sources").
 * A local cap sends the batch to the dead-letter topic instead.
 *
 * Backoff is exponential with "equal jitter": half of the capped delay is fixed and the other
 * half random, so retries of many partitions spread out but never fire back to back.
 */
import type { RetrySettings } from './config.js';

/** Delay before retry number `retry` (1 for the first retry). */
export function backoffDelayMs(retry: number, settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30);
  const capped = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** exponent);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** True when `retriesDone` retries already failed and the settings allow no more. */
export function retriesExhausted(retriesDone: number, settings: Pick<RetrySettings, 'maximumRetryAttempts'>): boolean {
  return settings.maximumRetryAttempts !== -1 && retriesDone >= settings.maximumRetryAttempts;
}
