/**
 * Settings of the processPayments path, read from the environment once per container.
 */
import { loadKafkaConfig, loadRedisConfig, readBoolean, readInteger } from '../config.js';

type Env = Record<string, string | undefined>;

export interface ProcessingConfig {
  /** Redis key prefix (REDIS_KEY_PREFIX), put before `idempotency:<eventId>`. */
  redisKeyPrefix: string;
  /** How long a completed idempotency key is kept, in seconds (IDEMPOTENCY_RETENTION_SECONDS). */
  idempotencyRetentionSeconds: number;
  /** Added to the invocation's remaining time to get the lease (IDEMPOTENCY_LEASE_MARGIN_MS). */
  leaseMarginMs: number;
  /** Lease used when the caller passes no remaining time, for example a script (IDEMPOTENCY_DEFAULT_LEASE_MS). */
  defaultLeaseMs: number;
  /** Attempts of the batch transaction on deadlock or lock wait timeout (DB_TRANSACTION_MAX_ATTEMPTS). */
  transactionMaxAttempts: number;
  /** First backoff before a transaction retry, in ms; doubles per attempt, with full jitter. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Return ReportBatchItemFailures responses instead of failing the batch (PARTIAL_BATCH_RESPONSE). */
  partialBatchResponse: boolean;
  deadLetterTopic: string;
}

export function loadProcessingConfig(env: Env = process.env): ProcessingConfig {
  return {
    redisKeyPrefix: loadRedisConfig(env).keyPrefix,
    idempotencyRetentionSeconds: readInteger(env, 'IDEMPOTENCY_RETENTION_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    leaseMarginMs: readInteger(env, 'IDEMPOTENCY_LEASE_MARGIN_MS', 1000, 0, 60_000),
    defaultLeaseMs: readInteger(env, 'IDEMPOTENCY_DEFAULT_LEASE_MS', 60_000, 1000, 15 * 60_000),
    transactionMaxAttempts: readInteger(env, 'DB_TRANSACTION_MAX_ATTEMPTS', 5, 1, 20),
    retryBaseDelayMs: readInteger(env, 'DB_RETRY_BASE_DELAY_MS', 50, 1, 10_000),
    retryMaxDelayMs: readInteger(env, 'DB_RETRY_MAX_DELAY_MS', 1000, 1, 60_000),
    partialBatchResponse: readBoolean(env, 'PARTIAL_BATCH_RESPONSE', false),
    deadLetterTopic: loadKafkaConfig(env).deadLetterTopic,
  };
}
