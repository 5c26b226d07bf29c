/**
 * `npm run bench -- consume`: throughput of the processPayments batch processor against the
 * real Redis and MySQL, next to the bare ceiling of the same database.
 *
 * For batch sizes 100 and 1,000 (10% of the records in each batch repeat an earlier event), it
 * measures:
 * - pipeline: BatchProcessor.process on pre-built MSK events (base64 decoding, validation,
 *   Redis claims and completions, the ledger and state transaction);
 * - ceiling: the same payment rows written by one multi-row INSERT ... ON DUPLICATE KEY UPDATE
 *   per batch, with no Redis, no decoding and no ledger. Its statement text is built with the
 *   same literal builder the pipeline uses (lib/db/sqlLiterals.ts), so the ratio does not
 *   measure a difference in how the client formats SQL.
 * Both rates count every record of the batch (duplicates included), so the ratio is the ceiling's
 * time over the pipeline's.
 *
 * Each side writes to its own database on the same server, so the two run interleaved batch by
 * batch (alternating which goes first) and see the same load from other processes. A round runs
 * every batch size once on emptied tables after two warm-up batches; the results are the median
 * over the rounds. The last output line is JSON with both rates and the ratio.
 *
 * Uses two databases of its own, BENCH_MYSQL_DATABASE (default pw_bench_consume) and the same
 * name with _ceiling, and drops both at the end. Its Redis keys have a prefix of their own.
 * BENCH_EVENTS_PER_SIZE sets the records per batch size and round (default 20000), BENCH_ROUNDS
 * the rounds (default 5).
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
import { rowsLiteral, type SqlLiteralValue } from '../lib/db/sqlLiterals.js';

const BATCH_SIZES = [100, 1000] as const;
const DUPLICATE_SHARE = 0.1;
const WARM_UP_BATCHES = 2;
const TOPIC = 'bench-consume';

const eventsPerSize = readInteger(process.env, 'BENCH_EVENTS_PER_SIZE', 20_000, 1000, 1_000_000);
const rounds = readInteger(process.env, 'BENCH_ROUNDS', 5, 1, 100);
const database = readString(process.env, 'BENCH_MYSQL_DATABASE', 'pw_bench_consume');
const ceilingDatabase = `${database}_ceiling`;
const mysql = { ...loadMysqlConfig(), database };
const ceilingMysql = { ...loadMysqlConfig(), database: ceilingDatabase };
const logger = createLogger('bench-consume');

interface PreparedBatch {
  event: MSKEvent;
  records: number;
  /** One row per payment of the batch: what the ceiling upserts. */
  paymentRows: SqlLiteralValue[][];
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

