/**
 * Polls one event-source mapping's topic with a kafkajs consumer and feeds a PartitionWorker per
 * assigned partition. kafkajs only fetches and tracks the group; offsets are committed by the
 * workers after the invocation succeeded (autoCommit off).
 *
 * Fetched records are buffered in the worker, so the batching window can collect records from
 * several fetches. A partition whose buffer contains more than two batches (or 12 MB) is paused
 * until its worker catches up.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from '../../../lib/kafka.js';
import type { Logger } from '../../../lib/logger.js';
import type { EventSourceMapping } from './config.js';
import type { DeadLetterReason } from './deadLetter.js';
import { INVOCATION_PAYLOAD_LIMIT_BYTES, type EventEnvelope, type KafkaEventRecord, type SourceRecord } from './event.js';
import type { Invoker } from './invoker.js';
import { PartitionWorker } from './partitionWorker.js';

export interface PollerOptions {
  mapping: EventSourceMapping;
  kafka: Kafka;
  brokers: readonly string[];
  invoker: Invoker;
  deadLetter(topic: string, records: readonly KafkaEventRecord[], reason: DeadLetterReason): Promise<void>;
  logger: Logger;
  /** Lowers the 6 MB payload limit in tests. */
  maxPayloadBytes?: number;
  /** How long stop() waits for a batch in flight. */
  stopTimeoutMs?: number;
}

const PAUSE_ABOVE_BYTES = 2 * INVOCATION_PAYLOAD_LIMIT_BYTES;

export class MappingPoller {
  readonly #options: PollerOptions;
  readonly #logger: Logger;
  readonly #envelope: EventEnvelope;
  readonly #workers = new Map<number, PartitionWorker>();
  readonly #paused = new Set<number>();
  #consumer: Consumer | undefined;
  #stopped = false;

