import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMskEvent, paymentEventRecord, type RecordInput } from '../../lib/processing/mskEventBuilder.js';
import { LeaseHeldError } from '../../lib/processing/errors.js';
import { createKafka } from '../../lib/kafka.js';
import {
  countRows,
  createProcessTestEnvironment,
  deleteRedisPrefix,
  ledgerOutcomes,
  makeEvent,
  readDeadLetters,
  readPayment,
  type ProcessTestEnvironment,
} from './processHelpers.js';

let env: ProcessTestEnvironment;
let nextOffset = 0;

beforeAll(async () => {
  env = await createProcessTestEnvironment('main');
});

afterAll(async () => {
  await env?.close();
});

function record(event: Parameters<typeof paymentEventRecord>[3], partition = 0): RecordInput {
  return paymentEventRecord(env.topic, partition, nextOffset++, event);
}

const context = { requestId: 'test', remainingTimeMs: 30_000 };

describe('processPayments batch processor', () => {
  it('applies an event repeated in and across batches once', async () => {
    const processor = env.createProcessor();
    const event = makeEvent();

    const first = await processor.process(buildMskEvent([record(event), record(event), record(event)]), context);
    const second = await processor.process(buildMskEvent([record(event)]), context);

    expect(first.summary.applied).toBe(1);
    expect(first.summary.duplicates).toBe(2);
    expect(second.summary.applied).toBe(0);
    expect(second.summary.duplicates).toBe(1);
    expect(await countRows(env.knex, 'processed_events', 'event_id = ?', [event.eventId])).toBe(1);
    expect((await readPayment(env.knex, event.provider, event.paymentId))?.applied_events).toBe(1);
  });

  it('keeps SUCCESS when a later PENDING follows it', async () => {
    const processor = env.createProcessor();
    const success = makeEvent({ status: 'SUCCESS', occurredAt: '2024-05-01T12:00:01.000Z' });
    const pending = makeEvent({
      status: 'PENDING',
      paymentId: success.paymentId,
      orderId: success.orderId,
      occurredAt: '2024-05-01T12:00:02.000Z',
    });

    const result = await processor.process(buildMskEvent([record(success), record(pending)]), context);
    const row = await readPayment(env.knex, success.provider, success.paymentId);

    expect(result.summary.applied).toBe(1);
    expect(result.summary.stale).toBe(1);
    expect(row?.status).toBe('SUCCESS');
    expect(row?.last_event_id).toBe(success.eventId);
    expect(row?.applied_events).toBe(1);
    expect(await ledgerOutcomes(env.knex, [success.eventId, pending.eventId])).toEqual({
      [success.eventId]: 'applied',
      [pending.eventId]: 'stale',
    });
  });

  it('keeps SUCCESS when PENDING arrives in a later batch', async () => {
    const processor = env.createProcessor();
    const success = makeEvent({ status: 'SUCCESS', occurredAt: '2024-05-01T12:00:01.000Z' });
    const pending = makeEvent({ status: 'PENDING', paymentId: success.paymentId, occurredAt: '2024-05-01T12:00:05.000Z' });

    await processor.process(buildMskEvent([record(success)]), context);
    const later = await processor.process(buildMskEvent([record(pending)]), context);

    expect(later.summary.stale).toBe(1);
    expect((await readPayment(env.knex, success.provider, success.paymentId))?.status).toBe('SUCCESS');
  });

  it('does not apply an event older than the stored one', async () => {
    const processor = env.createProcessor();
    const newer = makeEvent({ status: 'FAILED', occurredAt: '2024-05-01T12:00:09.000Z' });
    const older = makeEvent({ status: 'SUCCESS', paymentId: newer.paymentId, occurredAt: '2024-05-01T12:00:01.000Z' });

    await processor.process(buildMskEvent([record(newer)]), context);
    await processor.process(buildMskEvent([record(older)]), context);
    const row = await readPayment(env.knex, newer.provider, newer.paymentId);

    expect(row?.status).toBe('FAILED');
    expect(row?.applied_events).toBe(1);
  });

  it('orders by receivedAt when occurredAt is null', async () => {
    const processor = env.createProcessor();
    const early = makeEvent({ status: 'PENDING', occurredAt: null, receivedAt: '2024-05-01T12:00:01.000Z' });
    const late = makeEvent({ status: 'PENDING', paymentId: early.paymentId, occurredAt: null, receivedAt: '2024-05-01T12:00:02.000Z', amount: '7.00' });

    await processor.process(buildMskEvent([record(late), record(early)]), context);
    const row = await readPayment(env.knex, early.provider, early.paymentId);

    expect(row?.last_event_id).toBe(late.eventId);
    expect(row?.effective_at).toBe('2024-05-01 12:00:02.000');
  });

  it('applies SUCCESS after a legacy FAILED without occurredAt', async () => {
    const processor = env.createProcessor();
    const failed = makeEvent({ status: 'FAILED', eventType: 'PAYMENT_FAILED', occurredAt: null, receivedAt: '2024-05-01T12:00:02.000Z' });
    const success = makeEvent({
      status: 'SUCCESS',
      eventType: 'PAYMENT_SUCCESS',
      paymentId: failed.paymentId,
      occurredAt: '2024-05-01T12:00:00.000Z',
      receivedAt: '2024-05-01T12:00:30.000Z',
    });

    await processor.process(buildMskEvent([record(failed)]), context);
    const later = await processor.process(buildMskEvent([record(success)]), context);
    const row = await readPayment(env.knex, success.provider, success.paymentId);

    expect(later.summary.applied).toBe(1);
    expect(later.summary.stale).toBe(0);
    expect(row?.status).toBe('SUCCESS');
    expect(row?.last_event_id).toBe(success.eventId);
    expect(row?.applied_events).toBe(2);
    expect(row?.effective_at).toBe('2024-05-01 12:00:00.000');
    expect(await ledgerOutcomes(env.knex, [failed.eventId, success.eventId])).toEqual({
      [failed.eventId]: 'applied',
      [success.eventId]: 'applied',
    });
  });

  it('writes every step a mixed refund chain needs', async () => {
    const processor = env.createProcessor();
    const success = makeEvent({ status: 'SUCCESS', amount: '500.00', occurredAt: '2024-05-01T12:00:10.000Z', receivedAt: '2024-05-01T12:00:11.000Z' });
    const untimedRefund = makeEvent({
      status: 'REFUNDED',
      paymentId: success.paymentId,
      amount: '2.00',
      occurredAt: null,
      receivedAt: '2024-05-01T12:00:20.000Z',
    });
    const timedRefund = makeEvent({
      status: 'REFUNDED',
      paymentId: success.paymentId,
      amount: '3.00',
      occurredAt: '2024-05-01T12:00:05.000Z',
      receivedAt: '2024-05-01T12:00:21.000Z',
    });

    await processor.process(buildMskEvent([record(success)]), context);
    const later = await processor.process(buildMskEvent([record(untimedRefund), record(timedRefund)]), context);
    const row = await readPayment(env.knex, success.provider, success.paymentId);

    expect(later.summary.applied).toBe(2);
    expect(row?.status).toBe('REFUNDED');
    expect(row?.last_event_id).toBe(timedRefund.eventId);
    expect(row?.applied_events).toBe(3);
    expect(row?.amount).toBe('500.0000');
  });

  it('dead-letters a poison record between two good ones', async () => {
    const processor = env.createProcessor();
    const before = makeEvent();
    const after = makeEvent();
    const poisonOffset = nextOffset + 1;

    const result = await processor.process(
      buildMskEvent([
        record(before),
        { topic: env.topic, partition: 0, offset: nextOffset++, key: 'poison-key', value: '{"not": "a payment"', headers: { origin: 'test' } },
        record(after),
      ]),
      context,
    );
    const [deadLetter] = await readDeadLetters(env.deadLetterTopic, 1);

    expect(result.summary.applied).toBe(2);
    expect(result.summary.deadLettered).toBe(1);
    expect((await readPayment(env.knex, before.provider, before.paymentId))?.applied_events).toBe(1);
    expect((await readPayment(env.knex, after.provider, after.paymentId))?.applied_events).toBe(1);
    expect(deadLetter?.key).toBe('poison-key');
    expect(deadLetter?.value).toBe('{"not": "a payment"');
    expect(deadLetter?.headers.origin).toBe('test');
    expect(deadLetter?.headers['dlq-reason']).toBe('invalid-json');
    expect(deadLetter?.headers['dlq-error']).toContain('not JSON');
    expect(deadLetter?.headers['dlq-source-topic']).toBe(env.topic);
    expect(deadLetter?.headers['dlq-source-partition']).toBe('0');
    expect(deadLetter?.headers['dlq-source-offset']).toBe(String(poisonOffset));
    expect(deadLetter?.headers['dlq-failed-at']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('dead-letters conflicting duplicates and values MySQL rejects', async () => {
    const processor = env.createProcessor();
    const original = makeEvent();
    const conflicting = { ...original, amount: '999.00' };
    const tooLarge = makeEvent({ amount: '1234567890123456789.00' });
    const good = makeEvent();

    await processor.process(buildMskEvent([record(original)]), context);
    const result = await processor.process(buildMskEvent([record(conflicting), record(tooLarge), record(good)]), context);
    const deadLetters = await readDeadLetters(env.deadLetterTopic, 3);
    const reasons = deadLetters.slice(1).map((entry) => entry.headers['dlq-reason']).sort();

    expect(result.summary.applied).toBe(1);
    expect(result.summary.deadLettered).toBe(2);
    expect(reasons).toEqual(['conflicting-duplicate', 'rejected-by-database']);
    expect((await readPayment(env.knex, original.provider, original.paymentId))?.amount).toBe('500.0000');
    expect(await readPayment(env.knex, tooLarge.provider, tooLarge.paymentId)).toBeUndefined();
    expect(await countRows(env.knex, 'processed_events', 'event_id = ?', [tooLarge.eventId])).toBe(0);
    expect((await readPayment(env.knex, good.provider, good.paymentId))?.applied_events).toBe(1);
  });

  it('applies an event once after its Redis keys are deleted', async () => {
    const processor = env.createProcessor();
    const event = makeEvent();

    await processor.process(buildMskEvent([record(event)]), context);
    const deleted = await deleteRedisPrefix(env.redis, env.redisPrefix);
    const redelivered = await processor.process(buildMskEvent([record(event)]), context);

    expect(deleted).toBeGreaterThan(0);
    expect(redelivered.summary.applied).toBe(0);
    expect(redelivered.summary.duplicates).toBe(1);
    expect(await countRows(env.knex, 'processed_events', 'event_id = ?', [event.eventId])).toBe(1);
    expect((await readPayment(env.knex, event.provider, event.paymentId))?.applied_events).toBe(1);
    expect(await env.redis.hget(`${env.redisPrefix}idempotency:${event.eventId}`, 'status')).toBe('completed');
  });

  it('stores amounts exactly', async () => {
    const processor = env.createProcessor();
    const events = [
      makeEvent({ amount: '12345678901234.56', currency: 'USD' }),
      makeEvent({ amount: '0.10', currency: 'EUR' }),
      makeEvent({ amount: '8.165', currency: 'KWD' }),
    ];

    await processor.process(buildMskEvent(events.map((event) => record(event))), context);
    const stored = await Promise.all(events.map((event) => readPayment(env.knex, event.provider, event.paymentId)));
    const [equalities] = (await env.knex.raw(
      `SELECT SUM(amount = CAST(? AS DECIMAL(22,4)) OR amount = CAST(? AS DECIMAL(22,4)) OR amount = CAST(? AS DECIMAL(22,4))) AS exact
       FROM payments WHERE payment_id IN (?, ?, ?)`,
      ['12345678901234.56', '0.10', '8.165', ...events.map((event) => event.paymentId)],
    )) as [Array<{ exact: string }>];

    expect(stored.map((row) => row?.amount)).toEqual(['12345678901234.5600', '0.1000', '8.1650']);
    expect(stored.map((row) => row?.currency)).toEqual(['USD', 'EUR', 'KWD']);
    expect(Number(equalities[0]?.exact)).toBe(3);
  });

  it('defers an event leased by another invocation', async () => {
    const event = makeEvent();
    const key = `${env.redisPrefix}idempotency:${event.eventId}`;
    const processor = env.createProcessor();
    const partial = env.createProcessor({ config: { partialBatchResponse: true } });
    const offset = nextOffset;
    const { hashPaymentEvent } = await import('../../lib/processing/eventHash.js');
    await env.redis.hset(key, 'status', 'in_progress', 'hash', hashPaymentEvent(event), 'owner', 'another-invocation');
    await env.redis.pexpire(key, 60_000);

    await expect(processor.process(buildMskEvent([record(event)]), context)).rejects.toBeInstanceOf(LeaseHeldError);
    const reported = await partial.process(buildMskEvent([paymentEventRecord(env.topic, 1, offset, event)]), context);

    expect(reported.batchItemFailures).toEqual([{ partition: `${env.topic}-1`, offset }]);
    expect(await readPayment(env.knex, event.provider, event.paymentId)).toBeUndefined();
  });

  it('takes over an expired lease', async () => {
    const event = makeEvent();
    const key = `${env.redisPrefix}idempotency:${event.eventId}`;
    const { hashPaymentEvent } = await import('../../lib/processing/eventHash.js');
    await env.redis.hset(key, 'status', 'in_progress', 'hash', hashPaymentEvent(event), 'owner', 'crashed-invocation');
    await env.redis.pexpire(key, 200);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const result = await env.createProcessor().process(buildMskEvent([record(event)]), context);

    expect(result.summary.applied).toBe(1);
    expect((await readPayment(env.knex, event.provider, event.paymentId))?.applied_events).toBe(1);
  });
});

describe('processPayments status ranks', () => {
  it('keeps SUCCESS when a late FAILED arrives', async () => {
    const processor = env.createProcessor();
    const success = makeEvent({ status: 'SUCCESS', occurredAt: '2024-05-01T12:00:01.000Z' });
    const failed = makeEvent({ status: 'FAILED', paymentId: success.paymentId, occurredAt: '2024-05-01T12:00:05.000Z' });

    await processor.process(buildMskEvent([record(success)]), context);
    const later = await processor.process(buildMskEvent([record(failed)]), context);
    const row = await readPayment(env.knex, success.provider, success.paymentId);

    expect(later.summary.stale).toBe(1);
    expect(row?.status).toBe('SUCCESS');
    expect(row?.last_event_id).toBe(success.eventId);
  });

  it('keeps SUCCESS when FAILED follows it in one batch', async () => {
    const processor = env.createProcessor();
    const success = makeEvent({ status: 'SUCCESS', occurredAt: '2024-05-01T12:00:01.000Z' });
    const failed = makeEvent({ status: 'FAILED', paymentId: success.paymentId, occurredAt: '2024-05-01T12:00:05.000Z' });

    const result = await processor.process(buildMskEvent([record(success), record(failed)]), context);

    expect(result.summary.stale).toBe(1);
    expect((await readPayment(env.knex, success.provider, success.paymentId))?.status).toBe('SUCCESS');
  });

  it('applies SUCCESS after FAILED', async () => {
    const processor = env.createProcessor();
    const failed = makeEvent({ status: 'FAILED', occurredAt: '2024-05-01T12:00:01.000Z' });
    const success = makeEvent({ status: 'SUCCESS', paymentId: failed.paymentId, occurredAt: '2024-05-01T12:00:05.000Z' });

    await processor.process(buildMskEvent([record(failed)]), context);
    const later = await processor.process(buildMskEvent([record(success)]), context);
    const row = await readPayment(env.knex, failed.provider, failed.paymentId);

    expect(later.summary.applied).toBe(1);
    expect(row?.status).toBe('SUCCESS');
    expect(row?.applied_events).toBe(2);
  });
});

async function ledgerAmounts(eventIds: readonly string[]): Promise<Record<string, string>> {
  const [rows] = (await env.knex.raw(
    `SELECT event_id, amount, currency FROM processed_events WHERE event_id IN (${eventIds.map(() => '?').join(', ')})`,
    [...eventIds],
  )) as [Array<{ event_id: string; amount: string; currency: string }>];
  return Object.fromEntries(rows.map((row) => [row.event_id, `${row.amount} ${row.currency}`]));
}

describe('processPayments refunds', () => {
  function razorpay(status: 'AUTHORIZED' | 'SUCCESS' | 'REFUNDED', amount: string, occurredAt: string, paymentId?: string) {
    const eventType = { AUTHORIZED: 'payment.authorized', SUCCESS: 'payment.captured', REFUNDED: 'refund.processed' }[status];
    return makeEvent({ provider: 'razorpay', eventType, status, amount, currency: 'INR', occurredAt, ...(paymentId === undefined ? {} : { paymentId }) });
  }

  it('keeps the payment amount after a partial refund', async () => {
    const processor = env.createProcessor();
    const captured = razorpay('SUCCESS', '500.00', '2024-05-01T12:00:01.000Z');
    const refund = razorpay('REFUNDED', '1.00', '2024-05-01T12:00:05.000Z', captured.paymentId);

    await processor.process(buildMskEvent([record(captured)]), context);
    const later = await processor.process(buildMskEvent([record(refund)]), context);
    const row = await readPayment(env.knex, 'razorpay', captured.paymentId);

    expect(later.summary.applied).toBe(1);
    expect(row?.status).toBe('REFUNDED');
    expect(row?.amount).toBe('500.0000');
    expect(row?.currency).toBe('INR');
    expect(row?.last_event_id).toBe(refund.eventId);
    expect(await ledgerAmounts([captured.eventId, refund.eventId])).toEqual({
      [captured.eventId]: '500.0000 INR',
      [refund.eventId]: '1.0000 INR',
    });
  });

  it('keeps the payment amount when the refund is in the same batch', async () => {
    const processor = env.createProcessor();
    const captured = razorpay('SUCCESS', '500.00', '2024-05-01T12:00:01.000Z');
    const refund = razorpay('REFUNDED', '1.00', '2024-05-01T12:00:05.000Z', captured.paymentId);

    await processor.process(buildMskEvent([record(captured), record(refund)]), context);
    const row = await readPayment(env.knex, 'razorpay', captured.paymentId);

    expect(row?.status).toBe('REFUNDED');
    expect(row?.amount).toBe('500.0000');
    expect(row?.applied_events).toBe(2);
  });

  it('folds capture and refund onto a stored row', async () => {
    const processor = env.createProcessor();
    const authorized = razorpay('AUTHORIZED', '500.00', '2024-05-01T12:00:01.000Z');
    const captured = razorpay('SUCCESS', '450.00', '2024-05-01T12:00:02.000Z', authorized.paymentId);
    const refund = razorpay('REFUNDED', '1.00', '2024-05-01T12:00:05.000Z', authorized.paymentId);
    const secondRefund = razorpay('REFUNDED', '2.00', '2024-05-01T12:00:06.000Z', authorized.paymentId);

    await processor.process(buildMskEvent([record(authorized)]), context);
    const later = await processor.process(buildMskEvent([record(captured), record(refund), record(secondRefund)]), context);
    const row = await readPayment(env.knex, 'razorpay', authorized.paymentId);

    expect(later.summary.applied).toBe(3);
    expect(row?.status).toBe('REFUNDED');
    expect(row?.amount).toBe('450.0000');
    expect(row?.last_event_id).toBe(secondRefund.eventId);
    expect(row?.applied_events).toBe(4);
  });

  it('stores the refund amount when the refund comes first', async () => {
    const processor = env.createProcessor();
    const refund = razorpay('REFUNDED', '1.00', '2024-05-01T12:00:05.000Z');
    const captured = razorpay('SUCCESS', '500.00', '2024-05-01T12:00:01.000Z', refund.paymentId);

    await processor.process(buildMskEvent([record(refund)]), context);
    const later = await processor.process(buildMskEvent([record(captured)]), context);
    const row = await readPayment(env.knex, 'razorpay', refund.paymentId);

    expect(later.summary.stale).toBe(1);
    expect(row?.status).toBe('REFUNDED');
    expect(row?.amount).toBe('1.0000');
    expect(await ledgerAmounts([captured.eventId])).toEqual({ [captured.eventId]: '500.0000 INR' });
  });
});

describe('processPayments conflicting versions in one batch', () => {
  it('dead-letters only the conflicting version of an applied event', async () => {
    const processor = env.createProcessor();
    const applied = makeEvent({ amount: '10.00' });
    const conflicting = { ...applied, amount: '20.00' };
    const deadLettersBefore = await countDeadLetters();

    await processor.process(buildMskEvent([record(applied)]), context);
    const result = await processor.process(buildMskEvent([record(conflicting), record(applied), record(applied)]), context);

    expect(result.summary.deadLettered).toBe(1);
    expect(result.summary.duplicates).toBe(2);
    expect(await countDeadLetters()).toBe(deadLettersBefore + 1);
    expect((await readPayment(env.knex, applied.provider, applied.paymentId))?.amount).toBe('10.0000');
  });

  it('compares versions with the ledger when Redis lost the key', async () => {
    const processor = env.createProcessor();
    const applied = makeEvent({ amount: '10.00' });
    const conflicting = { ...applied, amount: '20.00' };

    await processor.process(buildMskEvent([record(applied)]), context);
    await env.redis.del(`${env.redisPrefix}idempotency:${applied.eventId}`);
    const result = await processor.process(buildMskEvent([record(conflicting), record(applied), record(applied)]), context);

    expect(result.summary.deadLettered).toBe(1);
    expect(result.summary.duplicates).toBe(2);
    expect(result.summary.applied).toBe(0);
    expect(await env.redis.hget(`${env.redisPrefix}idempotency:${applied.eventId}`, 'status')).toBe('completed');
  });

  it('applies the first of two new versions and dead-letters the second', async () => {
    const processor = env.createProcessor();
    const first = makeEvent({ amount: '10.00' });
    const second = { ...first, amount: '20.00' };

    const result = await processor.process(buildMskEvent([record(first), record(second), record(first)]), context);

    expect(result.summary.applied).toBe(1);
    expect(result.summary.duplicates).toBe(1);
    expect(result.summary.deadLettered).toBe(1);
    expect((await readPayment(env.knex, first.provider, first.paymentId))?.amount).toBe('10.0000');
  });
});

async function countDeadLetters(): Promise<number> {
  const admin = createKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(env.deadLetterTopic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  } finally {
    await admin.disconnect();
  }
}
