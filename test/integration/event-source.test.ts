/**
 * The Kafka event-source emulator against the real broker: real topics, a real consumer group
 * and real offset commits. A recording invoker replaces serverless-offline, so each test decides
 * how the function behaves. event-source-offline.test.ts covers the serverless-offline path.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics, type Consumer, type Kafka, type KafkaMessage, type Producer } from '../../lib/kafka.js';
import { loadKafkaConfig } from '../../lib/config.js';
import { readEmulatorSettings } from '../../local/kafka-event-source/src/config.js';
import { DEAD_LETTER_HEADER } from '../../local/kafka-event-source/src/deadLetter.js';
import { KafkaEventSourceEmulator } from '../../local/kafka-event-source/src/emulator.js';
import type { KafkaEvent, KafkaEventRecord } from '../../local/kafka-event-source/src/event.js';
import type { Invoker } from '../../local/kafka-event-source/src/invoker.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const ARN = 'arn:aws:kafka:eu-west-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1';
const FUNCTION_NAME = 'test-function';

let kafka: Kafka;
let producer: Producer;
const running: KafkaEventSourceEmulator[] = [];
const consumers: Consumer[] = [];

beforeAll(async () => {
  kafka = createKafka({ ...loadKafkaConfig({}), brokers: BROKERS, clientId: 'event-source-test' });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
  await Promise.all(consumers.splice(0).map((consumer) => consumer.disconnect()));
});

afterAll(async () => {
  await producer?.disconnect();
});

interface Invocation {
  at: number;
  event: KafkaEvent;
  records: KafkaEventRecord[];
  offsets: number[];
  partition: number;
}

/** Records every invocation and returns what `behaviour` returns; `behaviour` may throw to fail the batch. */
class RecordingInvoker implements Invoker {
  readonly calls: Invocation[] = [];
  inFlight = new Map<number, number>();
  maxInFlightPerPartition = 0;

  constructor(private readonly behaviour: (invocation: Invocation, callIndex: number) => unknown | Promise<unknown> = () => undefined) {}

  async invoke(_functionName: string, event: unknown): Promise<unknown> {
    const kafkaEvent = event as KafkaEvent;
    const records = Object.values(kafkaEvent.records).flat();
    const partition = records[0]!.partition;
    const invocation: Invocation = { at: Date.now(), event: kafkaEvent, records, offsets: records.map((record) => record.offset), partition };
    this.calls.push(invocation);

    const current = (this.inFlight.get(partition) ?? 0) + 1;
    this.inFlight.set(partition, current);
    this.maxInFlightPerPartition = Math.max(this.maxInFlightPerPartition, current);
    try {
      // Yield so a second batch of the same partition would overlap if the emulator allowed it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return await this.behaviour(invocation, this.calls.length - 1);
    } finally {
      this.inFlight.set(partition, (this.inFlight.get(partition) ?? 1) - 1);
    }
  }
}

interface Scenario {
  partitions?: number;
  batchSize?: number;
  maximumBatchingWindow?: number;
  filterPatterns?: unknown[];
  maximumRetryAttempts?: number;
  reportBatchItemFailures?: boolean;
  retryBaseDelayMs?: number;
  withDeadLetterTopic?: boolean;
  maxPayloadBytes?: number;
}

async function createScenario(scenario: Scenario = {}) {
  const id = randomUUID().slice(0, 8);
  const topic = `test-esm-${id}`;
  const deadLetterTopic = `${topic}.dlq`;
  const groupId = `test-esm-group-${id}`;
  await ensureTopics(kafka, [
    { topic, numPartitions: scenario.partitions ?? 1 },
    ...(scenario.withDeadLetterTopic ? [{ topic: deadLetterTopic, numPartitions: 1 }] : []),
  ]);
  return { topic, deadLetterTopic, groupId, scenario };
}

type Setup = Awaited<ReturnType<typeof createScenario>>;

