/**
 * Lambda entry point of `POST /api/webhooks/payment-updates` (legacy sender) and
 * `POST /api/webhooks/{provider}`.
 *
 * Cold start, at module load: SSM secrets are copied into the environment, then the
 * configuration is read and validated. A missing or invalid setting fails the initialization
 * with a message naming the variable, before any request is accepted. The producer connection
 * is opened in the background so the first request usually finds it ready.
 */
import { loadIngestConfig } from '../lib/ingest/config.js';
import { createIngestHandler } from '../lib/ingest/handler.js';
import { sharedProducer } from '../lib/kafka.js';
import { createLogger, describeError } from '../lib/logger.js';
import { loadSsmParameters } from '../lib/secrets.js';

const logger = createLogger('ingest');

const loadedFromSsm = await loadSsmParameters();
const config = loadIngestConfig();
const producer = sharedProducer();
logger.info('Ingest function initialized', {
  providers: [...config.providers.keys()],
  topic: config.kafka.paymentEventsTopic,
  produceTimeoutMs: config.kafka.produceTimeoutMs,
  secretsFromSsm: loadedFromSsm,
});

// A failed connection here is not fatal: the first send connects again.
producer.connect().catch((error: unknown) => {
  logger.warn('Kafka producer could not connect at cold start; the first request retries', describeError(error));
});

export const handler = createIngestHandler({ config, producer, logger });
