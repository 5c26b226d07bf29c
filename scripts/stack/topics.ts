/**
 * Creates Kafka topics through lib/kafka.ts for the stack launcher (which itself runs before
 * anything is installed and so cannot use kafkajs).
 *
 * Usage: tsx scripts/stack/topics.ts <topic>:<partitions> [...]
 * Connects to KAFKA_BROKERS. Prints one JSON line, {"created": [...]}, and exits 1 on failure.
 * Replication factor is the broker's default.replication.factor (1 on the local stack).
 */
import { loadKafkaConfig } from '../../lib/config.js';
import { createKafka, ensureTopics, type TopicSpec } from '../../lib/kafka.js';
import { createLogger, describeError } from '../../lib/logger.js';

function parseSpec(argument: string): TopicSpec {
  const match = /^([A-Za-z0-9._-]+):([1-9][0-9]*)$/.exec(argument);
  if (match === null) {
    throw new Error(`Invalid topic ${JSON.stringify(argument)}: expected <topic>:<partitions>, for example payment-events:6.`);
  }
  return { topic: match[1] as string, numPartitions: Number(match[2]) };
}

const logger = createLogger('stack-topics');

try {
  const specs = process.argv.slice(2).map(parseSpec);
  const created = await ensureTopics(createKafka(loadKafkaConfig(), logger), specs);
  process.stdout.write(`${JSON.stringify({ created })}\n`);
} catch (error) {
  logger.error('Creating topics failed', describeError(error));
  process.exitCode = 1;
}