async function startEmulator(setup: Setup, invoker: Invoker): Promise<KafkaEventSourceEmulator> {
  const { scenario } = setup;
  const settings = readEmulatorSettings({
    functions: [
      {
        key: 'testFunction',
        name: FUNCTION_NAME,
        events: [
          {
            msk: {
              arn: ARN,
              topic: setup.topic,
              batchSize: scenario.batchSize ?? 100,
              maximumBatchingWindow: scenario.maximumBatchingWindow ?? 0,
              startingPosition: 'TRIM_HORIZON',
              consumerGroupId: setup.groupId,
              ...(scenario.filterPatterns === undefined ? {} : { filterPatterns: scenario.filterPatterns }),
            },
          },
        ],
      },
    ],
    localSettings: {
      brokers: BROKERS,
      maximumRetryAttempts: scenario.maximumRetryAttempts ?? -1,
      reportBatchItemFailures: scenario.reportBatchItemFailures ?? false,
      retryBaseDelayMs: scenario.retryBaseDelayMs ?? 100,
      retryMaxDelayMs: 2000,
      deadLetterTopic: setup.deadLetterTopic,
    },
    env: {},
  });
  const emulator = new KafkaEventSourceEmulator({
    settings,
    invoker,
    env: {},
    stopTimeoutMs: 10_000,
    ...(scenario.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: scenario.maxPayloadBytes }),
  });
  running.push(emulator);
  await emulator.start();
  return emulator;
}

async function stopEmulator(emulator: KafkaEventSourceEmulator): Promise<void> {
  running.splice(running.indexOf(emulator), 1);
  await emulator.stop();
}

async function produce(topic: string, messages: Array<{ value: string | null; key?: string | null; partition?: number; headers?: Record<string, string> }>) {
  await producer.send({
    topic,
    acks: -1,
    messages: messages.map((message) => ({ key: message.key ?? null, value: message.value, partition: message.partition ?? 0, ...(message.headers ? { headers: message.headers } : {}) })),
  });
}

/** Fetches the group's committed offset per partition (-1 when nothing was committed). */
async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((result?.partitions ?? []).map((partition) => [partition.partition, Number(partition.offset)]));
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `test-esm-reader-${randomUUID()}`, allowAutoTopicCreation: false });
  consumers.push(consumer);
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  await waitFor(() => messages.length >= count, 20_000, `${count} messages on ${topic}`);
  return messages;
}

const values = (invocation: Invocation) => invocation.records.map((record) => Buffer.from(record.value ?? '', 'base64').toString());

