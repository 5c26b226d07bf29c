/**
 * End to end under `sls offline`: signed webhooks go through the ingest HTTP endpoint, Kafka and
 * the local event-source mapping into processPayments and MySQL.
 *
 * Needs the stack (`npm run stack:up`). The test starts its own `sls offline` on free ports, with
 * its own MySQL database and consumer group, so it runs next to a developer's `npm run offline`.
 * When serverless.yml lets PAYMENT_EVENTS_TOPIC come from the environment, it also uses its own
 * topic. Otherwise ingest writes to the shared payment-events topic, and the test's consumer group
 * reads that topic from the start. Earlier events then land in the test database too, which the
 * assertions ignore because they only look at this run's event ids.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MysqlConfig } from '../../lib/config.js';
import { signLegacy } from '../../lib/ingest/signing.js';
import { legacyBody, LOCAL_LEGACY_SECRET, newRunId, planRequests, runSimulation, type SimulationOptions } from '../../scripts/simulate.js';
import { findFreePort, REPO_ROOT, startOffline, tailOf, type OfflineProcess } from '../../scripts/stack/offline.js';
import {
  connectDatabase,
  createTestDatabase,
  createTopics,
  deleteTopics,
  dropTestDatabase,
  pollUntil,
  stackEnv,
} from '../helpers/stack.js';

const runId = newRunId();
const ownTopicSupported = /PAYMENT_EVENTS_TOPIC:\s*\$\{env:PAYMENT_EVENTS_TOPIC/.test(readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8'));
const topic = ownTopicSupported ? `payment-events-e2e-${runId}` : 'payment-events';
const deadLetterTopic = `${topic}.dlq`;
const consumerGroupId = `payment-processor-e2e-${runId}`;

/** How long processing may take from the last accepted webhook to the last ledger row. */
const SETTLE_TIMEOUT_MS = 90_000;
/** Per test: sending, then settling. */
const TEST_TIMEOUT_MS = SETTLE_TIMEOUT_MS + 60_000;

let offline: OfflineProcess;
let database: MysqlConfig;
let connection: mysql.Connection;
let ingestUrl: string;

async function ledgerEventIds(prefix: string): Promise<string[]> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT event_id FROM processed_events WHERE event_id LIKE ? ORDER BY event_id', [`${prefix}%`]);
  return rows.map((row) => row.event_id as string);
}

beforeAll(async () => {
  database = await createTestDatabase(`payments_e2e_${runId}`);
  connection = await connectDatabase(database);
  if (ownTopicSupported) {
    await createTopics([
      { topic, numPartitions: 3 },
      { topic: deadLetterTopic, numPartitions: 1 },
    ]);
  }

  const httpPort = await findFreePort();
  const lambdaPort = await findFreePort();
  offline = await startOffline({
    httpPort,
    lambdaPort,
    logFile: path.join(REPO_ROOT, '.stack', 'e2e', `offline-${runId}.log`),
    env: {
      ...stackEnv(),
      MYSQL_DATABASE: database.database,
      WEBHOOK_SECRETS_LEGACY: LOCAL_LEGACY_SECRET,
      ...(ownTopicSupported ? { PAYMENT_EVENTS_TOPIC: topic, DEAD_LETTER_TOPIC: deadLetterTopic } : {}),
      KAFKA_EVENT_SOURCE_OVERRIDES: JSON.stringify({
        processPayments: { topic, consumerGroupId, startingPosition: 'TRIM_HORIZON', ...(ownTopicSupported ? { deadLetterTopic } : {}) },
      }),
    },
  });
  ingestUrl = `${offline.baseUrl}/api/webhooks/payment-updates`;
}, 240_000);

afterAll(async () => {
  await offline?.stop();
  await connection?.end();
  if (database !== undefined) await dropTestDatabase(database);
  // NOTE: the consumer group stays on the broker. Deleting it right after stop fails while the
  // broker still counts the stopped consumer as a member (until its session times out).
  if (ownTopicSupported) await deleteTopics([topic, deadLetterTopic]);
}, 60_000);

