/**
 * Benchmark of the warm ingest handler against the raw producer, in one process and one run.
 *
 *   npm run bench -- ingest
 *
 * Both sides write to a fresh topic `bench-ingest-<random>` on KAFKA_BROKERS (default
 * 127.0.0.1:9092) with acks = all through lib/kafka.ts's idempotent ReliableProducer.
 * The handler side posts legacy webhooks through the real middy handler, which checks the
 * signature, parses, maps and produces. The raw side sends an already serialized record.
 *
 * Two measurements:
 * - closed loop: BENCH_CONCURRENCY (default 16) requests in flight, BENCH_REQUESTS (default
 *   5000) per side and round, BENCH_ROUNDS (default 3) rounds in alternating order, after
 *   BENCH_WARMUP (default 500) unmeasured requests;
 * - open loop: requests started on a fixed schedule of BENCH_RATE per second (default 1000) for
 *   BENCH_SECONDS (default 10), whether or not earlier ones finished. Latency counts from the
 *   scheduled start, so a stalled producer shows up in p99 instead of slowing the schedule.
 *
 * The handler's log lines are formatted as in production but dropped instead of written to
 * stdout. The last line of output is a JSON summary with requests/s, p50, p99 and the ratios.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadIngestConfig } from '../lib/ingest/config.js';
import { createIngestHandler, type IngestContext } from '../lib/ingest/handler.js';
import { createKafka, ensureTopics, ReliableProducer } from '../lib/kafka.js';
import { createLogger } from '../lib/logger.js';
import { PAYMENT_EVENT_SCHEMA_VERSION, partitionKey, serializePaymentEvent, type PaymentEvent } from '../lib/paymentEvent.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const RUN = randomBytes(4).toString('hex');
const TOPIC = `bench-ingest-${RUN}`;
const SECRET = 'bench-secret';

const config = loadIngestConfig({
  ...process.env,
  PAYMENT_EVENTS_TOPIC: TOPIC,
  WEBHOOK_PROVIDERS: 'legacy',
  WEBHOOK_SECRETS_LEGACY: SECRET,
});
const kafka = createKafka(config.kafka);
const producer = new ReliableProducer(config.kafka, createLogger('bench-producer', {}, () => undefined));
let logLines = 0;
const handler = createIngestHandler({ config, producer, logger: createLogger('ingest', {}, () => void logLines++) });

type Send = (sequence: number) => Promise<void>;

function webhookEvent(sequence: number): APIGatewayProxyEvent {
  const body = `{\n  "eventId": "evt_bench_${RUN}_${sequence}",\n  "eventType": "PAYMENT_SUCCESS",\n  "amount": 500.00,\n  "customerId": "cust_${sequence % 100}"\n}`;
  return {
    resource: '/api/webhooks/payment-updates',
    path: '/api/webhooks/payment-updates',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Signature': createHmac('sha256', SECRET).update(body).digest('base64') },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId: `bench-${sequence}` } as APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded: false,
  };
}

function lambdaContext(sequence: number): IngestContext {
  return { awsRequestId: `bench-${RUN}-${sequence}`, getRemainingTimeInMillis: () => 10_000 } as IngestContext;
}

const viaHandler: Send = async (sequence) => {
  const result = (await handler(webhookEvent(sequence), lambdaContext(sequence))) as APIGatewayProxyResult;
  if (result.statusCode !== 200) throw new Error(`handler returned status ${result.statusCode}: ${result.body}`);
};

const viaRawProducer: Send = async (sequence) => {
  const event: PaymentEvent = {
    schemaVersion: PAYMENT_EVENT_SCHEMA_VERSION,
    eventId: `evt_raw_${RUN}_${sequence}`,
    provider: 'legacy',
    eventType: 'PAYMENT_SUCCESS',
    status: 'SUCCESS',
    paymentId: `evt_raw_${RUN}_${sequence}`,
    amount: '500.00',
    currency: 'INR',
    customerId: `cust_${sequence % 100}`,
    orderId: null,
    occurredAt: null,
    receivedAt: new Date().toISOString(),
  };
  await producer.send(TOPIC, [{ key: partitionKey(event), value: serializePaymentEvent(event) }]);
};

interface Stats {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function summarize(latencies: number[], elapsedMs: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? NaN;
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    requests: sorted.length,
    requestsPerSecond: Math.round((sorted.length / elapsedMs) * 1000),
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
  };
}

let sequence = 0;

async function closedLoop(send: Send, requests: number): Promise<Stats> {
  const latencies: number[] = [];
  let remaining = requests;
  const started = performance.now();
  const worker = async () => {
    while (remaining > 0) {
      remaining--;
      const begin = performance.now();
      await send(sequence++);
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return summarize(latencies, performance.now() - started);
}

async function openLoop(send: Send, rate: number, seconds: number): Promise<Stats & { failed: number }> {
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const total = rate * seconds;
  const intervalMs = 1000 / rate;
  let failed = 0;
  const started = performance.now();

  for (let issued = 0; issued < total; ) {
    const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
    for (; issued < due; issued++) {
      const scheduledAt = started + issued * intervalMs;
      inFlight.push(
        send(sequence++).then(
          () => void latencies.push(performance.now() - scheduledAt),
          () => void failed++,
        ),
      );
    }
    await new Promise((done) => setTimeout(done, 1));
  }
  await Promise.all(inFlight);
  return { ...summarize(latencies, performance.now() - started), failed };
}

/** Returns the round with the median requests/s. */
function medianRound(rounds: Stats[]): Stats {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new Error('No benchmark rounds ran; BENCH_ROUNDS must be at least 1.');
  return median;
}

