/**
 * Regenerates the sample events in events/ for `sls invoke local` and the invoke-local test:
 *
 *   npx tsx scripts/make-events.ts
 *
 * Every value is fixed (ids, timestamps, request ids), so running it again writes identical
 * files. API Gateway events for `ingest` are signed with the documented local legacy secret
 * (WEBHOOK_SECRETS_LEGACY=local-webhook-secret): header X-Signature is
 * base64(HMAC-SHA256(secret, raw body bytes)), computed by lib/ingest/signing.ts, the same code
 * the receiver verifies with. MSK events for `processPayments` carry record values written by
 * serializePaymentEvent(), encoded by the same event builder the local Kafka event source uses.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { signLegacy } from '../lib/ingest/signing.js';
import { HEADER, PAYMENT_EVENT_SCHEMA_VERSION, partitionKey, serializePaymentEvent, type PaymentEvent } from '../lib/paymentEvent.js';
import { buildKafkaEvent, toEventRecord, type KafkaEventRecord, type SourceRecord } from '../local/kafka-event-source/src/event.js';

/** The documented local secret of the legacy scheme; never a real one. */
export const LOCAL_LEGACY_SECRET = 'local-webhook-secret';
const LEGACY_PATH = '/api/webhooks/payment-updates';
const MSK_ARN = 'arn:aws:kafka:eu-west-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1';
const BROKERS = ['127.0.0.1:9092'];
const TOPIC = 'payment-events';
const REQUEST_TIME = Date.parse('2026-01-15T10:00:00.000Z');

const EVENTS_DIR = resolve(import.meta.dirname, '..', 'events');

// ---------------------------------------------------------------------------------------------
// API Gateway (REST, proxy integration) events for `ingest`

interface ProxyEventOptions {
  body: Buffer;
  headers: Record<string, string>;
  base64?: boolean;
  path?: string;
  resource?: string;
  pathParameters?: Record<string, string> | null;
  requestId: string;
  realistic?: boolean;
}