  constructor(options: PollerOptions) {
    this.#options = options;
    const { mapping } = options;
    this.#logger = options.logger.child({ mapping: mapping.id, groupId: mapping.consumerGroupId });
    this.#envelope = {
      kind: mapping.kind,
      ...(mapping.eventSourceArn === undefined ? {} : { eventSourceArn: mapping.eventSourceArn }),
      bootstrapServers: options.brokers,
    };
  }

  async start(): Promise<void> {
    const { mapping, kafka } = this.#options;

    if (mapping.startingPosition === 'AT_TIMESTAMP') await this.#applyTimestampStart();

    const consumer = kafka.consumer({
      groupId: mapping.consumerGroupId,
      allowAutoTopicCreation: false,
      // Short fetch waits keep the batching window accurate to about 100 ms.
      maxWaitTimeInMs: 100,
      // Workers invoke outside eachBatch, so heartbeats continue during long invocations. A short
      // session lets a restarted `sls offline` take over the partitions of a killed one quickly.
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 3_000,
    });
    this.#consumer = consumer;

    consumer.on(consumer.events.GROUP_JOIN, (event) => this.#onAssignment(event.payload.memberAssignment));
    await consumer.connect();
    await consumer.subscribe({ topics: [mapping.topic], fromBeginning: mapping.startingPosition !== 'LATEST' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async (payload) => this.#onBatch(payload),
    });

    this.#logger.info('Kafka event source started', {
      functionName: mapping.functionName,
      topic: mapping.topic,
      startingPosition: mapping.startingPosition,
      ...(mapping.startingPositionTimestampMs === undefined ? {} : { startingPositionTimestamp: new Date(mapping.startingPositionTimestampMs).toISOString() }),
      batchSize: mapping.batchSize,
      maximumBatchingWindowMs: mapping.maximumBatchingWindowMs,
      filterPatterns: mapping.filterPatterns.length,
      reportBatchItemFailures: mapping.reportBatchItemFailures,
      maximumRetryAttempts: mapping.retry.maximumRetryAttempts,
      ...(mapping.retry.maximumRetryAttempts === -1 ? {} : { deadLetterTopic: mapping.deadLetterTopic }),
      brokers: this.#options.brokers,
    });
  }

  /** Stops the workers (a batch in flight may finish and commit), then leaves the group. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;

    const timeoutMs = this.#options.stopTimeoutMs ?? 30_000;
    const results = await Promise.all([...this.#workers.values()].map((worker) => worker.stop(timeoutMs)));
    if (results.includes(false)) {
      this.#logger.warn('A batch was still in flight at stop; it stays uncommitted and is delivered again on the next start', { timeoutMs });
    }
    await this.#consumer?.disconnect();
    this.#logger.info('Kafka event source stopped', { topic: this.#options.mapping.topic });
  }

  async #onBatch({ batch }: EachBatchPayload): Promise<void> {
    if (this.#stopped || batch.messages.length === 0) return;

    const worker = this.#workerFor(batch.partition);
    worker.append(batch.messages.map((message) => toSourceRecord(batch.topic, batch.partition, message)));

    if (worker.bufferedCount > 2 * this.#options.mapping.batchSize || worker.bufferedBytes > PAUSE_ABOVE_BYTES) {
      this.#paused.add(batch.partition);
      this.#consumer?.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
    }
  }

  #workerFor(partition: number): PartitionWorker {
    let worker = this.#workers.get(partition);
    if (worker !== undefined) return worker;

    const { mapping, invoker } = this.#options;
    worker = new PartitionWorker({
      mapping,
      envelope: this.#envelope,
      partition,
      invoker,
      logger: this.#logger,
      ...(this.#options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: this.#options.maxPayloadBytes }),
      commit: async (nextOffset) => {
        await this.#consumer?.commitOffsets([{ topic: mapping.topic, partition, offset: nextOffset }]);
      },
      deadLetter: (records, reason) => this.#options.deadLetter(mapping.deadLetterTopic, records, reason),
      onBufferShrunk: () => this.#resumeIfDrained(partition),
    });
    this.#workers.set(partition, worker);
    worker.start();
    return worker;
  }

  #resumeIfDrained(partition: number): void {
    const worker = this.#workers.get(partition);
    if (!this.#paused.has(partition) || worker === undefined) return;
    if (worker.bufferedCount <= this.#options.mapping.batchSize && worker.bufferedBytes <= PAUSE_ABOVE_BYTES / 2) {
      this.#paused.delete(partition);
      this.#consumer?.resume([{ topic: this.#options.mapping.topic, partitions: [partition] }]);
    }
  }

  /**
   * Drops the workers of partitions this consumer no longer owns. Their buffered records are
   * fetched again from the committed offset by whichever member owns the partition now.
   */
  #onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set(assignment[this.#options.mapping.topic] ?? []);
    for (const [partition, worker] of this.#workers) {
      if (owned.has(partition)) continue;
      this.#workers.delete(partition);
      this.#paused.delete(partition);
      void worker.stop(0);
      this.#logger.info('Partition revoked; its buffered records were dropped', { partition });
    }
  }

  /**
   * AT_TIMESTAMP applies only to a consumer group without committed offsets, like a new event
   * source mapping in AWS. It must run before the consumer joins, because the broker only lets
   * an empty group's offsets be set.
   */
  async #applyTimestampStart(): Promise<void> {
    const { mapping, kafka } = this.#options;
    const timestamp = mapping.startingPositionTimestampMs as number;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: mapping.consumerGroupId, topics: [mapping.topic] });
      const hasCommitted = (committed?.partitions ?? []).some((partition) => partition.offset !== '-1');
      if (hasCommitted) {
        this.#logger.info('AT_TIMESTAMP ignored: the consumer group already has committed offsets', { topic: mapping.topic });
        return;
      }
      const offsets = await admin.fetchTopicOffsetsByTimestamp(mapping.topic, timestamp);
      await admin.setOffsets({
        groupId: mapping.consumerGroupId,
        topic: mapping.topic,
        partitions: offsets.map(({ partition, offset }) => ({ partition, offset })),
      });
    } finally {
      await admin.disconnect();
    }
  }
}

/** kafkajs exposes the batch's timestamp type on `batchContext`, which its typings omit. */
type MessageWithBatchContext = KafkaMessage & { batchContext?: { timestampType?: number } };

export function toSourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  const headers: Array<[string, Buffer]> = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item === undefined) continue;
      headers.push([name, Buffer.isBuffer(item) ? item : Buffer.from(String(item))]);
    }
  }

  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    timestampType: (message as MessageWithBatchContext).batchContext?.timestampType === 1 ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
  };
}