describe('Kafka event source emulator with the real broker', () => {
  it('redelivers a failed batch and commits only after success', async () => {
    const setup = await createScenario({ retryBaseDelayMs: 2000 });
    const invoker = new RecordingInvoker((_invocation, callIndex) => {
      if (callIndex === 0) throw new Error('simulated function error');
    });
    await produce(setup.topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);

    await startEmulator(setup, invoker);
    await waitFor(() => invoker.calls.length >= 1, 20_000, 'the first invocation');
    const duringBackoff = await committedOffsets(setup.groupId, setup.topic);
    await waitFor(() => invoker.calls.length >= 2, 20_000, 'the retry');
    await waitFor(async () => (await committedOffsets(setup.groupId, setup.topic)).get(0) === 3, 10_000, 'the commit after success');

    expect(duringBackoff.get(0)).toBe(-1);
    expect(invoker.calls[1]!.offsets).toEqual(invoker.calls[0]!.offsets);
    expect(invoker.calls[0]!.offsets).toEqual([0, 1, 2]);
  });

  it('leaves a failing batch uncommitted at stop and delivers it again on restart', async () => {
    const setup = await createScenario({ retryBaseDelayMs: 200 });
    const failing = new RecordingInvoker(() => {
      throw new Error('still failing');
    });
    await produce(setup.topic, [{ value: 'a' }, { value: 'b' }]);

    const first = await startEmulator(setup, failing);
    await waitFor(() => failing.calls.length >= 2, 20_000, 'two failed attempts');
    await stopEmulator(first);
    const afterStop = await committedOffsets(setup.groupId, setup.topic);

    const healthy = new RecordingInvoker();
    await startEmulator(setup, healthy);
    await waitFor(() => healthy.calls.length >= 1, 20_000, 'delivery after restart');

    expect(afterStop.get(0)).toBe(-1);
    expect(healthy.calls[0]!.offsets).toEqual([0, 1]);
  });

  it('keeps offset order within each partition under retries', async () => {
    const setup = await createScenario({ partitions: 2, batchSize: 3, retryBaseDelayMs: 20 });
    const processed = new Map<number, number[]>();
    const invoker = new RecordingInvoker((invocation, callIndex) => {
      // Every other invocation fails, so most batches are retried at least once.
      if (callIndex % 2 === 0) throw new Error('flaky');
      processed.set(invocation.partition, [...(processed.get(invocation.partition) ?? []), ...invocation.offsets]);
    });
    await produce(
      setup.topic,
      Array.from({ length: 20 }, (_, index) => ({ value: `m${index}`, partition: index % 2 })),
    );

    await startEmulator(setup, invoker);
    await waitFor(() => (processed.get(0)?.length ?? 0) >= 10 && (processed.get(1)?.length ?? 0) >= 10, 30_000, 'all records processed');

    expect(processed.get(0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(processed.get(1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(invoker.maxInFlightPerPartition).toBe(1);
    expect(invoker.calls.every((call) => call.records.length <= 3)).toBe(true);
  });

  it('invokes when batchSize records are buffered before the window ends', async () => {
    const setup = await createScenario({ batchSize: 5, maximumBatchingWindow: 300 });
    const invoker = new RecordingInvoker();
    await produce(setup.topic, Array.from({ length: 12 }, (_, index) => ({ value: `m${index}` })));

    await startEmulator(setup, invoker);
    await waitFor(() => invoker.calls.length >= 2, 20_000, 'two full batches');
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(invoker.calls.map((call) => call.offsets)).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
  });

  it('invokes a short batch when the batching window expires', async () => {
    const setup = await createScenario({ batchSize: 100, maximumBatchingWindow: 2 });
    const invoker = new RecordingInvoker();
    await startEmulator(setup, invoker);

    const producedAt = Date.now();
    await produce(setup.topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    await waitFor(() => invoker.calls.length >= 1, 20_000, 'the window to expire');
    const waitedMs = invoker.calls[0]!.at - producedAt;

    expect(invoker.calls[0]!.offsets).toEqual([0, 1, 2]);
    expect(waitedMs).toBeGreaterThanOrEqual(1900);
    expect(waitedMs).toBeLessThan(6000);
  });

  it('cuts batches below the payload limit', async () => {
    const setup = await createScenario({ batchSize: 100, maximumBatchingWindow: 1, maxPayloadBytes: 5000 });
    const invoker = new RecordingInvoker();
    await produce(setup.topic, Array.from({ length: 6 }, () => ({ value: 'x'.repeat(1500) })));

    await startEmulator(setup, invoker);
    await waitFor(() => invoker.calls.reduce((sum, call) => sum + call.records.length, 0) >= 6, 20_000, 'all records');

    expect(invoker.calls.length).toBeGreaterThanOrEqual(3);
    for (const call of invoker.calls) expect(Buffer.byteLength(JSON.stringify(call.event))).toBeLessThanOrEqual(5000);
    expect(invoker.calls.flatMap((call) => call.offsets)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('dead-letters a poison batch and moves on', async () => {
    const setup = await createScenario({ batchSize: 1, maximumRetryAttempts: 2, withDeadLetterTopic: true, retryBaseDelayMs: 50 });
    const invoker = new RecordingInvoker((invocation) => {
      if (values(invocation).includes('poison')) throw new TypeError('cannot parse poison');
    });
    await produce(setup.topic, [{ value: 'ok-1' }, { value: 'poison', key: 'k-poison', headers: { 'event-id': 'evt_poison' } }, { value: 'ok-2' }]);

    await startEmulator(setup, invoker);
    await waitFor(async () => (await committedOffsets(setup.groupId, setup.topic)).get(0) === 3, 30_000, 'the partition to move past the poison record');
    const [deadLettered] = await readAll(setup.deadLetterTopic, 1);
    const header = (name: string) => deadLettered!.headers?.[name]?.toString();

    expect(invoker.calls.filter((call) => values(call).includes('poison'))).toHaveLength(3);
    expect(values(invoker.calls.at(-1)!)).toEqual(['ok-2']);
    expect(deadLettered!.value?.toString()).toBe('poison');
    expect(deadLettered!.key?.toString()).toBe('k-poison');
    expect(header('event-id')).toBe('evt_poison');
    expect(header(DEAD_LETTER_HEADER.sourceTopic)).toBe(setup.topic);
    expect(header(DEAD_LETTER_HEADER.sourcePartition)).toBe('0');
    expect(header(DEAD_LETTER_HEADER.sourceOffset)).toBe('1');
    expect(header(DEAD_LETTER_HEADER.errorType)).toBe('TypeError');
    expect(header(DEAD_LETTER_HEADER.errorMessage)).toBe('cannot parse poison');
    expect(header(DEAD_LETTER_HEADER.attempts)).toBe('3');
    expect(header(DEAD_LETTER_HEADER.functionName)).toBe(FUNCTION_NAME);
  });

  it('retries only the reported record and those after it with partial batch responses', async () => {
    const setup = await createScenario({ batchSize: 4, maximumBatchingWindow: 1, reportBatchItemFailures: true, retryBaseDelayMs: 2000 });
    const invoker = new RecordingInvoker((invocation, callIndex) => {
      if (callIndex > 0) return { batchItemFailures: [] };
      return { batchItemFailures: [{ itemIdentifier: { partition: `${setup.topic}-0`, offset: 2 } }] };
    });
    await produce(setup.topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }, { value: 'd' }]);

    await startEmulator(setup, invoker);
    await waitFor(async () => (await committedOffsets(setup.groupId, setup.topic)).get(0) === 2, 20_000, 'the commit before the failed record');
    const beforeRetry = invoker.calls.length;
    await waitFor(() => invoker.calls.length >= 2, 20_000, 'the retry');
    await waitFor(async () => (await committedOffsets(setup.groupId, setup.topic)).get(0) === 4, 20_000, 'the final commit');

    expect(beforeRetry).toBe(1);
    expect(invoker.calls[0]!.offsets).toEqual([0, 1, 2, 3]);
    expect(invoker.calls[1]!.offsets).toEqual([2, 3]);
  });

  it('commits filtered-out records without invoking for them', async () => {
    const setup = await createScenario({ maximumBatchingWindow: 1, filterPatterns: [{ value: { eventType: ['PAYMENT_SUCCESS'] } }] });
    const invoker = new RecordingInvoker();
    await produce(setup.topic, [
      { value: JSON.stringify({ eventType: 'PAYMENT_SUCCESS', n: 1 }) },
      { value: JSON.stringify({ eventType: 'PAYMENT_FAILED', n: 2 }) },
      { value: 'not json' },
      { value: JSON.stringify({ eventType: 'PAYMENT_SUCCESS', n: 4 }) },
      { value: JSON.stringify({ eventType: 'PAYMENT_FAILED', n: 5 }) },
    ]);

    await startEmulator(setup, invoker);
    await waitFor(async () => (await committedOffsets(setup.groupId, setup.topic)).get(0) === 5, 20_000, 'all five offsets committed');

    expect(invoker.calls.flatMap((call) => call.offsets)).toEqual([0, 3]);
  });

  it('builds the documented event shape from broker records', async () => {
    const setup = await createScenario({ maximumBatchingWindow: 1 });
    const invoker = new RecordingInvoker();
    await produce(setup.topic, [
      { key: 'order-1', value: '{"eventId":"evt_1"}', headers: { 'event-id': 'evt_1', 'content-type': 'application/json' } },
      { key: null, value: 'no key' },
      { key: 'order-1', value: null },
    ]);

    await startEmulator(setup, invoker);
    await waitFor(() => invoker.calls.length >= 1, 20_000, 'the invocation');
    const { event } = invoker.calls[0]!;
    const [withKey, withoutKey, tombstone] = event.records[`${setup.topic}-0`]!;

    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe(ARN);
    expect(event.bootstrapServers).toBe(BROKERS.join(','));
    expect(Object.keys(event.records)).toEqual([`${setup.topic}-0`]);
    expect(withKey!.topic).toBe(setup.topic);
    expect(withKey!.partition).toBe(0);
    expect(withKey!.offset).toBe(0);
    expect(typeof withKey!.timestamp).toBe('number');
    expect(withKey!.timestampType).toBe('CREATE_TIME');
    expect(withKey!.key).toBe(Buffer.from('order-1').toString('base64'));
    expect(withKey!.value).toBe(Buffer.from('{"eventId":"evt_1"}').toString('base64'));
    expect(withKey!.headers).toEqual([{ 'event-id': [...Buffer.from('evt_1')] }, { 'content-type': [...Buffer.from('application/json')] }]);
    expect('key' in withoutKey!).toBe(false);
    expect(withoutKey!.headers).toEqual([]);
    expect('value' in tombstone!).toBe(false);
  });
});
