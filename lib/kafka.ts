/**
 * The only module that imports kafkajs (2.2.4, no longer maintained), so the client can be
 * replaced in one place. Everything else uses the types and functions exported here.
 */
import kafkajs from 'kafkajs';
import type { Admin, Consumer, ConsumerConfig, IHeaders, Kafka, Producer, RecordMetadata, SASLOptions } from 'kafkajs';
import { loadKafkaConfig, once, type KafkaConfig } from './config.js';
import { createLogger, describeError, type Logger } from './logger.js';

const { Kafka: KafkaClient, logLevel: KafkaLogLevel, CompressionTypes, Partitioners } = kafkajs;

// ReliableProducer replaces its kafkajs producer (and so its producer id and sequence numbers)
// after any failed send, so the bounded retries cannot reorder or duplicate within one
// producer session. kafkajs still warns about them at every connect; that line is dropped.
const SUPPRESSED_KAFKAJS_WARNINGS = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

export type { Admin, Consumer, ConsumerConfig, IHeaders, Kafka, Producer, RecordMetadata };
export type { EachBatchPayload, KafkaMessage, Batch } from 'kafkajs';

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  timestamp?: string;
}

/** Raised when the broker did not acknowledge a produce request within the configured bound. */
export class ProduceTimeoutError extends Error {
  constructor(readonly topic: string, readonly timeoutMs: number) {
    super(`Kafka did not acknowledge the write to topic ${topic} within ${timeoutMs} ms`);
    this.name = 'ProduceTimeoutError';
  }
}

/** Raised when a produce request failed before the broker acknowledged it (broker down, topic missing...). */
export class ProduceFailedError extends Error {
  constructor(readonly topic: string, cause: unknown) {
    super(`Kafka write to topic ${topic} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ProduceFailedError';
  }
}

/** Routes kafkajs' own log lines through the structured logger, at warn and above. */
function kafkajsLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: number; log: { message: string; [key: string]: unknown } }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      if (SUPPRESSED_KAFKAJS_WARNINGS.has(message)) return;
      if (level <= KafkaLogLevel.ERROR) logger.error(message, fields);
      else if (level <= KafkaLogLevel.WARN) logger.warn(message, fields);
      else logger.debug(message, fields);
    };
}

export function createKafka(config: KafkaConfig = loadKafkaConfig(), logger: Logger = createLogger('kafkajs')): Kafka {
  return new KafkaClient({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    ...(config.sasl === undefined ? {} : { sasl: config.sasl as SASLOptions }),
    connectionTimeout: config.connectTimeoutMs,
    requestTimeout: Math.max(config.produceTimeoutMs, 1000),
    logLevel: KafkaLogLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 5 },
  });
}

/**
 * An idempotent producer with acks = all that connects once and is reused across warm
 * invocations. A failed connection or send discards the underlying producer, so the next
 * request reconnects (after a broker restart, for example) instead of reusing a dead socket.
 */
export class ReliableProducer {
  readonly #config: KafkaConfig;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  #producer: Producer | undefined;
  #connecting: Promise<Producer> | undefined;

  constructor(config: KafkaConfig = loadKafkaConfig(), logger: Logger = createLogger('producer')) {
    this.#config = config;
    this.#logger = logger;
    this.#kafka = createKafka(config, logger);
  }

  async #connected(): Promise<Producer> {
    if (this.#producer !== undefined) return this.#producer;
    if (this.#connecting === undefined) {
      const producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // Murmur2 on the key, the same partition choice as the Java client.
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
      });
      this.#connecting = producer
        .connect()
        .then(() => {
          this.#producer = producer;
          this.#logger.info('Kafka producer connected', { brokers: this.#config.brokers });
          return producer;
        })
        .finally(() => {
          this.#connecting = undefined;
        });
    }
    return this.#connecting;
  }

  /** Connects ahead of the first request; safe to call many times. */
  async connect(): Promise<void> {
    await this.#connected();
  }

  /**
   * Sends messages to one topic and resolves only after the broker acknowledged them with
   * acks = all. Rejects with ProduceTimeoutError after `timeoutMs` or ProduceFailedError on
   * any other failure; in both cases the caller must treat the messages as not stored.
   */
  async send(topic: string, messages: OutgoingMessage[], timeoutMs = this.#config.produceTimeoutMs): Promise<RecordMetadata[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new ProduceTimeoutError(topic, timeoutMs)), timeoutMs);
    });
    const attempt = (async () => {
      const producer = await this.#connected();
      return producer.send({
        topic,
        acks: -1,
        timeout: timeoutMs,
        compression: CompressionTypes.None,
        messages: messages.map((message) => ({
          key: message.key,
          value: message.value,
          ...(message.headers === undefined ? {} : { headers: message.headers }),
          ...(message.partition === undefined ? {} : { partition: message.partition }),
          ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
        })),
      });
    })();
    try {
      return await Promise.race([attempt, deadline]);
    } catch (error) {
      // Keep the late outcome from becoming an unhandled rejection.
      attempt.catch(() => undefined);
      await this.#discard(error);
      if (error instanceof ProduceTimeoutError) throw error;
      throw new ProduceFailedError(topic, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async #discard(reason: unknown): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    this.#logger.warn('Kafka producer reset after a failed send', describeError(reason));
    if (producer !== undefined) await producer.disconnect().catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    if (producer !== undefined) await producer.disconnect();
  }
}

/** The producer shared by every invocation of this container. */
export const sharedProducer = once(() => new ReliableProducer());

export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/** Creates missing topics; existing topics are left as they are. Returns the names it created. */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({ topic: spec.topic, numPartitions: spec.numPartitions, replicationFactor: -1 })),
      });
    }
    return missing.map((spec) => spec.topic);
  } finally {
    await admin.disconnect();
  }
}
