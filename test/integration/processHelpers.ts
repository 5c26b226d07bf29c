/**
 * Shared setup of the processPayments integration tests: each call gets its own MySQL database,
 * dead-letter topic and Redis key prefix on the real services, so test files never collide.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Redis } from 'ioredis';
import { loadKafkaConfig, loadMysqlConfig, loadRedisConfig, type MysqlConfig } from '../../lib/config.js';
import { createKnex, loadDatabaseTimeouts } from '../../lib/db/knex.js';
import { migrateDatabase } from '../../lib/db/migrate.js';
import { PaymentRepository } from '../../lib/db/paymentRepository.js';
import { createRedisClient, IdempotencyStore } from '../../lib/idempotency.js';
import { createKafka, ensureTopics, ReliableProducer, type IHeaders } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';
import type { PaymentEvent } from '../../lib/paymentEvent.js';
import { BatchProcessor, type BatchHooks } from '../../lib/processing/batchProcessor.js';
import { loadProcessingConfig, type ProcessingConfig } from '../../lib/processing/config.js';

export interface ProcessTestEnvironment {
  name: string;
  database: string;
  topic: string;
  deadLetterTopic: string;
  redisPrefix: string;
  mysql: MysqlConfig;
  knex: Knex;
  redis: Redis;
  producer: ReliableProducer;
  config: ProcessingConfig;
  createProcessor(options?: { hooks?: BatchHooks; knex?: Knex; redis?: Redis; config?: Partial<ProcessingConfig> }): BatchProcessor;
  close(): Promise<void>;
}

export interface DeadLetterRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Returns a unique suffix for database, topic and key names. */
export function uniqueSuffix(): string {
  return randomUUID().replace(/-/g, '').slice(0, 10);
}

export async function createProcessTestEnvironment(name: string): Promise<ProcessTestEnvironment> {
  const suffix = uniqueSuffix();
  const database = `pw_test_process_${name}_${suffix}`;
  const topic = `test-process-${name}-${suffix}`;
  const deadLetterTopic = `${topic}.dlq`;
  const redisPrefix = `test:process:${name}:${suffix}:`;
  const mysql = { ...loadMysqlConfig(), database };

  await migrateDatabase(mysql);
  await ensureTopics(createKafka(), [
    { topic, numPartitions: 2 },
    { topic: deadLetterTopic, numPartitions: 1 },
  ]);

  const knex = createKnex(mysql);
  const redis = createRedisClient({ ...loadRedisConfig(), keyPrefix: redisPrefix });
  const producer = new ReliableProducer({ ...loadKafkaConfig(), deadLetterTopic }, createLogger('test-producer'));
  const config: ProcessingConfig = {
    ...loadProcessingConfig(),
    redisKeyPrefix: redisPrefix,
    deadLetterTopic,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 200,
  };

  return {
    name,
    database,
    topic,
    deadLetterTopic,
    redisPrefix,
    mysql,
    knex,
    redis,
    producer,
    config,
    createProcessor(options = {}) {
      const processorConfig = { ...config, ...options.config };
      return new BatchProcessor({
        knex: options.knex ?? knex,
        idempotency: new IdempotencyStore(options.redis ?? redis, {
          keyPrefix: processorConfig.redisKeyPrefix,
          retentionSeconds: processorConfig.idempotencyRetentionSeconds,
        }),
        repository: new PaymentRepository({ queryTimeoutMs: loadDatabaseTimeouts().queryTimeoutMs }),
        deadLetters: producer,
        config: processorConfig,
        logger: createLogger(`test-${name}`),
        ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
      });
    },
    async close() {
      await deleteRedisPrefix(redis, redisPrefix);
      await knex.raw(`DROP DATABASE IF EXISTS \`${database}\``);
      await knex.destroy();
      redis.disconnect();
      await producer.disconnect();
      const admin = createKafka().admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [topic, deadLetterTopic] });
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/** Deletes every key under `prefix` (SCAN, never FLUSHALL: Redis is shared). Returns the count. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

let eventCounter = 0;

/** Builds a valid PaymentEvent with unique ids; `overrides` sets the fields a test cares about. */
export function makeEvent(overrides: Partial<PaymentEvent> = {}): PaymentEvent {
  eventCounter++;
  const suffix = `${uniqueSuffix()}_${eventCounter}`;
  return {
    schemaVersion: 1,
    eventId: `evt_${suffix}`,
    provider: 'stripe',
    eventType: 'payment_intent.succeeded',
    status: 'SUCCESS',
    paymentId: `pi_${suffix}`,
    amount: '500.00',
    currency: 'USD',
    customerId: `cus_${suffix}`,
    orderId: `ord_${suffix}`,
    occurredAt: '2024-05-01T12:00:00.000Z',
    receivedAt: '2024-05-01T12:00:01.000Z',
    ...overrides,
  };
}

export interface PaymentRow {
  status: string;
  amount: string;
  currency: string;
  last_event_id: string;
  applied_events: number;
  effective_at: string;
}

export async function readPayment(knex: Knex, provider: string, paymentId: string): Promise<PaymentRow | undefined> {
  const [rows] = (await knex.raw(
    'SELECT status, amount, currency, last_event_id, applied_events, effective_at FROM payments WHERE provider = ? AND payment_id = ?',
    [provider, paymentId],
  )) as [PaymentRow[]];
  return rows[0];
}

export async function countRows(knex: Knex, table: 'payments' | 'processed_events', where = '1 = 1', bindings: unknown[] = []): Promise<number> {
  const [rows] = (await knex.raw(`SELECT COUNT(*) AS count FROM ${table} WHERE ${where}`, bindings as Knex.RawBinding[])) as [Array<{ count: number | string }>];
  return Number(rows[0]?.count ?? 0);
}

export async function ledgerOutcomes(knex: Knex, eventIds: readonly string[]): Promise<Record<string, string>> {
  const [rows] = (await knex.raw(
    `SELECT event_id, outcome FROM processed_events WHERE event_id IN (${eventIds.map(() => '?').join(', ')})`,
    [...eventIds],
  )) as [Array<{ event_id: string; outcome: string }>];
  return Object.fromEntries(rows.map((row) => [row.event_id, row.outcome]));
}

/** Reads `count` records of the dead-letter topic back from the broker, failing after `timeoutMs`. */
export async function readDeadLetters(topic: string, count: number, timeoutMs = 20_000): Promise<DeadLetterRecord[]> {
  const consumer = createKafka().consumer({ groupId: `test-process-reader-${uniqueSuffix()}` });
  const received: DeadLetterRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Read ${received.length} of ${count} expected records from ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push({
              key: message.key?.toString('utf8') ?? null,
              value: message.value?.toString('utf8') ?? null,
              headers: decodeHeaders(message.headers),
            });
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) decoded[name] = first.toString();
  }
  return decoded;
}
