/**
 * The processor of this Lambda container: created on the first invocation and reused by warm
 * ones, with the Knex pool, the Redis client and the Kafka producer it holds.
 */
import { sharedKnex, loadDatabaseTimeouts } from '../db/knex.js';
import { PaymentRepository } from '../db/paymentRepository.js';
import { IdempotencyStore, sharedRedis } from '../idempotency.js';
import { sharedProducer } from '../kafka.js';
import { createLogger } from '../logger.js';
import { loadSsmParameters } from '../secrets.js';
import { BatchProcessor } from './batchProcessor.js';
import { loadProcessingConfig, type ProcessingConfig } from './config.js';

export interface ProcessingRuntime {
  processor: BatchProcessor;
  config: ProcessingConfig;
}

let pending: Promise<ProcessingRuntime> | undefined;

/**
 * Returns the container's runtime, building it on first use: SSM secrets first (for example
 * MYSQL_PASSWORD from MYSQL_PASSWORD_SSM_PARAMETER), then configuration and clients. A failed
 * start is not cached, so the next invocation tries again.
 */
export function processingRuntime(): Promise<ProcessingRuntime> {
  pending ??= (async () => {
    await loadSsmParameters();
    const config = loadProcessingConfig();
    const processor = new BatchProcessor({
      knex: sharedKnex(),
      idempotency: new IdempotencyStore(sharedRedis(), {
        keyPrefix: config.redisKeyPrefix,
        retentionSeconds: config.idempotencyRetentionSeconds,
      }),
      repository: new PaymentRepository({ queryTimeoutMs: loadDatabaseTimeouts().queryTimeoutMs }),
      deadLetters: sharedProducer(),
      config,
      logger: createLogger('processPayments'),
    });
    return { processor, config };
  })().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}
