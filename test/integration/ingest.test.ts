/**
 * The ingest handler against the real Kafka broker (KAFKA_BROKERS, default 127.0.0.1:9092).
 * Accepted webhooks of every provider are read back from the topic. More than 40 bad or
 * hostile requests are rejected with the right status and code, and none reaches the topic.
 * Uses its own topic `test-ingest-<random>`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKafkaConfig } from '../../lib/config.js';
import { loadIngestConfig } from '../../lib/ingest/config.js';
import { phonePeBody, signWebhook } from '../../lib/ingest/signing.js';
import { createKafka, ensureTopics, ReliableProducer } from '../../lib/kafka.js';
import { partitionKey, type PaymentEvent } from '../../lib/paymentEvent.js';
import { readTopic, type TopicRecord } from '../helpers/broker.js';
import { capturingLogger, webhookClient, type WebhookAnswer, type WebhookCall } from './ingestSupport.js';

const RUN = randomBytes(4).toString('hex');
const TOPIC = `test-ingest-${RUN}`;

const SECRETS = {
  legacyOld: 'legacy-old-secret-2b9a',
  legacy: 'legacy-secret-7c1e',
  standard: `whsec_${Buffer.from('standard-signing-key-0042-abcdef').toString('base64')}`,
  stripe: 'whsec_stripe_4d2f',
  github: 'github-secret-81aa',
  razorpay: 'razorpay-secret-5e6f',
  shopify: 'shopify-secret-90ab',
  phonepe: '1:phonepe-salt-33cd',
};

const ENV = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  PAYMENT_EVENTS_TOPIC: TOPIC,
  WEBHOOK_PROVIDERS: 'legacy,standard,stripe,github,razorpay,shopify,phonepe',
  WEBHOOK_SECRETS_LEGACY: `${SECRETS.legacyOld},${SECRETS.legacy}`,
  WEBHOOK_SECRETS_STANDARD: SECRETS.standard,
  WEBHOOK_SECRETS_STRIPE: SECRETS.stripe,
  WEBHOOK_SECRETS_GITHUB: SECRETS.github,
  WEBHOOK_SECRETS_RAZORPAY: SECRETS.razorpay,
  WEBHOOK_SECRETS_SHOPIFY: SECRETS.shopify,
  WEBHOOK_SECRETS_PHONEPE: SECRETS.phonepe,
};

const config = loadIngestConfig(ENV);
const kafka = createKafka(config.kafka);
const producer = new ReliableProducer(config.kafka);
const { logger, lines } = capturingLogger();
const post = webhookClient({ config, producer, logger });
const postLegacyOnly = webhookClient({
  config: loadIngestConfig({ ...ENV, WEBHOOK_PROVIDERS: 'legacy' }),
  producer,
  logger,
});

/** Event ids that got a 200 `accepted` response (not an ignored delivery), and every signature header value sent, for the checks at the end. */
const accepted = new Map<string, string>();
const sentSignatures: string[] = [];
let requestCount = 0;

async function send(call: WebhookCall, client = post): Promise<WebhookAnswer> {
  requestCount++;
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    if (/signature|hmac|verify/i.test(name) && value.length > 8) sentSignatures.push(value);
  }
  const answer = await client(call);
  if (answer.statusCode === 200 && answer.body.status === 'accepted') accepted.set(String(answer.body.eventId), call.provider);
  return answer;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const legacySignature = (body: string | Buffer, secret = SECRETS.legacy) => createHmac('sha256', secret).update(body).digest('base64');

function legacyBody(eventId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ eventId, eventType: 'PAYMENT_SUCCESS', amount: '10.00', customerId: 'cust_1', ...extra });
}

function legacyCall(body: string, headers: Record<string, string> = {}): WebhookCall {
  return { provider: 'legacy-path', body, headers: { 'X-Signature': legacySignature(body), ...headers } };
}

function genericBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ eventType: 'PAYMENT_SUCCESS', paymentId: `pay_${RUN}`, amount: '99.90', currency: 'EUR', ...extra });
}

beforeAll(async () => {
  await ensureTopics(kafka, [{ topic: TOPIC, numPartitions: 3 }]);
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
});

