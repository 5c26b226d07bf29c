/**
 * Test helpers around Kafka: a throwaway single-node KRaft broker that a test may kill and
 * restart (the shared broker on 9092 must never be stopped), and a reader that returns every
 * record of a topic up to its current end.
 *
 * Broker jars are looked up in KAFKA_LIBS_DIR, then `.stack/kafka/libs` under the repository
 * (filled by `npm run stack:up`), then /tmp/kafka-libs. The broker listens on two free
 * loopback ports, so concurrent test runs do not collide, and keeps its log directory across
 * restarts, like a real broker after a crash.
 *
 * @example
 *   const broker = await startThrowawayBroker();
 *   await broker.kill();     // SIGKILL, as in a crash
 *   await broker.start();    // same ports, same data
 *   await broker.destroy();  // stop and delete the data directory
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKafkaConfig } from '../../lib/config.js';
import { createKafka, type IHeaders, type Kafka } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Returns the directory of the Kafka broker jars, or throws naming every place it looked. */
export function kafkaLibsDir(): string {
  const candidates = [process.env.KAFKA_LIBS_DIR, join(REPOSITORY, '.stack/kafka/libs'), '/tmp/kafka-libs'].filter(
    (candidate): candidate is string => candidate !== undefined && candidate !== '',
  );
  for (const candidate of candidates) {
    if (existsSync(candidate) && readdirSync(candidate).some((file) => file.startsWith('kafka_') && file.endsWith('.jar'))) {
      return candidate;
    }
  }
  throw new Error(`No Kafka broker jars (kafka_*.jar) in ${candidates.join(', ')}. Run \`npm run stack:up\` or set KAFKA_LIBS_DIR.`);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Creates a Kafka client whose kafkajs log lines are dropped, so connection retries do not flood the test output. */
export function quietKafka(brokers: string[]): Kafka {
  const silent = createLogger('kafkajs-test', {}, () => undefined);
  return createKafka({ ...loadKafkaConfig({}), brokers, connectTimeoutMs: 1000 }, silent);
}

export interface ThrowawayBroker {
  readonly brokers: string[];
  readonly dataDir: string;
  /** Starts the broker process (again) and waits until it responds to metadata requests. */
  start(): Promise<void>;
  /** Kills the broker with SIGKILL, as in a crash, and waits for the process to exit. */
  kill(): Promise<void>;
  /** Stops the broker if it runs and deletes its data directory. */
  destroy(): Promise<void>;
}

export async function startThrowawayBroker(options: { startTimeoutMs?: number } = {}): Promise<ThrowawayBroker> {
  const libs = kafkaLibsDir();
  const port = await freePort();
  const controllerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'kafka-throwaway-'));
  const propertiesFile = join(dataDir, 'server.properties');
  writeFileSync(
    propertiesFile,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dataDir, 'logs')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'num.partitions=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  );

  const classpath = `${libs}/*`;
  const jvm = ['-Xms128m', '-Xmx512m', '-cp', classpath];
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. One that starts
  // with '-' would be read as an option by kafka-storage's argument parser, so draw again.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (format.status !== 0) {
    throw new Error(`Formatting the throwaway broker's storage failed (exit ${format.status}): ${format.stderr || format.stdout}`);
  }

  const brokers = [`127.0.0.1:${port}`];
  const logFile = join(dataDir, 'broker.log');
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const waitUntilReady = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (child === undefined || child.exitCode !== null) {
        throw new Error(`The throwaway broker exited with code ${child?.exitCode}; see ${logFile}`);
      }
      const admin = quietKafka(brokers).admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        await admin.describeCluster();
        return;
      } catch (error) {
        lastError = error;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await new Promise((done) => setTimeout(done, 250));
    }
    throw new Error(`The throwaway broker at ${brokers[0]} was not ready within ${timeoutMs} ms: ${String(lastError)}; see ${logFile}`);
  };

  const broker: ThrowawayBroker = {
    brokers,
    dataDir,
    async start() {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
      const output = openSync(logFile, 'a');
      child = spawn('java', [...jvm, 'kafka.Kafka', propertiesFile], { stdio: ['ignore', output, output] });
      await waitUntilReady(options.startTimeoutMs ?? 90_000);
    },
    async kill() {
      const running = child;
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((done) => running.once('exit', done));
      running.kill('SIGKILL');
      await exited;
    },
    async destroy() {
      await broker.kill();
      process.removeListener('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return result;
}

/**
 * Returns every record of `topic` from the beginning up to the end offsets read when the call
 * starts, in partition and offset order. Uses a fresh consumer group, so nothing is shared.
 */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((end) => end.high !== end.low).map((end) => [end.partition, BigInt(end.high)]));
  if (remaining.size === 0) return [];

  const records: TopicRecord[] = [];
  const consumer = kafka.consumer({ groupId: `test-reader-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`Reading ${topic} timed out after ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const end = remaining.get(partition);
            if (end === undefined || BigInt(message.offset) >= end) return;
            records.push({
              partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              value: message.value?.toString('utf8') ?? null,
              headers: headersToStrings(message.headers),
            });
            if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              done();
            }
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
