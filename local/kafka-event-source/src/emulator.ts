/**
 * Runs every enabled event-source mapping: one MappingPoller (one consumer group member) per
 * `msk`/`kafka` event, sharing one Kafka client and one dead-letter producer.
 */
import { loadKafkaConfig } from '../../../lib/config.js';
import { createKafka, ReliableProducer, type Kafka } from '../../../lib/kafka.js';
import { createLogger, type Logger } from '../../../lib/logger.js';
import type { EmulatorSettings, EventSourceMapping } from './config.js';
import { deadLetterMessages } from './deadLetter.js';
import { EventSourceConfigError } from './errors.js';
import type { Invoker } from './invoker.js';
import { MappingPoller } from './poller.js';

export interface EmulatorOptions {
  settings: EmulatorSettings;
  invoker: Invoker;
  logger?: Logger;
  env?: Record<string, string | undefined>;
  /** Lowers the 6 MB payload limit in tests. */
  maxPayloadBytes?: number;
  stopTimeoutMs?: number;
}

export class KafkaEventSourceEmulator {
  readonly #options: EmulatorOptions;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  readonly #deadLetterProducer: ReliableProducer;
  readonly #pollers: MappingPoller[] = [];
  #stopping: Promise<void> | undefined;

  constructor(options: EmulatorOptions) {
    this.#options = options;
    this.#logger = options.logger ?? createLogger('kafka-event-source');
    const kafkaConfig = { ...loadKafkaConfig(options.env ?? process.env), brokers: options.settings.brokers, clientId: 'kafka-event-source' };
    this.#kafka = createKafka(kafkaConfig, this.#logger.child({ component: 'kafkajs' }));
    this.#deadLetterProducer = new ReliableProducer(kafkaConfig, this.#logger.child({ component: 'dead-letter-producer' }));
  }

  /** Returns the mappings that poll: enabled in serverless.yml and not switched off locally. */
  activeMappings(): EventSourceMapping[] {
    if (!this.#options.settings.enabled) return [];
    return this.#options.settings.mappings.filter((mapping) => mapping.enabled);
  }

  async start(): Promise<void> {
    const { settings } = this.#options;
    for (const mapping of settings.mappings.filter((item) => !item.enabled || !settings.enabled)) {
      this.#logger.info('Kafka event source disabled; not polling', { mapping: mapping.id, topic: mapping.topic });
    }

    const mappings = this.activeMappings();
    if (mappings.length === 0) return;
    await this.#checkTopics(mappings);

    for (const mapping of mappings) {
      const poller = new MappingPoller({
        mapping,
        kafka: this.#kafka,
        brokers: settings.brokers,
        invoker: this.#options.invoker,
        logger: this.#logger,
        deadLetter: async (topic, records, reason) => {
          await this.#deadLetterProducer.send(topic, deadLetterMessages(records, reason));
        },
        ...(this.#options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: this.#options.maxPayloadBytes }),
        ...(this.#options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: this.#options.stopTimeoutMs }),
      });
      this.#pollers.push(poller);
      await poller.start();
    }
  }

  /** Idempotent; concurrent calls share one shutdown. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.#pollers.map((poller) => poller.stop()));
      await this.#deadLetterProducer.disconnect();
    })();
    return this.#stopping;
  }

  /**
   * The broker runs with topic auto-creation off, so a missing source or dead-letter topic is a
   * start-up error that names the topic instead of a consumer that silently waits.
   */
  async #checkTopics(mappings: readonly EventSourceMapping[]): Promise<void> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      for (const mapping of mappings) {
        if (!existing.has(mapping.topic)) {
          throw new EventSourceConfigError(
            `Topic ${mapping.topic} of ${mapping.id} does not exist on ${this.#options.settings.brokers.join(',')}; create it (npm run stack:up) or override the topic locally.`,
          );
        }
        if (mapping.retry.maximumRetryAttempts !== -1 && !existing.has(mapping.deadLetterTopic)) {
          throw new EventSourceConfigError(
            `Dead-letter topic ${mapping.deadLetterTopic} of ${mapping.id} does not exist; create it or set custom.kafkaEventSource.deadLetterTopic.`,
          );
        }
      }
    } finally {
      await admin.disconnect();
    }
  }
}