describe('payment webhooks end to end', () => {
  it('stores every event once despite duplicate deliveries', async () => {
    const options: SimulationOptions = {
      count: 40,
      duplicates: 0.25,
      rate: 0,
      url: ingestUrl,
      secret: LOCAL_LEGACY_SECRET,
      concurrency: 8,
      maxRetries: 5,
      timeoutMs: 20_000,
      runId: `${runId}dup`,
      seed: 7,
      json: false,
    };

    const result = await runSimulation(options, { progress: false });

    expect(result.accepted, `offline log: ${offline.logFile}\n${tailOf(offline.logFile)}`).toBe(40);
    expect(result.uniqueEvents).toBe(30);
    expect(result.duplicatesSent).toBe(10);

    const prefix = `evt_sim_${options.runId}_`;
    const stored = await pollUntil(() => ledgerEventIds(prefix), (ids) => ids.length >= 30, SETTLE_TIMEOUT_MS);
    expect(stored.length, `offline log: ${offline.logFile}\n${tailOf(offline.logFile)}`).toBe(30);
    expect(new Set(stored)).toEqual(new Set(result.acceptedEventIds));

    // Each legacy event without paymentId or orderId is its own payment (payment id = event id).
    const [payments] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT payment_id, provider, status, amount, customer_id, applied_events FROM payments WHERE payment_id LIKE ? ORDER BY payment_id',
      [`${prefix}%`],
    );
    expect(payments).toHaveLength(30);
    expect(payments.filter((row) => Number(row.applied_events) !== 1).map((row) => row.payment_id)).toEqual([]);
    expect(new Set(payments.map((row) => row.provider))).toEqual(new Set(['legacy']));
    expect(new Set(payments.map((row) => row.status))).toEqual(new Set(['SUCCESS']));

    // Amounts and customers arrive unchanged: compare with the bodies the simulator sent.
    const sent = new Map(planRequests(options).map((request) => [request.eventId, JSON.parse(request.body) as { amount: number; customerId: string }]));
    for (const row of payments) {
      const body = sent.get(row.payment_id as string);
      expect(Number(row.amount).toFixed(2), `amount of ${row.payment_id}`).toBe(body?.amount.toFixed(2));
      expect(row.customer_id, `customer of ${row.payment_id}`).toBe(body?.customerId);
    }
  }, TEST_TIMEOUT_MS);

  it('rejects a bad signature with 401 and stores nothing', async () => {
    const badEventId = `evt_e2e_bad_${runId}`;
    const unsignedEventId = `evt_e2e_unsigned_${runId}`;
    const badBody = legacyBody(badEventId, 1000, 'cust_1');

    const badSignature = await fetch(ingestUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': signLegacy('not-the-secret', badBody) },
      body: badBody,
    });
    const unsigned = await fetch(ingestUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: legacyBody(unsignedEventId, 1000, 'cust_1'),
    });

    expect(badSignature.status).toBe(401);
    expect(unsigned.status).toBe(401);
    expect(badSignature.headers.get('content-type')).toMatch(/application\/json/);

    // A valid event sent after the rejected ones. Once it is stored, the pipeline is shown to be
    // processing, so the missing rows checked below are not just lag.
    const sentinelId = `evt_e2e_sentinel_${runId}`;
    const sentinelBody = legacyBody(sentinelId, 2500, 'cust_2');
    const sentinel = await fetch(ingestUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': signLegacy(LOCAL_LEGACY_SECRET, sentinelBody) },
      body: sentinelBody,
    });
    expect(sentinel.status).toBeGreaterThanOrEqual(200);
    expect(sentinel.status).toBeLessThan(300);
    const sentinelStored = await pollUntil(() => ledgerEventIds(sentinelId), (ids) => ids.length === 1, SETTLE_TIMEOUT_MS);
    expect(sentinelStored).toEqual([sentinelId]);

    expect(await ledgerEventIds(badEventId)).toEqual([]);
    expect(await ledgerEventIds(unsignedEventId)).toEqual([]);
    const [payments] = await connection.query<mysql.RowDataPacket[]>('SELECT payment_id FROM payments WHERE payment_id IN (?, ?)', [badEventId, unsignedEventId]);
    expect(payments).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