describe('ingest accepts signed webhooks', () => {
  it('accepts the old sender payload byte for byte', async () => {
    const eventId = `evt_NEW_004_${RUN}`;
    const body = `{\n  "eventId": "${eventId}",\n  "eventType": "PAYMENT_SUCCESS",\n  "amount": 500.00,\n  "customerId": "cust_vip_02"\n}`;
    const answer = await send(legacyCall(body));
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual({ status: 'accepted', eventId });
    expect(answer.headers['Content-Type']).toBe('application/json');
  });

  it('accepts a hex legacy signature with a JSON charset', async () => {
    const body = legacyBody(`evt_hex_${RUN}`);
    const signature = createHmac('sha256', SECRETS.legacy).update(body).digest('hex');
    const answer = await send({ provider: 'legacy-path', body, headers: { 'content-type': 'application/json; charset=utf-8', 'x-signature': signature } });
    expect(answer.statusCode).toBe(200);
  });

  it('accepts an upper-case hex legacy signature', async () => {
    const body = legacyBody(`evt_hex_upper_${RUN}`);
    const signature = createHmac('sha256', SECRETS.legacy).update(body).digest('hex').toUpperCase();
    expect((await send({ provider: 'legacy-path', body, headers: { 'X-Signature': signature } })).statusCode).toBe(200);
  });

  it('accepts a retry that spells the amount differently', async () => {
    const eventId = `evt_retry_amount_${RUN}`;
    const first = `{"eventId":"${eventId}","eventType":"PAYMENT_SUCCESS","amount":10.0,"customerId":"c"}`;
    const retry = `{"eventId":"${eventId}","eventType":"PAYMENT_SUCCESS","amount":"10.00","customerId":"c"}`;
    expect((await send(legacyCall(first))).statusCode).toBe(200);
    expect((await send(legacyCall(retry))).statusCode).toBe(200);
  });

  it('accepts the old secret and the new secret during rotation', async () => {
    const oldBody = legacyBody(`evt_rot_old_${RUN}`);
    const newBody = legacyBody(`evt_rot_new_${RUN}`);
    expect((await send({ provider: 'legacy-path', body: oldBody, headers: { 'X-Signature': legacySignature(oldBody, SECRETS.legacyOld) } })).statusCode).toBe(200);
    expect((await send({ provider: 'legacy-path', body: newBody, headers: { 'X-Signature': legacySignature(newBody, SECRETS.legacy) } })).statusCode).toBe(200);
  });

  it('accepts large and small amounts unchanged', async () => {
    const large = `{"eventId":"evt_large_${RUN}","eventType":"PAYMENT_SUCCESS","amount":12345678901234.56,"customerId":"c"}`;
    const small = `{"eventId":"evt_small_${RUN}","eventType":"PAYMENT_SUCCESS","amount":0.10,"currency":"USD","customerId":"c"}`;
    expect((await send(legacyCall(large))).statusCode).toBe(200);
    expect((await send(legacyCall(small))).statusCode).toBe(200);
  });

  it('accepts unicode names and symbols', async () => {
    const body = `{"eventId":"evt_uni_${RUN}","eventType":"PAYMENT_SUCCESS","amount":1.50,"customerId":"José Müller ₹ 🚀"}`;
    const answer = await send({ provider: 'legacy-path', body, headers: { 'Content-Type': 'application/json', 'X-Signature': legacySignature(Buffer.from(body, 'utf8')) } });
    expect(answer.statusCode).toBe(200);
  });

  it('accepts a base64-flagged body signed over the decoded bytes', async () => {
    const body = legacyBody(`evt_b64_${RUN}`, { customerId: 'Zoë ₹' });
    const answer = await send({ provider: 'legacy-path', body, base64: true, headers: { 'X-Signature': legacySignature(Buffer.from(body)) } });
    expect(answer.statusCode).toBe(200);
  });

  it('accepts legacy events on the provider path too', async () => {
    const body = legacyBody(`evt_legacy_path_${RUN}`);
    expect((await send({ provider: 'legacy', body, headers: { 'X-Signature': legacySignature(body) } })).statusCode).toBe(200);
  });

  it('accepts a mapping that is the same for the same body', async () => {
    const body = legacyBody(`evt_twice_${RUN}`, { occurredAt: '2024-03-01T15:45:30+05:30', orderId: `order_${RUN}` });
    expect((await send(legacyCall(body))).statusCode).toBe(200);
    expect((await send(legacyCall(body))).statusCode).toBe(200);
  });

  it('accepts standard webhooks with mixed-case headers', async () => {
    const eventId = `msg_std_${RUN}`;
    const body = genericBody({ orderId: `order_std_${RUN}` });
    const signed = signWebhook('standard', { secret: SECRETS.standard, body, eventId });
    const headers = { 'Webhook-Id': signed['webhook-id']!, 'WEBHOOK-TIMESTAMP': signed['webhook-timestamp']!, 'webhook-Signature': signed['webhook-signature']! };
    const answer = await send({ provider: 'standard', body, headers: { ...headers, 'Content-Type': 'application/webhook+json' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.body.eventId).toBe(eventId);
  });

  it('accepts a stripe payment_intent event', async () => {
    const body = JSON.stringify({
      id: `evt_stripe_${RUN}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: nowSeconds(),
      data: { object: { id: `pi_${RUN}`, object: 'payment_intent', amount: 50000, currency: 'inr', customer: 'cus_1', metadata: { order_id: `order_s_${RUN}` } } },
    });
    const answer = await send({ provider: 'stripe', body, headers: signWebhook('stripe', { secret: SECRETS.stripe, body }) });
    expect(answer.statusCode).toBe(200);
  });

  it('accepts a stripe header with a short v1 before the valid one', async () => {
    const timestamp = nowSeconds();
    const body = JSON.stringify({
      id: `evt_stripe_v1_${RUN}`,
      type: 'payment_intent.processing',
      created: timestamp,
      data: { object: { id: `pi_v1_${RUN}`, amount: 700, currency: 'usd' } },
    });
    const valid = createHmac('sha256', SECRETS.stripe).update(`${timestamp}.${body}`).digest('hex');
    const answer = await send({ provider: 'stripe', body, headers: { 'Stripe-Signature': `t=${timestamp},v1=deadbeef,v1=${valid}` } });
    expect(answer.statusCode).toBe(200);
  });

  it('accepts a stripe charge.succeeded event', async () => {
    const body = JSON.stringify({
      id: `evt_charge_${RUN}`,
      object: 'event',
      type: 'charge.succeeded',
      created: nowSeconds(),
      data: { object: { id: `ch_${RUN}`, object: 'charge', amount: 8165, currency: 'kwd', customer: 'cus_2', payment_intent: `pi_ch_${RUN}`, metadata: { order_id: `order_ch_${RUN}` } } },
    });
    const answer = await send({ provider: 'stripe', body, headers: signWebhook('stripe', { secret: SECRETS.stripe, body }) });
    expect(answer.statusCode).toBe(200);
  });

  it('accepts a github-signed generic payment', async () => {
    const body = genericBody();
    const headers = signWebhook('github', { secret: SECRETS.github, body, eventId: `gh_${RUN}` });
    expect((await send({ provider: 'github', body, headers })).statusCode).toBe(200);
  });

  it('accepts a stripe charge.refunded event', async () => {
    const body = JSON.stringify({
      id: `evt_refund_${RUN}`,
      object: 'event',
      type: 'charge.refunded',
      created: nowSeconds(),
      data: { object: { id: `ch_rf_${RUN}`, object: 'charge', amount: 50000, amount_refunded: 10000, currency: 'inr', payment_intent: `pi_rf_${RUN}` } },
    });
    const answer = await send({ provider: 'stripe', body, headers: signWebhook('stripe', { secret: SECRETS.stripe, body }) });
    expect(answer.statusCode).toBe(200);
  });

  it('ignores a signed github ping', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, hook: { type: 'Repository', id: 1, events: ['push'] } });
    const headers = { ...signWebhook('github', { secret: SECRETS.github, body, eventId: `ping_${RUN}` }), 'X-GitHub-Event': 'ping' };
    const answer = await send({ provider: 'github', body, headers });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual({ status: 'ignored', reason: 'ping' });
  });

  it('rejects a github ping with a bad signature', async () => {
    const body = JSON.stringify({ zen: 'Approachable is better than simple.', hook_id: 1, hook: {} });
    const headers = { ...signWebhook('github', { secret: 'guessed', body, eventId: `ping_bad_${RUN}` }), 'X-GitHub-Event': 'ping' };
    const answer = await send({ provider: 'github', body, headers });
    expect(answer.statusCode).toBe(401);
    expect(answer.body.error).toBe('invalid_signature');
  });

  it('accepts a razorpay payment.captured event', async () => {
    const body = JSON.stringify({
      entity: 'event',
      event: 'payment.captured',
      contains: ['payment'],
      created_at: nowSeconds(),
      payload: { payment: { entity: { id: `pay_rzp_${RUN}`, amount: 10, currency: 'INR', order_id: `order_rzp_${RUN}` } } },
    });
    const headers = signWebhook('razorpay', { secret: SECRETS.razorpay, body, eventId: `rzp_${RUN}` });
    expect((await send({ provider: 'razorpay', body, headers })).statusCode).toBe(200);
  });

  it('accepts a shopify-signed generic payment', async () => {
    const body = genericBody({ currency: 'JPY', amount: 1500 });
    const headers = signWebhook('shopify', { secret: SECRETS.shopify, body, eventId: `shop_${RUN}` });
    expect((await send({ provider: 'shopify', body, headers })).statusCode).toBe(200);
  });

  it('accepts a phonepe callback', async () => {
    const { body } = phonePeBody({ success: true, code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: `MT${RUN}`, transactionId: 'T1', amount: 12345 } });
    const headers = signWebhook('phonepe', { secret: SECRETS.phonepe, body });
    const answer = await send({ provider: 'phonepe', body, headers });
    expect(answer.statusCode).toBe(200);
    expect(answer.body.eventId).toBe(`MT${RUN}:PAYMENT_SUCCESS`);
  });
});

interface HostileCase {
  name: string;
  call: () => WebhookCall;
  status: number;
  code: string;
  /** The exact message, or a pattern it must match, when the case checks the wording. */
  message?: string | RegExp;
  legacyOnly?: boolean;
}

const hostileId = (n: number) => `hostile_${n}_${RUN}`;
const signedLegacy = (body: string | Buffer, extra: Record<string, string> = {}): WebhookCall => ({
  provider: 'legacy-path',
  body,
  headers: { 'X-Signature': legacySignature(body), ...extra },
});
const stripeEvent = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: hostileId(n),
    type: 'payment_intent.succeeded',
    created: 1,
    data: { object: { id: 'pi_h', amount: 100, currency: 'usd', ...extra } },
  });
const stripeHeader = (body: string, timestamp: number) =>
  `t=${timestamp},v1=${createHmac('sha256', SECRETS.stripe).update(`${timestamp}.${body}`).digest('hex')}`;
const standardHeaders = (body: string, id: string, timestamp: number) => signWebhook('standard', { secret: SECRETS.standard, body, eventId: id, timestampSeconds: timestamp });

const HOSTILE: HostileCase[] = [
  { name: 'missing X-Signature', call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(1)) }), status: 401, code: 'missing_signature' },
  { name: 'empty X-Signature', call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(2)), headers: { 'X-Signature': '' } }), status: 401, code: 'missing_signature' },
  {
    name: 'signature with a wrong secret',
    call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(3)), headers: { 'X-Signature': legacySignature(legacyBody(hostileId(3)), 'guessed') } }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'signature of another body',
    call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(4)), headers: { 'X-Signature': legacySignature(legacyBody('other')) } }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'truncated signature',
    call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(5)), headers: { 'X-Signature': legacySignature(legacyBody(hostileId(5))).slice(0, 30) } }),
    status: 401,
    code: 'invalid_signature',
  },
  { name: 'garbage signature', call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(6)), headers: { 'X-Signature': 'not-a-signature' } }), status: 401, code: 'invalid_signature' },
  {
    name: 'whitespace appended after signing',
    call: () => ({ provider: 'legacy-path', body: `${legacyBody(hostileId(7))} `, headers: { 'X-Signature': legacySignature(legacyBody(hostileId(7))) } }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'whitespace inserted after signing',
    call: () => ({
      provider: 'legacy-path',
      body: legacyBody(hostileId(8)).replace(':', ': '),
      headers: { 'X-Signature': legacySignature(legacyBody(hostileId(8))) },
    }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'mixed-case header with a wrong signature',
    call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(9)), headers: { 'x-SIGNATURE': legacySignature('x') } }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'stripe scheme on the legacy path',
    call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(10)), headers: { 'Stripe-Signature': stripeHeader(legacyBody(hostileId(10)), nowSeconds()) } }),
    status: 401,
    code: 'missing_signature',
  },
  {
    name: 'github scheme on the legacy path',
    call: () => ({ provider: 'legacy-path', body: legacyBody(hostileId(11)), headers: signWebhook('github', { secret: SECRETS.legacy, body: legacyBody(hostileId(11)) }) }),
    status: 401,
    code: 'missing_signature',
  },
  {
    name: 'legacy scheme on the stripe path',
    call: () => ({ provider: 'stripe', body: stripeEvent(12), headers: { 'X-Signature': legacySignature(stripeEvent(12), SECRETS.stripe) } }),
    status: 401,
    code: 'missing_signature',
  },
  {
    name: 'stripe timestamp older than the tolerance',
    call: () => ({ provider: 'stripe', body: stripeEvent(13), headers: { 'Stripe-Signature': stripeHeader(stripeEvent(13), nowSeconds() - 301) } }),
    status: 401,
    code: 'timestamp_outside_tolerance',
  },
  {
    name: 'stripe timestamp in the future',
    call: () => ({ provider: 'stripe', body: stripeEvent(14), headers: { 'Stripe-Signature': stripeHeader(stripeEvent(14), nowSeconds() + 301) } }),
    status: 401,
    code: 'timestamp_outside_tolerance',
  },
  {
    name: 'stripe header without a timestamp',
    call: () => ({ provider: 'stripe', body: stripeEvent(15), headers: { 'Stripe-Signature': stripeHeader(stripeEvent(15), nowSeconds()).replace(/^t=\d+,/, '') } }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'standard timestamp older than the tolerance',
    call: () => ({ provider: 'standard', body: genericBody(), headers: standardHeaders(genericBody(), hostileId(16), nowSeconds() - 400) }),
    status: 401,
    code: 'timestamp_outside_tolerance',
  },
  {
    name: 'standard timestamp in the future',
    call: () => ({ provider: 'standard', body: genericBody(), headers: standardHeaders(genericBody(), hostileId(17), nowSeconds() + 400) }),
    status: 401,
    code: 'timestamp_outside_tolerance',
  },
  {
    name: 'standard without webhook-id',
    call: () => {
      const { 'webhook-id': _id, ...headers } = standardHeaders(genericBody(), hostileId(18), nowSeconds());
      return { provider: 'standard', body: genericBody(), headers };
    },
    status: 401,
    code: 'missing_signature',
    message: 'Missing header webhook-id; send it with the message id that the signature covers.',
  },
  {
    name: 'standard with a swapped webhook-id',
    call: () => ({ provider: 'standard', body: genericBody(), headers: { ...standardHeaders(genericBody(), hostileId(19), nowSeconds()), 'webhook-id': 'msg_swapped' } }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'github signature without the sha256= prefix',
    call: () => ({
      provider: 'github',
      body: genericBody(),
      headers: { 'X-Hub-Signature-256': createHmac('sha256', SECRETS.github).update(genericBody()).digest('hex'), 'X-GitHub-Delivery': hostileId(20) },
    }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'razorpay signature in base64',
    call: () => ({
      provider: 'razorpay',
      body: genericBody(),
      headers: { 'X-Razorpay-Signature': createHmac('sha256', SECRETS.razorpay).update(genericBody()).digest('base64'), 'X-Razorpay-Event-Id': hostileId(21) },
    }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'shopify signature in hex',
    call: () => ({
      provider: 'shopify',
      body: genericBody(),
      headers: { 'X-Shopify-Hmac-Sha256': createHmac('sha256', SECRETS.shopify).update(genericBody()).digest('hex'), 'X-Shopify-Webhook-Id': hostileId(22) },
    }),
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'phonepe unknown salt index',
    call: () => {
      const { body, responseBase64 } = phonePeBody({ code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: hostileId(23), amount: 100 } });
      return { provider: 'phonepe', body, headers: { 'X-VERIFY': `${createHash('sha256').update(responseBase64 + 'phonepe-salt-33cd').digest('hex')}###9` } };
    },
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'phonepe response changed after signing',
    call: () => {
      const signed = phonePeBody({ code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: hostileId(24), amount: 100 } });
      const changed = phonePeBody({ code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: hostileId(24), amount: 999999 } });
      return { provider: 'phonepe', body: changed.body, headers: signWebhook('phonepe', { secret: SECRETS.phonepe, body: signed.body }) };
    },
    status: 401,
    code: 'invalid_signature',
  },
  { name: 'empty body', call: () => signedLegacy(''), status: 400, code: 'invalid_json' },
  { name: 'null body', call: () => signedLegacy('null'), status: 400, code: 'invalid_body' },
  { name: 'array body', call: () => signedLegacy('[]'), status: 400, code: 'invalid_body' },
  { name: 'string body', call: () => signedLegacy('"evt"'), status: 400, code: 'invalid_body' },
  { name: 'number body', call: () => signedLegacy('42'), status: 400, code: 'invalid_body' },
  {
    name: 'form-encoded content type',
    call: () => signedLegacy(`eventId=${hostileId(30)}&amount=10`, { 'Content-Type': 'application/x-www-form-urlencoded' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'form-encoded body without content type', call: () => signedLegacy(`eventId=${hostileId(31)}&amount=10`), status: 400, code: 'invalid_json' },
  { name: 'truncated JSON', call: () => signedLegacy(legacyBody(hostileId(32)).slice(0, 40)), status: 400, code: 'invalid_json' },
  { name: 'text/plain content type', call: () => signedLegacy(legacyBody(hostileId(33)), { 'content-type': 'text/plain' }), status: 415, code: 'unsupported_media_type' },
  {
    name: 'non-UTF-8 charset',
    call: () => signedLegacy(legacyBody(hostileId(34)), { 'Content-Type': 'application/json; charset=iso-8859-1' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'oversize body', call: () => signedLegacy(legacyBody(hostileId(35), { padding: 'x'.repeat(300 * 1024) })), status: 413, code: 'payload_too_large' },
  {
    name: 'oversize base64-flagged body',
    call: () => ({ ...signedLegacy(legacyBody(hostileId(36), { padding: 'x'.repeat(300 * 1024) })), base64: true }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'base64-flagged body that is not base64',
    call: () => ({ provider: 'legacy-path', rawBase64Body: '%%%not-base64%%%', headers: { 'X-Signature': legacySignature('%%%not-base64%%%') } }),
    status: 400,
    code: 'invalid_encoding',
  },
  {
    name: 'base64-flagged body signed over its base64 text',
    call: () => {
      const body = legacyBody(hostileId(38));
      return { provider: 'legacy-path', body, base64: true, headers: { 'X-Signature': legacySignature(Buffer.from(body).toString('base64')) } };
    },
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'invalid UTF-8 bytes',
    call: () => {
      const bytes = Buffer.concat([Buffer.from(`{"eventId":"${hostileId(39)}","customerId":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      return { ...signedLegacy(bytes), base64: true };
    },
    status: 400,
    code: 'invalid_encoding',
  },
  { name: 'amount as boolean', call: () => signedLegacy(legacyBody(hostileId(40), { amount: true })), status: 400, code: 'invalid_field' },
  {
    name: 'unpaired surrogate escape',
    call: () => signedLegacy(`{"eventId":"${hostileId(60)}","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c\\ud800"}`),
    status: 400,
    code: 'invalid_json',
    message: /^The request body is not valid JSON at position \d+: unpaired surrogate escape \\uD800; /,
  },
  {
    name: 'NUL in eventId',
    call: () => signedLegacy(`{"eventId":"${hostileId(61)}\\u0000","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}`),
    status: 400,
    code: 'invalid_field',
    message: /^Field eventId contains the control character U\+0000 at index \d+; /,
  },
  {
    name: 'control character in X-GitHub-Delivery',
    call: () => {
      const body = genericBody();
      return { provider: 'github', body, headers: { ...signWebhook('github', { secret: SECRETS.github, body }), 'X-GitHub-Delivery': `${hostileId(62)}\u0001` } };
    },
    status: 400,
    code: 'invalid_field',
    message: /^Header X-GitHub-Delivery contains the control character U\+0001 /,
  },
  {
    name: 'occurredAt in year 9999',
    call: () => signedLegacy(legacyBody(hostileId(63), { occurredAt: '9999-12-31T23:59:59Z' })),
    status: 400,
    code: 'invalid_field',
    message: /^Field occurredAt is 9999-12-31T23:59:59\.000Z, more than 24 hours after the webhook was received /,
  },
  {
    name: 'stripe header whose only v1 is short',
    call: () => {
      const body = stripeEvent(64);
      return { provider: 'stripe', body, headers: { 'Stripe-Signature': `t=${nowSeconds()},v1=deadbeef` } };
    },
    status: 401,
    code: 'invalid_signature',
  },
  {
    name: 'too many decimals for the currency',
    call: () => signedLegacy(legacyBody(hostileId(65), { amount: '10.001' })),
    status: 400,
    code: 'invalid_field',
    message: 'Field amount has 3 digits after the decimal point, but INR allows at most 2; send the amount in INR with at most 2 decimal places.',
  },
  { name: 'negative amount', call: () => signedLegacy(`{"eventId":"${hostileId(41)}","eventType":"PAYMENT_SUCCESS","amount":-5.00,"customerId":"c"}`), status: 400, code: 'invalid_field' },
  { name: 'zero amount', call: () => signedLegacy(legacyBody(hostileId(42), { amount: '0.00' })), status: 400, code: 'invalid_field' },
  { name: 'more decimals than INR allows', call: () => signedLegacy(`{"eventId":"${hostileId(43)}","eventType":"PAYMENT_SUCCESS","amount":1.005,"customerId":"c"}`), status: 400, code: 'invalid_field' },
  { name: 'more than 18 integer digits', call: () => signedLegacy(legacyBody(hostileId(44), { amount: '1234567890123456789.00' })), status: 400, code: 'invalid_field' },
  { name: 'unknown event type', call: () => signedLegacy(legacyBody(hostileId(45), { eventType: 'PAYMENT_TELEPORTED' })), status: 400, code: 'invalid_field' },
  { name: 'missing eventId', call: () => signedLegacy('{"eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}'), status: 400, code: 'missing_field' },
  { name: 'eventId of the wrong type', call: () => signedLegacy('{"eventId":46,"eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}'), status: 400, code: 'invalid_field' },
  { name: 'unknown currency', call: () => signedLegacy(legacyBody(hostileId(47), { currency: 'XXY' })), status: 400, code: 'invalid_field' },
  { name: 'duplicate keys', call: () => signedLegacy(`{"eventId":"${hostileId(48)}","eventId":"evt_other","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}`), status: 400, code: 'invalid_json' },
  { name: 'deep nesting', call: () => signedLegacy(`{"eventId":"${hostileId(49)}","x":${'['.repeat(100)}${']'.repeat(100)}}`), status: 400, code: 'invalid_json' },
  { name: 'NaN amount', call: () => signedLegacy(`{"eventId":"${hostileId(50)}","eventType":"PAYMENT_SUCCESS","amount":NaN,"customerId":"c"}`), status: 400, code: 'invalid_json' },
  { name: 'byte order mark', call: () => signedLegacy(`\ufeff${legacyBody(hostileId(51))}`), status: 400, code: 'invalid_json' },
  { name: 'unknown provider', call: () => ({ provider: 'paypal', body: legacyBody(hostileId(52)), headers: {} }), status: 404, code: 'unknown_provider' },
  {
    name: 'provider that is not enabled',
    call: () => ({ provider: 'stripe', body: stripeEvent(53), headers: { 'Stripe-Signature': stripeHeader(stripeEvent(53), nowSeconds()) } }),
    status: 404,
    code: 'unknown_provider',
    legacyOnly: true,
  },
  {
    name: 'razorpay without the event id header',
    call: () => {
      const body = JSON.stringify({ event: 'payment.captured', payload: { payment: { entity: { id: 'p', amount: 1, currency: 'INR' } } } });
      return { provider: 'razorpay', body, headers: { 'X-Razorpay-Signature': createHmac('sha256', SECRETS.razorpay).update(body).digest('hex') } };
    },
    status: 400,
    code: 'missing_field',
  },
  { name: 'stripe amount as a string', call: () => {
      const body = stripeEvent(55, { amount: '100' });
      return { provider: 'stripe', body, headers: { 'Stripe-Signature': stripeHeader(body, nowSeconds()) } };
    }, status: 400, code: 'invalid_field' },
  {
    name: 'phonepe response that is not base64',
    call: () => {
      const body = JSON.stringify({ response: 'not base64!' });
      return { provider: 'phonepe', body, headers: { 'X-VERIFY': `${createHash('sha256').update('not base64!phonepe-salt-33cd').digest('hex')}###1` } };
    },
    status: 400,
    code: 'invalid_encoding',
  },
];

describe('ingest rejects bad and hostile requests', () => {
  it('has at least 40 cases', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(HOSTILE)('$name -> $status $code', async (testCase) => {
    const answer = await send(testCase.call(), testCase.legacyOnly === true ? postLegacyOnly : post);

    expect(answer.statusCode).toBe(testCase.status);
    expect(answer.body.error).toBe(testCase.code);
    expect(typeof answer.body.message).toBe('string');
    expect(String(answer.body.message).length).toBeGreaterThan(10);
    if (typeof testCase.message === 'string') expect(answer.body.message).toBe(testCase.message);
    if (testCase.message instanceof RegExp) expect(answer.body.message).toMatch(testCase.message);
  });
});

describe('topic contents after all requests', () => {
  let records: TopicRecord[] = [];
  let events: PaymentEvent[] = [];

  beforeAll(async () => {
    records = await readTopic(kafka, TOPIC);
    events = records.map((record) => JSON.parse(record.value ?? 'null') as PaymentEvent);
  });

  it('contains every accepted event', () => {
    const inTopic = new Set(events.map((event) => event.eventId));
    const missing = [...accepted.keys()].filter((eventId) => !inTopic.has(eventId));
    expect(missing).toEqual([]);
    expect(accepted.size).toBe(21);
  });

  it('contains nothing from a github ping', () => {
    expect(events.filter((event) => event.eventId.startsWith('ping_'))).toEqual([]);
    expect(records.filter((record) => record.headers['event-id']?.startsWith('ping_'))).toEqual([]);
  });

  it('stores a stripe charge.refunded with the refunded amount', () => {
    expect(events.find((event) => event.eventId === `evt_refund_${RUN}`)).toMatchObject({ status: 'REFUNDED', paymentId: `pi_rf_${RUN}`, amount: '100.00', currency: 'INR' });
  });

  it('logs the github ping with outcome ignored', () => {
    const ignored = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record.outcome === 'ignored');
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatchObject({ message: 'Webhook request ignored', provider: 'github', reason: 'ping', statusCode: 200 });
  });

  it('contains nothing from a rejected request', () => {
    const unexpected = events.filter((event) => !accepted.has(event.eventId)).map((event) => event.eventId);
    expect(unexpected).toEqual([]);
    expect(events.some((event) => event.eventId.startsWith('hostile_'))).toBe(false);
  });

  it('stores the legacy payload with the exact amount and default currency', () => {
    const event = events.find((candidate) => candidate.eventId === `evt_NEW_004_${RUN}`);
    expect(event).toMatchObject({
      schemaVersion: 1,
      provider: 'legacy',
      eventType: 'PAYMENT_SUCCESS',
      status: 'SUCCESS',
      paymentId: `evt_NEW_004_${RUN}`,
      amount: '500.00',
      currency: 'INR',
      customerId: 'cust_vip_02',
      orderId: null,
      occurredAt: null,
    });
  });

  it('stores both spellings of a retried amount as one form', () => {
    const retried = events.filter((event) => event.eventId === `evt_retry_amount_${RUN}`).map(({ receivedAt: _receivedAt, ...rest }) => rest);
    expect(retried).toHaveLength(2);
    expect(retried[0]?.amount).toBe('10.00');
    expect(retried[1]).toEqual(retried[0]);
  });

  it('stores a stripe charge under its payment intent', () => {
    expect(events.find((event) => event.eventId === `evt_charge_${RUN}`)).toMatchObject({
      eventType: 'charge.succeeded',
      status: 'SUCCESS',
      paymentId: `pi_ch_${RUN}`,
      amount: '8.165',
      currency: 'KWD',
      orderId: `order_ch_${RUN}`,
    });
  });

  it('stores large and small amounts unchanged', () => {
    expect(events.find((event) => event.eventId === `evt_large_${RUN}`)?.amount).toBe('12345678901234.56');
    expect(events.find((event) => event.eventId === `evt_small_${RUN}`)?.amount).toBe('0.10');
  });

  it('stores unicode byte for byte', () => {
    expect(events.find((event) => event.eventId === `evt_uni_${RUN}`)?.customerId).toBe('José Müller ₹ 🚀');
    expect(events.find((event) => event.eventId === `evt_b64_${RUN}`)?.customerId).toBe('Zoë ₹');
  });

  it('stores provider amounts converted from minor units', () => {
    expect(events.find((event) => event.eventId === `evt_stripe_${RUN}`)).toMatchObject({ amount: '500.00', currency: 'INR', orderId: `order_s_${RUN}` });
    expect(events.find((event) => event.eventId === `rzp_${RUN}`)).toMatchObject({ amount: '0.10', paymentId: `pay_rzp_${RUN}` });
    expect(events.find((event) => event.eventId === `MT${RUN}:PAYMENT_SUCCESS`)).toMatchObject({ amount: '123.45', provider: 'phonepe' });
    expect(events.find((event) => event.eventId === `shop_${RUN}`)).toMatchObject({ amount: '1500', currency: 'JPY' });
  });

  it('writes key and headers for every record', () => {
    for (const [index, record] of records.entries()) {
      const event = events[index]!;
      expect(record.key).toBe(partitionKey(event));
      expect(record.headers.provider).toBe(event.provider);
      expect(record.headers['event-id']).toBe(event.eventId);
      expect(record.headers['received-at']).toBe(event.receivedAt);
      expect(record.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('maps the same body to the same fields apart from receivedAt', () => {
    const twice = events.filter((event) => event.eventId === `evt_twice_${RUN}`).map(({ receivedAt: _receivedAt, ...rest }) => rest);
    expect(twice).toHaveLength(2);
    expect(twice[0]).toEqual(twice[1]);
    expect(twice[0]?.occurredAt).toBe('2024-03-01T10:15:30.000Z');
  });

  it('logs one line per request without secrets or signatures', () => {
    const requestLines = lines.filter((line) => line.includes('"Webhook request'));
    expect(requestLines).toHaveLength(requestCount);
    for (const line of requestLines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(record.requestId).toBeTypeOf('string');
      expect(record.latencyMs).toBeTypeOf('number');
      expect(record.outcome).toBeTypeOf('string');
    }
    const secretValues = [...Object.values(SECRETS), 'phonepe-salt-33cd'];
    const leaked = lines.filter((line) => secretValues.some((secret) => line.includes(secret)) || sentSignatures.some((signature) => line.includes(signature)));
    expect(leaked).toEqual([]);
  });
});

// Guards against a broker address typo silently pointing every test at nothing.
it('uses the configured broker', () => {
  expect(config.kafka.brokers).toEqual(loadKafkaConfig({ KAFKA_BROKERS: ENV.KAFKA_BROKERS }).brokers);
});