function proxyEvent(options: ProxyEventOptions): Record<string, unknown> {
  const path = options.path ?? LEGACY_PATH;
  const resource = options.resource ?? LEGACY_PATH;
  const body = options.base64 ? options.body.toString('base64') : options.body.toString('utf8');

  if (!options.realistic) {
    return {
      resource,
      path,
      httpMethod: 'POST',
      headers: options.headers,
      pathParameters: options.pathParameters ?? null,
      requestContext: { requestId: options.requestId, stage: 'local', httpMethod: 'POST', path, resourcePath: resource },
      body,
      isBase64Encoded: options.base64 ?? false,
    };
  }

  return {
    resource,
    path,
    httpMethod: 'POST',
    headers: options.headers,
    multiValueHeaders: Object.fromEntries(Object.entries(options.headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      resourceId: 'local',
      resourcePath: resource,
      httpMethod: 'POST',
      path: `/local${path}`,
      stage: 'local',
      protocol: 'HTTP/1.1',
      requestId: options.requestId,
      requestTime: '15/Jan/2026:10:00:00 +0000',
      requestTimeEpoch: REQUEST_TIME,
      identity: { sourceIp: '203.0.113.10', userAgent: options.headers['User-Agent'] ?? null },
    },
    body,
    isBase64Encoded: options.base64 ?? false,
  };
}

/** The old Spring Boot sender's payload, pretty-printed as that sender writes it. */
const legacyPayload = {
  eventId: 'evt_NEW_004',
  eventType: 'PAYMENT_SUCCESS',
  amount: 500.0,
  customerId: 'cust_vip_02',
};

/** JSON.stringify drops the ".00"; the legacy sender writes the amount with two decimals. */
function prettyLegacyBody(payload: Record<string, unknown>): Buffer {
  const text = JSON.stringify(payload, null, 2).replace(/"amount": (\d+)(,?)$/m, '"amount": $1.00$2');
  return Buffer.from(text);
}

function ingestEvents(): Record<string, unknown> {
  const realisticBody = prettyLegacyBody(legacyPayload);
  const minimalBody = Buffer.from(JSON.stringify({ eventId: 'evt_MIN_001', eventType: 'PAYMENT_PENDING', amount: '12.50', customerId: 'cust_01' }));
  const base64Body = Buffer.from(JSON.stringify({ eventId: 'evt_B64_001', eventType: 'PAYMENT_AUTHORIZED', amount: '99.99', customerId: 'cust_ü_03', orderId: 'ord_b64_1' }));
  const lowerCaseBody = Buffer.from(JSON.stringify({ eventId: 'evt_LOW_001', eventType: 'PAYMENT_FAILED', amount: 75.25, customerId: 'cust_04' }));
  const providerPathBody = prettyLegacyBody({ eventId: 'evt_PATH_001', eventType: 'PAYMENT_REFUNDED', amount: 500.0, customerId: 'cust_vip_02', orderId: 'ord_1001' });

  return {
    'ingest-minimal.json': proxyEvent({
      body: minimalBody,
      headers: { 'Content-Type': 'application/json', 'X-Signature': signLegacy(LOCAL_LEGACY_SECRET, minimalBody) },
      requestId: 'req-ingest-minimal',
    }),
    'ingest-payment-updates.json': proxyEvent({
      body: realisticBody,
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        Host: 'localhost:3000',
        'User-Agent': 'Apache-HttpClient/4.5.14 (Java/17.0.9)',
        'X-Forwarded-For': '203.0.113.10',
        'X-Signature': signLegacy(LOCAL_LEGACY_SECRET, realisticBody),
      },
      requestId: 'req-ingest-payment-updates',
      realistic: true,
    }),
    'ingest-base64-body.json': proxyEvent({
      body: base64Body,
      base64: true,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Signature': signLegacy(LOCAL_LEGACY_SECRET, base64Body) },
      requestId: 'req-ingest-base64-body',
    }),
    'ingest-lowercase-header.json': proxyEvent({
      body: lowerCaseBody,
      headers: { 'content-type': 'application/json', 'x-signature': signLegacy(LOCAL_LEGACY_SECRET, lowerCaseBody) },
      requestId: 'req-ingest-lowercase-header',
    }),
    'ingest-provider-path.json': proxyEvent({
      body: providerPathBody,
      path: '/api/webhooks/legacy',
      resource: '/api/webhooks/{provider}',
      pathParameters: { provider: 'legacy' },
      headers: { 'Content-Type': 'application/json', 'X-Signature': signLegacy(LOCAL_LEGACY_SECRET, providerPathBody) },
      requestId: 'req-ingest-provider-path',
      realistic: true,
    }),
    'ingest-bad-signature.json': proxyEvent({
      body: realisticBody,
      headers: { 'Content-Type': 'application/json', 'X-Signature': signLegacy('not-the-local-secret', realisticBody) },
      requestId: 'req-ingest-bad-signature',
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// MSK events for `processPayments`

function paymentEvent(overrides: Partial<PaymentEvent> & Pick<PaymentEvent, 'eventId'>): PaymentEvent {
  return {
    schemaVersion: PAYMENT_EVENT_SCHEMA_VERSION,
    provider: 'legacy',
    eventType: 'PAYMENT_SUCCESS',
    status: 'SUCCESS',
    paymentId: overrides.eventId,
    amount: '500.00',
    currency: 'INR',
    customerId: 'cust_vip_02',
    orderId: null,
    occurredAt: null,
    receivedAt: '2026-01-15T10:00:00.000Z',
    ...overrides,
  };
}

interface RecordOptions {
  partition: number;
  offset: number;
  event?: PaymentEvent;
  withKey?: boolean;
  withHeaders?: boolean;
  tombstoneKey?: string;
}

function mskRecord(options: RecordOptions): KafkaEventRecord {
  const { event } = options;
  const headers: SourceRecord['headers'] = [];
  if (event !== undefined && options.withHeaders) {
    headers.push(
      [HEADER.provider, Buffer.from(event.provider)],
      [HEADER.eventId, Buffer.from(event.eventId)],
      [HEADER.receivedAt, Buffer.from(event.receivedAt)],
      [HEADER.requestId, Buffer.from(`req-${event.eventId}`)],
      [HEADER.schemaVersion, Buffer.from(String(event.schemaVersion))],
    );
  }

  let key: Buffer | null = null;
  if (options.tombstoneKey !== undefined) key = Buffer.from(options.tombstoneKey);
  else if (event !== undefined && options.withKey !== false) key = Buffer.from(partitionKey(event));

  return toEventRecord({
    topic: TOPIC,
    partition: options.partition,
    offset: String(options.offset),
    timestamp: String(REQUEST_TIME + options.offset),
    timestampType: 'CREATE_TIME',
    key,
    value: event === undefined ? null : Buffer.from(serializePaymentEvent(event)),
    headers,
  });
}

function mskEvent(records: KafkaEventRecord[]) {
  return buildKafkaEvent({ kind: 'msk', eventSourceArn: MSK_ARN, bootstrapServers: BROKERS }, records);
}

function processPaymentsEvents(): Record<string, unknown> {
  const created = paymentEvent({ eventId: 'evt_SAMPLE_001', eventType: 'PAYMENT_CREATED', status: 'CREATED', paymentId: 'pay_1001', orderId: 'ord_1001', amount: '1250.00', customerId: 'cust_01', occurredAt: '2026-01-15T09:59:58.000Z' });
  const succeeded = paymentEvent({ eventId: 'evt_SAMPLE_002', eventType: 'PAYMENT_SUCCESS', status: 'SUCCESS', paymentId: 'pay_1001', orderId: 'ord_1001', amount: '1250.00', customerId: 'cust_01', occurredAt: '2026-01-15T09:59:59.500Z' });
  const vip = paymentEvent({ eventId: 'evt_NEW_004', paymentId: 'evt_NEW_004' });
  const refund = paymentEvent({ eventId: 'evt_SAMPLE_003', eventType: 'PAYMENT_REFUNDED', status: 'REFUNDED', paymentId: 'pay_2002', orderId: 'ord_2002', amount: '12345678901234.56', currency: 'USD', customerId: 'cust_02' });

  return {
    'process-payments-minimal.json': mskEvent([mskRecord({ partition: 0, offset: 0, event: paymentEvent({ eventId: 'evt_MIN_101', paymentId: 'pay_min_101' }) })]),
    // Two partitions; evt_SAMPLE_002 is delivered twice, as after a retried produce.
    'process-payments.json': mskEvent([
      mskRecord({ partition: 0, offset: 41, event: created, withHeaders: true }),
      mskRecord({ partition: 0, offset: 42, event: succeeded, withHeaders: true }),
      mskRecord({ partition: 0, offset: 43, event: succeeded, withHeaders: true }),
      mskRecord({ partition: 1, offset: 17, event: vip, withHeaders: true }),
      mskRecord({ partition: 1, offset: 18, event: refund, withHeaders: true }),
    ]),
    'process-payments-null-key.json': mskEvent([
      mskRecord({ partition: 2, offset: 5, event: paymentEvent({ eventId: 'evt_NOKEY_001', paymentId: 'pay_nokey_1', customerId: null }), withKey: false }),
    ]),
    'process-payments-headers.json': mskEvent([
      mskRecord({ partition: 0, offset: 7, event: paymentEvent({ eventId: 'evt_HDR_001', paymentId: 'pay_hdr_1', eventType: 'PAYMENT_AUTHORIZED', status: 'AUTHORIZED' }), withHeaders: true }),
    ]),
    // A tombstone (key, no value) next to a normal record: the processor must skip or dead-letter it and go on.
    'process-payments-tombstone.json': mskEvent([
      mskRecord({ partition: 0, offset: 9, tombstoneKey: 'legacy:order:ord_tomb_1' }),
      mskRecord({ partition: 0, offset: 10, event: paymentEvent({ eventId: 'evt_TOMB_002', paymentId: 'pay_tomb_2', orderId: 'ord_tomb_1' }) }),
    ]),
  };
}

async function main(): Promise<void> {
  const files = { ...ingestEvents(), ...processPaymentsEvents() };
  for (const [name, event] of Object.entries(files)) {
    await writeFile(resolve(EVENTS_DIR, name), `${JSON.stringify(event, null, 2)}\n`);
  }
  process.stdout.write(`Wrote ${Object.keys(files).length} sample events to ${EVENTS_DIR}\n`);
}

await main();
