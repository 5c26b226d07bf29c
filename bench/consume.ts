/**
 * `npm run bench -- consume`: throughput of the processPayments batch processor against the
 * real Redis and MySQL, next to the bare ceiling of the same database.
 *
 * For batch sizes 100 and 1,000 (10% of the records in each batch repeat an earlier event), it
 * measures:
 * - pipeline: BatchProcessor.process on pre-built MSK events (base64 decoding, validation,
 *   Redis claims and completions, the ledger and state transaction);
 * - ceiling: the same payment rows written by one multi-row INSERT ... ON DUPLICATE KEY UPDATE
 *   per batch, with no Redis, no decoding and no ledger.
 * Both rates count every record of the batch (duplicates included), so the ratio is the ceiling's
 * time over the pipeline's. The last output line is JSON with both rates and the ratio.
 *
 * Uses its own database (BENCH_MYSQL_DATABASE, default pw_bench_consume, dropped at the end) and a
 * Redis key prefix of its own. BENCH_EVENTS_PER_SIZE sets the records per batch size (default 20000).
 */
process.env.LOG_LEVEL ??= 'warn';

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import type { MSKEvent } from 'aws-lambda';
import { loadMysqlConfig, loadRedisConfig, readInteger, readString } from '../lib/config.js';
import { createKnex, loadDatabaseTimeouts } from '../lib/db/knex.js';
import { migrateDatabase } from '../lib/db/migrate.js';
import { PaymentRepository } from '../lib/db/paymentRepository.js';
import { createRedisClient, IdempotencyStore } from '../lib/idempotency.js';
import { createLogger } from '../lib/logger.js';
import { STATUS_RANK, type PaymentEvent } from '../lib/paymentEvent.js';
import { BatchProcessor } from '../lib/processing/batchProcessor.js';
import { loadProcessingConfig } from '../lib/processing/config.js';
import { buildMskEvent, paymentEventRecord } from '../lib/processing/mskEventBuilder.js';
import { toMysqlDateTime } from '../lib/processing/statusRules.js';

const BATCH_SIZES = [100, 1000] as const;
const DUPLICATE_SHARE = 0.1;
const WARM_UP_BATCHES = 2;
const TOPIC = 'bench-consume';

const eventsPerSize = readInteger(process.env, 'BENCH_EVENTS_PER_SIZE', 20_000, 1000, 1_000_000);
const database = readString(process.env, 'BENCH_MYSQL_DATABASE', 'pw_bench_consume');
const mysql = { ...loadMysqlConfig(), database };
const logger = createLogger('bench-consume');

interface PreparedBatch {
  event: MSKEvent;
  records: number;
  /** One row per payment of the batch: what the ceiling upserts. */
  paymentRows: unknown[][];
}

let sequence = 0;

function newEvent(): PaymentEvent {
  sequence++;
  const id = `${sequence}_${randomUUID().slice(0, 8)}`;
  const occurredAt = new Date(Date.UTC(2024, 4, 1) + sequence).toISOString();
  return {
    schemaVersion: 1,
    eventId: `evt_bench_${id}`,
    provider: 'legacy',
    eventType: 'PAYMENT_SUCCESS',
    status: 'SUCCESS',
    paymentId: `pay_bench_${id}`,
    amount: `${(sequence % 100_000) + 1}.${String(sequence % 100).padStart(2, '0')}`,
    currency: 'INR',
    customerId: `cust_${sequence % 5000}`,
    orderId: `order_${id}`,
    occurredAt,
    receivedAt: occurredAt,
  };
}

function paymentRow(event: PaymentEvent, now: string): unknown[] {
  const at = toMysqlDateTime(event.occurredAt ?? event.receivedAt);
  return [
    event.provider, event.paymentId, event.status, STATUS_RANK[event.status], event.eventType, event.amount, event.currency,
    event.customerId, event.orderId, event.eventId, at, toMysqlDateTime(event.receivedAt), at, 1, now, now,
  ];
}

/** Builds the batches of one size: each record is a new event, or with 10% odds a repeat of an earlier one. */
function prepareBatches(size: number, batchCount: number): PreparedBatch[] {
  const now = toMysqlDateTime(new Date().toISOString());
  const batches: PreparedBatch[] = [];
  const seen: PaymentEvent[] = [];
  let offset = 0;
  for (let batch = 0; batch < batchCount; batch++) {
    const events: PaymentEvent[] = [];
    const fresh = new Map<string, PaymentEvent>();
    for (let index = 0; index < size; index++) {
      const repeat = seen.length > 0 && index % Math.round(1 / DUPLICATE_SHARE) === 0;
      const event = repeat ? (seen[Math.floor(Math.random() * seen.length)] as PaymentEvent) : newEvent();
      if (!repeat) fresh.set(event.paymentId, event);
      events.push(event);
      seen.push(event);
    }
    batches.push({
      event: buildMskEvent(events.map((event) => paymentEventRecord(TOPIC, 0, offset++, event))),
      records: events.length,
      paymentRows: [...fresh.values()].map((event) => paymentRow(event, now)),
    });
  }
  return batches;
}

