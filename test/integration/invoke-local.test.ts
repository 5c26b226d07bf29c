/**
 * Runs every sample in events/ through its function against the real broker, Redis and MariaDB:
 * each file through the handler module directly, and one sample per function through
 * `npx sls invoke local`, which also covers serverless-esbuild's bundle and the invoke-local
 * shim in local/kafka-event-source/invoke-local-esm.cjs.
 *
 * The functions write to a test database, test topics and a test Redis key prefix, set through
 * the same variables serverless.yml passes to them.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKafkaConfig, loadMysqlConfig } from '../../lib/config.js';
import { createKnex, loadDatabaseTimeouts } from '../../lib/db/knex.js';
import { migrateDatabase } from '../../lib/db/migrate.js';
import { createKafka, ensureTopics, type Kafka, type KafkaMessage } from '../../lib/kafka.js';

const REPOSITORY = resolve(import.meta.dirname, '../..');
const EVENTS_DIR = resolve(REPOSITORY, 'events');

const id = randomUUID().slice(0, 8);
const TEST_ENV: Record<string, string> = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  PAYMENT_EVENTS_TOPIC: `test-invoke-${id}`,
  DEAD_LETTER_TOPIC: `test-invoke-${id}.dlq`,
  MYSQL_DATABASE: `test_invoke_${id}`,
  REDIS_KEY_PREFIX: `test-invoke-${id}:`,
  WEBHOOK_SECRETS_LEGACY: 'local-webhook-secret',
  LOG_LEVEL: 'warn',
};

interface IngestExpectation {
  function: 'ingest';
  statusCode: number;
  eventId?: string;
  errorCode?: string;
}

interface ProcessExpectation {
  function: 'processPayments';
  /** Event ids that must be in processed_events afterwards. */
  processed: string[];
  /** Records the processor must send to the dead-letter topic. */
  deadLettered: number;
}

/** The outcome of every file in events/; a new sample without an entry fails the first test. */
const EXPECTED: Record<string, IngestExpectation | ProcessExpectation> = {
  'ingest-minimal.json': { function: 'ingest', statusCode: 200, eventId: 'evt_MIN_001' },
  'ingest-payment-updates.json': { function: 'ingest', statusCode: 200, eventId: 'evt_NEW_004' },
  'ingest-base64-body.json': { function: 'ingest', statusCode: 200, eventId: 'evt_B64_001' },
  'ingest-lowercase-header.json': { function: 'ingest', statusCode: 200, eventId: 'evt_LOW_001' },
  'ingest-provider-path.json': { function: 'ingest', statusCode: 200, eventId: 'evt_PATH_001' },
  'ingest-bad-signature.json': { function: 'ingest', statusCode: 401, errorCode: 'invalid_signature' },
  'process-payments-minimal.json': { function: 'processPayments', processed: ['evt_MIN_101'], deadLettered: 0 },
  'process-payments.json': { function: 'processPayments', processed: ['evt_SAMPLE_001', 'evt_SAMPLE_002', 'evt_NEW_004', 'evt_SAMPLE_003'], deadLettered: 0 },
  'process-payments-null-key.json': { function: 'processPayments', processed: ['evt_NOKEY_001'], deadLettered: 0 },
  'process-payments-headers.json': { function: 'processPayments', processed: ['evt_HDR_001'], deadLettered: 0 },
  'process-payments-tombstone.json': { function: 'processPayments', processed: ['evt_TOMB_002'], deadLettered: 1 },
};

type Handler = (event: unknown, context: Context) => Promise<unknown>;

let kafka: Kafka;
let knex: Knex;
let ingest: Handler;
let processPayments: Handler;
const savedEnv: Record<string, string | undefined> = {};

function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readEvent(file: string): Promise<unknown> {
  return JSON.parse(await readFile(resolve(EVENTS_DIR, file), 'utf8'));
}

async function processedEventIds(): Promise<string[]> {
  const rows = await knex('processed_events').select('event_id');
  return rows.map((row: { event_id: string }) => row.event_id);
}

