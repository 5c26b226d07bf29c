/**
 * Broker outage during a burst: a throwaway broker (never the shared one on 9092) is killed
 * with SIGKILL while requests keep arriving, then restarted. Every request that got a 2xx
 * response must be in the topic afterwards. Every failure must be a 503 with Retry-After, sent
 * within the produce timeout, and the same producer must reconnect after the restart.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestConfig } from '../../lib/ingest/config.js';
import { ensureTopics, ReliableProducer } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';
import type { PaymentEvent } from '../../lib/paymentEvent.js';
import { quietKafka, readTopic, startThrowawayBroker, type ThrowawayBroker } from '../helpers/broker.js';
import { capturingLogger, webhookClient, type WebhookAnswer } from './ingestSupport.js';

const RUN = randomBytes(4).toString('hex');
const TOPIC = `test-ingest-outage-${RUN}`;
const SECRET = 'outage-secret';
const PRODUCE_TIMEOUT_MS = 1500;
const CONCURRENCY = 4;

let broker: ThrowawayBroker;
let producer: ReliableProducer;

beforeAll(async () => {
  broker = await startThrowawayBroker();
  await ensureTopics(quietKafka(broker.brokers), [{ topic: TOPIC, numPartitions: 2 }]);
}, 180_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await broker?.destroy();
});

interface Outcome {
  eventId: string;
  answer: WebhookAnswer;
  latencyMs: number;
  phase: 'before' | 'down' | 'after';
}

describe('ingest during a broker outage', () => {
  it('stores every event that got a 2xx response', async () => {
    const config = loadIngestConfig({
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_PRODUCE_TIMEOUT_MS: String(PRODUCE_TIMEOUT_MS),
      KAFKA_CONNECT_TIMEOUT_MS: '500',
      PAYMENT_EVENTS_TOPIC: TOPIC,
      WEBHOOK_SECRETS_LEGACY: SECRET,
    });
    producer = new ReliableProducer(config.kafka, createLogger('producer-test', {}, () => undefined));
    const { logger } = capturingLogger();
    const post = webhookClient({ config, producer, logger });

    const outcomes: Outcome[] = [];
    let phase: Outcome['phase'] = 'before';
    let sequence = 0;
    let running = true;

    const worker = async () => {
      while (running) {
        const eventId = `evt_outage_${RUN}_${sequence++}`;
        const body = JSON.stringify({ eventId, eventType: 'PAYMENT_SUCCESS', amount: '1.00', customerId: `cust_${sequence % 7}` });
        const signature = createHmac('sha256', SECRET).update(body).digest('base64');
        const requestPhase = phase;
        const started = performance.now();
        const answer = await post({ provider: 'legacy-path', body, headers: { 'X-Signature': signature } });
        outcomes.push({ eventId, answer, latencyMs: performance.now() - started, phase: requestPhase });
      }
    };
    const okCount = (wanted: Outcome['phase']) => outcomes.filter((o) => o.phase === wanted && o.answer.statusCode === 200).length;
    const waitFor = async (condition: () => boolean, timeoutMs: number, what: string) => {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((done) => setTimeout(done, 20));
      }
    };

    const workers = Array.from({ length: CONCURRENCY }, () => worker());
    try {
      await waitFor(() => okCount('before') >= 100, 30_000, '100 accepted requests before the outage');

      phase = 'down';
      await broker.kill();
      // Keep the burst going against a dead broker for longer than one produce timeout.
      await new Promise((done) => setTimeout(done, PRODUCE_TIMEOUT_MS * 2));
      await broker.start();

      phase = 'after';
      await waitFor(() => okCount('after') >= 100, 60_000, '100 accepted requests after the restart');
    } finally {
      running = false;
      await Promise.all(workers);
    }

    const accepted = outcomes.filter((o) => o.answer.statusCode === 200);
    const failed = outcomes.filter((o) => o.answer.statusCode !== 200);
    const records = await readTopic(quietKafka(broker.brokers), TOPIC);
    const stored = new Set(records.map((record) => (JSON.parse(record.value ?? 'null') as PaymentEvent).eventId));

    const acceptedButMissing = accepted.filter((o) => !stored.has(o.eventId)).map((o) => o.eventId);
    expect(acceptedButMissing).toEqual([]);

    // The outage must have been observed, or this test proved nothing.
    expect(failed.filter((o) => o.phase === 'down').length).toBeGreaterThan(0);
    expect(new Set(failed.map((o) => o.answer.statusCode))).toEqual(new Set([503]));
    for (const outcome of failed) {
      expect(outcome.answer.headers['Retry-After']).toBe('5');
      expect(outcome.answer.body.error).toBe('broker_unavailable');
    }

    // A request waits at most the produce timeout, plus the time to reset the producer.
    const slowest503 = Math.max(...failed.map((o) => o.latencyMs));
    expect(slowest503).toBeLessThan(PRODUCE_TIMEOUT_MS + 1500);

    console.log(
      JSON.stringify({
        requests: outcomes.length,
        accepted: accepted.length,
        rejected503: failed.length,
        acceptedBefore: okCount('before'),
        acceptedDuringOutage: okCount('down'),
        acceptedAfterRestart: okCount('after'),
        recordsInTopic: records.length,
        slowest503Ms: Math.round(slowest503),
      }),
    );
  }, 240_000);

  it('answers 503 with Retry-After when no broker is reachable', async () => {
    const config = loadIngestConfig({
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_PRODUCE_TIMEOUT_MS: '1000',
      KAFKA_CONNECT_TIMEOUT_MS: '200',
      PAYMENT_EVENTS_TOPIC: TOPIC,
      WEBHOOK_SECRETS_LEGACY: SECRET,
      WEBHOOK_RETRY_AFTER_SECONDS: '30',
    });
    const unreachable = new ReliableProducer(config.kafka, createLogger('producer-test', {}, () => undefined));
    const post = webhookClient({ config, producer: unreachable, logger: capturingLogger().logger });
    const body = JSON.stringify({ eventId: `evt_unreachable_${RUN}`, eventType: 'PAYMENT_SUCCESS', amount: 1, customerId: 'c' });

    const started = performance.now();
    const answer = await post({ provider: 'legacy-path', body, headers: { 'X-Signature': createHmac('sha256', SECRET).update(body).digest('base64') } });
    const latencyMs = performance.now() - started;
    await unreachable.disconnect().catch(() => undefined);

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('30');
    expect(answer.body.error).toBe('broker_unavailable');
    expect(latencyMs).toBeLessThan(2500);
  });
});