const CEILING_COLUMNS = [
  'provider', 'payment_id', 'status', 'status_rank', 'event_type', 'amount', 'currency', 'customer_id', 'order_id',
  'last_event_id', 'occurred_at', 'received_at', 'effective_at', 'applied_events', 'created_at', 'updated_at',
];
const CEILING_UPDATE = CEILING_COLUMNS.slice(2)
  .filter((column) => column !== 'created_at')
  .map((column) => `${column} = VALUES(${column})`)
  .join(', ');

async function runCeiling(knex: Knex, batches: readonly PreparedBatch[]): Promise<number> {
  const row = `(${CEILING_COLUMNS.map(() => '?').join(', ')})`;
  const started = performance.now();
  for (const batch of batches) {
    await knex.raw(
      `INSERT INTO payments (${CEILING_COLUMNS.join(', ')}) VALUES ${batch.paymentRows.map(() => row).join(', ')} ` +
        `ON DUPLICATE KEY UPDATE ${CEILING_UPDATE}`,
      batch.paymentRows.flat() as Knex.RawBinding[],
    );
  }
  return performance.now() - started;
}

async function runPipeline(processor: BatchProcessor, batches: readonly PreparedBatch[]): Promise<number> {
  const started = performance.now();
  for (const batch of batches) {
    await processor.process(batch.event, { requestId: 'bench', remainingTimeMs: 60_000 });
  }
  return performance.now() - started;
}

async function truncate(knex: Knex): Promise<void> {
  await knex.raw('TRUNCATE TABLE payments');
  await knex.raw('TRUNCATE TABLE processed_events');
}

async function deletePrefix(redis: ReturnType<typeof createRedisClient>, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

await migrateDatabase(mysql);
const knex = createKnex(mysql);
const redis = createRedisClient(loadRedisConfig());
const redisPrefix = `bench:consume:${randomUUID().slice(0, 8)}:`;
const config = { ...loadProcessingConfig(), redisKeyPrefix: redisPrefix };
const processor = new BatchProcessor({
  knex,
  idempotency: new IdempotencyStore(redis, { keyPrefix: redisPrefix, retentionSeconds: 3600 }),
  repository: new PaymentRepository({ queryTimeoutMs: loadDatabaseTimeouts().queryTimeoutMs }),
  // The benchmark batches contain no poison records, so nothing is sent to Kafka.
  deadLetters: {
    send: async () => {
      throw new Error('The consume benchmark produced a dead letter; its batches should contain only valid events');
    },
  },
  config,
  logger,
});

const results: Array<{ batchSize: number; records: number; pipelineEventsPerSecond: number; ceilingEventsPerSecond: number; ratio: number }> = [];
let pipelineMs = 0;
let ceilingMs = 0;
let totalRecords = 0;

try {
  for (const size of BATCH_SIZES) {
    const batchCount = Math.ceil(eventsPerSize / size);
    const warmUp = prepareBatches(size, WARM_UP_BATCHES);
    const batches = prepareBatches(size, batchCount);
    const records = batches.reduce((sum, batch) => sum + batch.records, 0);

    await truncate(knex);
    await runCeiling(knex, warmUp);
    const ceiling = await runCeiling(knex, batches);

    await truncate(knex);
    await deletePrefix(redis, redisPrefix);
    await runPipeline(processor, warmUp);
    const pipeline = await runPipeline(processor, batches);

    const result = {
      batchSize: size,
      records,
      pipelineEventsPerSecond: Math.round((records / pipeline) * 1000),
      ceilingEventsPerSecond: Math.round((records / ceiling) * 1000),
      ratio: Math.round((ceiling / pipeline) * 1000) / 1000,
    };
    results.push(result);
    pipelineMs += pipeline;
    ceilingMs += ceiling;
    totalRecords += records;
    console.log(
      `batch size ${size}: ${records} records, pipeline ${result.pipelineEventsPerSecond} events/s, ` +
        `ceiling ${result.ceilingEventsPerSecond} events/s, ratio ${result.ratio}`,
    );
  }
} finally {
  await deletePrefix(redis, redisPrefix);
  await knex.raw(`DROP DATABASE IF EXISTS \`${database}\``);
  await knex.destroy();
  redis.disconnect();
}

console.log(
  JSON.stringify({
    benchmark: 'consume',
    host: { cpus: os.cpus().length, node: process.version },
    duplicateShare: DUPLICATE_SHARE,
    sizes: results,
    pipelineEventsPerSecond: Math.round((totalRecords / pipelineMs) * 1000),
    ceilingEventsPerSecond: Math.round((totalRecords / ceilingMs) * 1000),
    ratio: Math.round((ceilingMs / pipelineMs) * 1000) / 1000,
  }),
);