/** Number of records ever written to a topic: the sum of its partitions' high watermarks. */
async function recordCount(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function readTopic(topic: string, minimum: number, waitMs = 10_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `test-invoke-reader-${randomUUID()}`, allowAutoTopicCreation: false });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    const deadline = Date.now() + waitMs;
    while (messages.length < minimum && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Runs `npx sls invoke local` and returns its exit code and the result object it printed.
 * osls prints nothing for a handler that returns undefined; `result` is then undefined.
 */
async function slsInvokeLocal(functionKey: string, file: string): Promise<{ code: number | null; result: Record<string, unknown> | undefined; output: string }> {
  const args = ['sls', 'invoke', 'local', '-f', functionKey, '-p', `events/${file}`];
  for (const [name, value] of Object.entries(TEST_ENV)) args.push('-e', `${name}=${value}`);

  const child = spawn('npx', args, { cwd: REPOSITORY, env: { ...process.env, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));

  // The result is the last multi-line JSON document: from a line that is exactly "{" to the end.
  const lines = stdout.split('\n');
  const start = lines.lastIndexOf('{');
  const output = `${stdout}\n${stderr}`;
  const result = start === -1 ? undefined : (JSON.parse(lines.slice(start).join('\n')) as Record<string, unknown>);
  return { code, result, output };
}

beforeAll(async () => {
  for (const [name, value] of Object.entries(TEST_ENV)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }

  kafka = createKafka({ ...loadKafkaConfig(TEST_ENV), clientId: 'invoke-local-test' });
  await ensureTopics(kafka, [
    { topic: TEST_ENV.PAYMENT_EVENTS_TOPIC!, numPartitions: 2 },
    { topic: TEST_ENV.DEAD_LETTER_TOPIC!, numPartitions: 1 },
  ]);
  await migrateDatabase(loadMysqlConfig(TEST_ENV), loadDatabaseTimeouts(TEST_ENV));
  knex = createKnex(loadMysqlConfig(TEST_ENV), loadDatabaseTimeouts(TEST_ENV));

  // The handlers read their configuration when first loaded, so they are imported after the
  // environment points at the test resources.
  ({ handler: ingest } = (await import('../../handlers/ingest.js')) as unknown as { handler: Handler });
  ({ handler: processPayments } = (await import('../../handlers/processPayments.js')) as unknown as { handler: Handler });
}, 120_000);

afterAll(async () => {
  await knex?.raw('DROP DATABASE IF EXISTS ??', [TEST_ENV.MYSQL_DATABASE as string]);
  await knex?.destroy();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('sample events', () => {
  it('have an expected outcome for every file in events/', async () => {
    const files = (await readdir(EVENTS_DIR)).filter((file) => file.endsWith('.json')).sort();

    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(Object.entries(EXPECTED).filter(([, expected]) => expected.function === 'ingest'))('ingest with %s', (file, expectation) => {
    it('returns the expected response', async () => {
      const expected = expectation as IngestExpectation;
      const response = (await ingest(await readEvent(file), lambdaContext('ingest'))) as { statusCode: number; body: string };
      const body = JSON.parse(response.body) as { eventId?: string; error?: string };

      expect(response.statusCode).toBe(expected.statusCode);
      if (expected.eventId !== undefined) expect(body.eventId).toBe(expected.eventId);
      if (expected.errorCode !== undefined) expect(body.error).toBe(expected.errorCode);
    });
  });

  it('ingest writes the accepted samples to the payment events topic', async () => {
    const accepted = Object.values(EXPECTED).filter((expected): expected is IngestExpectation => expected.function === 'ingest' && expected.statusCode === 200);
    const messages = await readTopic(TEST_ENV.PAYMENT_EVENTS_TOPIC!, accepted.length);
    const eventIds = messages.map((message) => (JSON.parse(message.value!.toString()) as { eventId: string }).eventId);

    for (const expected of accepted) expect(eventIds).toContain(expected.eventId);
  });

  describe.each(Object.entries(EXPECTED).filter(([, expected]) => expected.function === 'processPayments'))('processPayments with %s', (file, expectation) => {
    it('applies the events and succeeds', async () => {
      const expected = expectation as ProcessExpectation;
      const deadLetteredBefore = await recordCount(TEST_ENV.DEAD_LETTER_TOPIC!);

      const result = (await processPayments(await readEvent(file), lambdaContext('processPayments'))) as { batchItemFailures?: unknown[] } | undefined;
      const processed = await processedEventIds();
      // The processor produces dead letters with acks=all before it returns, so the count is final here.
      const deadLettered = (await recordCount(TEST_ENV.DEAD_LETTER_TOPIC!)) - deadLetteredBefore;

      expect(result?.batchItemFailures ?? []).toEqual([]);
      for (const eventId of expected.processed) expect(processed).toContain(eventId);
      expect(deadLettered).toBe(expected.deadLettered);
    });
  });

  it('applies the repeated event in process-payments.json once', async () => {
    const rows = await knex('processed_events').where({ event_id: 'evt_SAMPLE_002' }).count({ count: '*' });
    const payment = await knex('payments').where({ provider: 'legacy', payment_id: 'pay_1001' }).first();

    expect(Number(rows[0]?.count)).toBe(1);
    expect(payment?.status).toBe('SUCCESS');
    expect(payment?.last_event_id).toBe('evt_SAMPLE_002');
  });
});

describe('npx sls invoke local', () => {
  it('runs ingest with events/ingest-payment-updates.json', async () => {
    const { code, result, output } = await slsInvokeLocal('ingest', 'ingest-payment-updates.json');
    const body = (typeof result?.body === 'string' ? JSON.parse(result.body) : result?.body) as { eventId?: string } | undefined;

    expect(code, output).toBe(0);
    expect(result?.statusCode).toBe(200);
    expect(body?.eventId).toBe('evt_NEW_004');
  }, 120_000);

  it('runs processPayments with events/process-payments.json', async () => {
    const { code, result, output } = await slsInvokeLocal('processPayments', 'process-payments.json');

    // Without PARTIAL_BATCH_RESPONSE the handler returns nothing on success.
    expect(code, output).toBe(0);
    expect(result, output).toBeUndefined();
    expect(output).not.toContain('errorMessage');
  }, 120_000);

  it('exits with 1 and prints the error when the handler throws', async () => {
    // processPayments rejects an event that is not an MSK event as a whole.
    const { code, result } = await slsInvokeLocal('processPayments', 'ingest-minimal.json');

    expect(code).toBe(1);
    expect(typeof result?.errorMessage).toBe('string');
  }, 120_000);
});