function paymentRow(event: PaymentEvent, now: string): SqlLiteralValue[] {
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

const CEILING_INSERT = `INSERT INTO payments (${CEILING_COLUMNS.join(', ')}) VALUES `;

/** Writes one batch the bare way and returns the time taken, in ms. */
async function runCeilingBatch(knex: Knex, batch: PreparedBatch): Promise<number> {
  const started = performance.now();
  await knex.raw(`${CEILING_INSERT}${rowsLiteral(batch.paymentRows)} ON DUPLICATE KEY UPDATE ${CEILING_UPDATE}`);
  return performance.now() - started;
}

/** Processes one batch and returns the time taken, in ms. */
async function runPipelineBatch(processor: BatchProcessor, batch: PreparedBatch): Promise<number> {
  const started = performance.now();
  const result = await processor.process(batch.event, { requestId: 'bench', remainingTimeMs: 60_000 });
  const elapsed = performance.now() - started;
  if (result.summary.applied + result.summary.duplicates !== batch.records) {
    throw new Error(`The pipeline applied ${result.summary.applied} and skipped ${result.summary.duplicates} of ${batch.records} records`);
  }
  return elapsed;
}

/**
 * Runs both sides over the same batches, batch by batch, alternating which side goes first.
 * Returns the total time of each side, in ms.
 */
async function runInterleaved(
  sides: { knex: Knex; ceilingKnex: Knex; processor: BatchProcessor },
  batches: readonly PreparedBatch[],
): Promise<{ pipelineMs: number; ceilingMs: number }> {
  let pipelineMs = 0;
  let ceilingMs = 0;
  for (const [index, batch] of batches.entries()) {
    if (index % 2 === 0) {
      ceilingMs += await runCeilingBatch(sides.ceilingKnex, batch);
      pipelineMs += await runPipelineBatch(sides.processor, batch);
    } else {
      pipelineMs += await runPipelineBatch(sides.processor, batch);
      ceilingMs += await runCeilingBatch(sides.ceilingKnex, batch);
    }
  }
  return { pipelineMs, ceilingMs };
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function eventsPerSecond(records: number, ms: number): number {
  return Math.round((records / ms) * 1000);
}

function roundRatio(value: number): number {
  return Math.round(value * 1000) / 1000;
}

await migrateDatabase(mysql);
await migrateDatabase(ceilingMysql);
const knex = createKnex(mysql);
const ceilingKnex = createKnex(ceilingMysql);
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

interface RoundResult {
  records: number;
  pipelineMs: number;
  ceilingMs: number;
}

const bySize = new Map<number, RoundResult[]>(BATCH_SIZES.map((size) => [size, []]));
const overall: RoundResult[] = [];

try {
  for (let round = 0; round < rounds; round++) {
    const total: RoundResult = { records: 0, pipelineMs: 0, ceilingMs: 0 };
    for (const size of BATCH_SIZES) {
      const warmUp = prepareBatches(size, WARM_UP_BATCHES);
      const batches = prepareBatches(size, Math.ceil(eventsPerSize / size));
      const records = batches.reduce((sum, batch) => sum + batch.records, 0);

      await truncate(knex);
      await truncate(ceilingKnex);
      await deletePrefix(redis, redisPrefix);
      await runInterleaved({ knex, ceilingKnex, processor }, warmUp);
      const measured = await runInterleaved({ knex, ceilingKnex, processor }, batches);

      bySize.get(size)?.push({ records, ...measured });
      total.records += records;
      total.pipelineMs += measured.pipelineMs;
      total.ceilingMs += measured.ceilingMs;
      console.log(
        `round ${round + 1}/${rounds}, batch size ${size}: ${records} records, pipeline ${eventsPerSecond(records, measured.pipelineMs)} events/s, ` +
          `ceiling ${eventsPerSecond(records, measured.ceilingMs)} events/s, ratio ${roundRatio(measured.ceilingMs / measured.pipelineMs)}`,
      );
    }
    overall.push(total);
  }
} finally {
  await deletePrefix(redis, redisPrefix);
  await knex.raw(`DROP DATABASE IF EXISTS \`${database}\``);
  await ceilingKnex.raw(`DROP DATABASE IF EXISTS \`${ceilingDatabase}\``);
  await knex.destroy();
  await ceilingKnex.destroy();
  redis.disconnect();
}

function summarize(results: readonly RoundResult[]) {
  return {
    pipelineEventsPerSecond: median(results.map((result) => eventsPerSecond(result.records, result.pipelineMs))),
    ceilingEventsPerSecond: median(results.map((result) => eventsPerSecond(result.records, result.ceilingMs))),
    ratio: roundRatio(median(results.map((result) => result.ceilingMs / result.pipelineMs))),
    ratioRange: [
      roundRatio(Math.min(...results.map((result) => result.ceilingMs / result.pipelineMs))),
      roundRatio(Math.max(...results.map((result) => result.ceilingMs / result.pipelineMs))),
    ],
  };
}

const sizes = BATCH_SIZES.map((size) => ({ batchSize: size, records: bySize.get(size)?.[0]?.records ?? 0, ...summarize(bySize.get(size) ?? []) }));
for (const size of sizes) {
  console.log(
    `batch size ${size.batchSize}, median of ${rounds} rounds: pipeline ${size.pipelineEventsPerSecond} events/s, ` +
      `ceiling ${size.ceilingEventsPerSecond} events/s, ratio ${size.ratio} (rounds ${size.ratioRange.join(' to ')})`,
  );
}

console.log(
  JSON.stringify({
    benchmark: 'consume',
    host: { cpus: os.cpus().length, node: process.version },
    duplicateShare: DUPLICATE_SHARE,
    rounds,
    sizes,
    ...summarize(overall),
  }),
);
