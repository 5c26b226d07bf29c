/**
 * The emulator as an osls plugin inside `npx sls offline`, run as a child process against the
 * real broker. The service is a small fixture written to a temporary directory: the plugins list
 * of serverless.yml (serverless-esbuild, serverless-offline, this plugin) and a recorder function
 * that appends every event it receives to a file and fails once on request. That keeps the test
 * independent of the payment handlers while going through serverless-esbuild's bundle and
 * serverless-offline's Lambda Invoke API, exactly as `npm run offline` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKafkaConfig } from '../../lib/config.js';
import { createKafka, ensureTopics, type Kafka } from '../../lib/kafka.js';
import type { KafkaEvent } from '../../local/kafka-event-source/src/event.js';
import { findFreePort } from '../../scripts/stack/offline.js';

const REPOSITORY = resolve(import.meta.dirname, '../..');
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
// Free ports picked at start-up, so neither a developer's own `sls offline` nor a parallel run collides.
let HTTP_PORT = 0;
let LAMBDA_PORT = 0;

const id = randomUUID().slice(0, 8);
const topic = `test-esm-offline-${id}`;
const groupId = `test-esm-offline-group-${id}`;

let kafka: Kafka;
let serviceDir: string;
let recordFile: string;
let child: ChildProcess | undefined;
let output = '';
let closed = false;
let closedPromise: Promise<void>;

const RECORDER = `
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

export const handler = async (event) => {
  appendFileSync(process.env.RECORD_FILE, JSON.stringify(event) + '\\n');
  const values = Object.values(event.records).flat().map((record) => Buffer.from(record.value ?? '', 'base64').toString());
  if (values.includes('fail-once') && !existsSync(process.env.RECORD_FILE + '.failed')) {
    writeFileSync(process.env.RECORD_FILE + '.failed', 'x');
    throw new Error('recorder fails once on request');
  }
  return { received: values.length };
};
`;

function serviceYaml(): string {
  return `service: esm-offline-test
frameworkVersion: '4'
plugins:
  - serverless-esbuild
  - serverless-offline
  - ./local/kafka-event-source/index.cjs
provider:
  name: aws
  runtime: nodejs22.x
  stage: local
  region: eu-west-1
  environment:
    RECORD_FILE: ${recordFile}
functions:
  recorder:
    handler: recorder.handler
    timeout: 10
    events:
      - msk:
          arn: arn:aws:kafka:eu-west-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1
          topic: ${topic}
          batchSize: 10
          maximumBatchingWindow: 1
          startingPosition: TRIM_HORIZON
          consumerGroupId: ${groupId}
custom:
  kafkaEventSource:
    brokers: ${BROKERS}
    retryBaseDelayMs: 200
  serverless-offline:
    httpPort: ${HTTP_PORT}
    lambdaPort: ${LAMBDA_PORT}
    noPrependStageInUrl: true
  esbuild:
    bundle: true
    format: esm
    platform: node
    target: node20
    outputFileExtension: .mjs
`;
}

async function readEvents(): Promise<KafkaEvent[]> {
  if (!existsSync(recordFile)) return [];
  const text = await readFile(recordFile, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as KafkaEvent);
}

async function committedOffset(): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(result?.partitions.find((partition) => partition.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    if (closed) throw new Error(`sls offline exited while waiting for ${what}:\n${output}`);
    if (output.includes('Kafka event source failed to start')) throw new Error(`The plugin failed to start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. sls offline output:\n${output}`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group already exited.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Sends SIGINT to the child's process group (npx and the sls process under it) and waits until
 * every process holding its output pipes has exited, with SIGKILL after 15 s. Resolves true when
 * SIGINT alone was enough.
 */
async function stopChild(): Promise<boolean> {
  const running = child;
  if (running === undefined || running.pid === undefined || closed) return true;
  const pid = running.pid;
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    signalGroup(pid, 'SIGKILL');
  }, 15_000);
  signalGroup(pid, 'SIGINT');
  await closedPromise;
  clearTimeout(timer);
  return !killed;
}

beforeAll(async () => {
  HTTP_PORT = await findFreePort();
  LAMBDA_PORT = await findFreePort();
  kafka = createKafka({ ...loadKafkaConfig({}), brokers: BROKERS.split(','), clientId: 'event-source-offline-test' });
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);

  serviceDir = await mkdtemp(join(tmpdir(), 'esm-offline-'));
  recordFile = join(serviceDir, 'events.jsonl');
  await mkdir(join(serviceDir, 'local'));
  await symlink(join(REPOSITORY, 'node_modules'), join(serviceDir, 'node_modules'));
  await symlink(join(REPOSITORY, 'local', 'kafka-event-source'), join(serviceDir, 'local', 'kafka-event-source'));
  await writeFile(join(serviceDir, 'package.json'), JSON.stringify({ name: 'esm-offline-test', private: true, type: 'module' }));
  await writeFile(join(serviceDir, 'recorder.js'), RECORDER);
  await writeFile(join(serviceDir, 'serverless.yml'), serviceYaml());

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: [
      { key: 'order-1', value: JSON.stringify({ eventId: 'evt_offline_1' }), headers: { 'event-id': 'evt_offline_1' } },
      { key: null, value: 'fail-once' },
    ],
  });
  await producer.disconnect();

  child = spawn('npx', ['sls', 'offline'], {
    cwd: serviceDir,
    detached: true,
    env: { ...process.env, KAFKA_BROKERS: BROKERS, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close' fires once every process sharing the pipes (npx and sls) has exited.
  closedPromise = new Promise((resolve) =>
    child?.once('close', () => {
      closed = true;
      resolve();
    }),
  );
}, 120_000);

afterAll(async () => {
  await stopChild();
  if (serviceDir !== undefined) await rm(serviceDir, { recursive: true, force: true });
}, 60_000);

describe('kafka event source plugin under sls offline', () => {
  it('delivers a produced record to the function, retries a failure and commits', async () => {
    await waitFor(async () => (await committedOffset()) === 2, 90_000, 'the offsets to be committed');
    const events = await readEvents();
    const first = events[0]!;
    const records = first.records[`${topic}-0`]!;

    expect(output).toContain('"message":"Kafka event source started"');
    expect(first.eventSource).toBe('aws:kafka');
    expect(first.bootstrapServers).toBe(BROKERS);
    expect(records.map((record) => record.offset)).toEqual([0, 1]);
    expect(Buffer.from(records[0]!.value!, 'base64').toString()).toBe('{"eventId":"evt_offline_1"}');
    expect(records[0]!.headers).toEqual([{ 'event-id': [...Buffer.from('evt_offline_1')] }]);
    expect('key' in records[1]!).toBe(false);
    // The first invocation threw inside serverless-offline; the same batch came again.
    expect(events).toHaveLength(2);
    expect(events[1]!.records[`${topic}-0`]!.map((record) => record.offset)).toEqual([0, 1]);
    expect(output).toContain('"outcome":"failure"');
    expect(output).toContain('recorder fails once on request');
  }, 120_000);

  it('stops the pollers on SIGINT and exits', async () => {
    const exitedOnSigint = await stopChild();

    expect(exitedOnSigint).toBe(true);
    // serverless-offline's own shutdown lines are swallowed by osls's logger once it handled the
    // signal, so the emulator's line is the evidence that it stopped before the process exited.
    expect(output).toContain('"message":"Kafka event source stopped"');
  }, 30_000);
});