function line(label: string, stats: Stats): string {
  return `${label.padEnd(28)} ${String(stats.requestsPerSecond).padStart(6)} req/s   p50 ${stats.p50Ms.toFixed(2)} ms   p99 ${stats.p99Ms.toFixed(2)} ms   max ${stats.maxMs.toFixed(2)} ms`;
}

try {
  await ensureTopics(kafka, [{ topic: TOPIC, numPartitions: 3 }]);
  await producer.connect();
  console.log(`ingest benchmark: topic ${TOPIC} on ${config.kafka.brokers.join(',')}, acks=all, idempotent producer`);

  await closedLoop(viaRawProducer, WARMUP);
  await closedLoop(viaHandler, WARMUP);

  // Rounds alternate which side goes first, so drift on a shared machine (broker log
  // segments, JIT, other processes) does not favour one side. Each side reports its median round.
  const rawRounds: Stats[] = [];
  const handlerRounds: Stats[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      rawRounds.push(await closedLoop(viaRawProducer, REQUESTS));
      handlerRounds.push(await closedLoop(viaHandler, REQUESTS));
    } else {
      handlerRounds.push(await closedLoop(viaHandler, REQUESTS));
      rawRounds.push(await closedLoop(viaRawProducer, REQUESTS));
    }
  }
  const raw = medianRound(rawRounds);
  const warm = medianRound(handlerRounds);
  console.log(`closed loop, concurrency ${CONCURRENCY}, ${REQUESTS} requests per side and round, median of ${ROUNDS} rounds:`);
  console.log(line('  raw producer', raw));
  console.log(line('  ingest handler', warm));

  const rawOpen = await openLoop(viaRawProducer, RATE, SECONDS);
  const warmOpen = await openLoop(viaHandler, RATE, SECONDS);
  console.log(`open loop, ${RATE} requests/s for ${SECONDS} s each (latency from the scheduled start):`);
  console.log(line('  raw producer', rawOpen));
  console.log(line('  ingest handler', warmOpen));

  const ratio = Math.round((warm.requestsPerSecond / raw.requestsPerSecond) * 100) / 100;
  console.log(
    JSON.stringify({
      benchmark: 'ingest',
      topic: TOPIC,
      logLinesFormatted: logLines,
      closedLoop: { concurrency: CONCURRENCY, raw, handler: warm, ratio },
      openLoop: { rate: RATE, seconds: SECONDS, raw: rawOpen, handler: warmOpen },
      ratio,
      target: { ratioAtLeast: 0.5, p99AtMostMs: 10, met: ratio >= 0.5 && warmOpen.p99Ms <= 10 && warmOpen.failed === 0 },
    }),
  );
} finally {
  await producer.disconnect().catch(() => undefined);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
}
