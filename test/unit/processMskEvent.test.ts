import { describe, expect, it } from 'vitest';
import type { PaymentEvent } from '../../lib/paymentEvent.js';
import { buildMskEvent, paymentEventRecord } from '../../lib/processing/mskEventBuilder.js';
import { decodeMskEvent, flattenMskEvent, InvalidBatchEventError } from '../../lib/processing/mskEvent.js';
import { validatePaymentEvent } from '../../lib/processing/validatePaymentEvent.js';
import { hashPaymentEvent } from '../../lib/processing/eventHash.js';
import { buildDeadLetterMessage } from '../../lib/processing/deadLetter.js';

function paymentEvent(overrides: Partial<PaymentEvent> = {}): PaymentEvent {
  return {
    schemaVersion: 1,
    eventId: 'evt_1',
    provider: 'stripe',
    eventType: 'payment_intent.succeeded',
    status: 'SUCCESS',
    paymentId: 'pi_1',
    amount: '500.00',
    currency: 'USD',
    customerId: 'cus_1',
    orderId: 'ord_1',
    occurredAt: '2024-05-01T12:00:00.000Z',
    receivedAt: '2024-05-01T12:00:01.000Z',
    ...overrides,
  };
}

describe('flattenMskEvent', () => {
  it('orders records by offset within each partition', () => {
    const event = buildMskEvent([
      { topic: 't', partition: 1, offset: 7, value: 'a' },
      { topic: 't', partition: 0, offset: 5, value: 'b' },
      { topic: 't', partition: 1, offset: 3, value: 'c' },
      { topic: 't', partition: 0, offset: 4, value: 'd' },
    ]);
    const records = flattenMskEvent(event);
    const partitionOne = records.filter((record) => record.coordinates.partition === 1).map((record) => record.coordinates.offset);
    const partitionZero = records.filter((record) => record.coordinates.partition === 0).map((record) => record.coordinates.offset);
    expect(partitionOne).toEqual([3, 7]);
    expect(partitionZero).toEqual([4, 5]);
    expect(records[0]?.partitionKey).toBe('t-1');
  });

  it('decodes key and headers to bytes', () => {
    const event = buildMskEvent([{ topic: 't', partition: 0, offset: 1, key: 'stripe:order:1', value: 'x', headers: { provider: 'stripe' } }]);
    const [record] = flattenMskEvent(event);
    expect(record?.key?.toString('utf8')).toBe('stripe:order:1');
    expect(record?.headers).toHaveLength(1);
    expect(record?.headers[0]?.[0]).toBe('provider');
    expect(record?.headers[0]?.[1].toString('utf8')).toBe('stripe');
  });

  it('keeps a missing key as null', () => {
    const [record] = flattenMskEvent(buildMskEvent([{ topic: 't', partition: 0, offset: 1, key: null, value: 'x' }]));
    expect(record?.key).toBeNull();
  });

  it('rejects an event without records', () => {
    expect(() => flattenMskEvent({} as never)).toThrow(InvalidBatchEventError);
  });
});

describe('decodeMskEvent', () => {
  it('decodes a valid payment event and hashes it', () => {
    const event = paymentEvent();
    const [decoded] = decodeMskEvent(buildMskEvent([paymentEventRecord('t', 0, 1, event)]));
    expect(decoded?.kind).toBe('event');
    if (decoded?.kind !== 'event') return;
    expect(decoded.event).toEqual(event);
    expect(decoded.hash).toBe(hashPaymentEvent(event));
  });

  it.each([
    ['tombstone', { value: null }, 'missing-value'],
    ['not base64', { rawValue: '***not base64***' }, 'invalid-base64'],
    ['not UTF-8', { value: Buffer.from([0xff, 0xfe, 0x7b]) }, 'invalid-utf8'],
    ['not JSON', { value: '{"eventId": ' }, 'invalid-json'],
    ['schema mismatch', { value: JSON.stringify({ eventId: 'x' }) }, 'invalid-schema'],
  ])('classifies a %s value', (_name, input, reason) => {
    const [decoded] = decodeMskEvent(buildMskEvent([{ topic: 't', partition: 0, offset: 1, ...input }]));
    expect(decoded?.kind).toBe('invalid');
    if (decoded?.kind !== 'invalid') return;
    expect(decoded.reason).toBe(reason);
  });
});

describe('validatePaymentEvent', () => {
  it('accepts exact decimal amounts as strings', () => {
    for (const amount of ['12345678901234.56', '0.10', '8.165', '100']) {
      expect(validatePaymentEvent(paymentEvent({ amount })).amount).toBe(amount);
    }
  });

  it.each([
    ['amount as a number', { amount: 500 }, 'amount'],
    ['amount with exponent', { amount: '5e2' }, 'amount'],
    ['negative amount', { amount: '-1.00' }, 'amount'],
    ['five fraction digits', { amount: '1.00001' }, 'amount'],
    ['lower-case currency', { currency: 'usd' }, 'currency'],
    ['unknown status', { status: 'DONE' }, 'status'],
    ['unknown provider', { provider: 'paypal' }, 'provider'],
    ['empty event id', { eventId: ' ' }, 'eventId'],
    ['long payment id', { paymentId: 'p'.repeat(256) }, 'paymentId'],
    ['local time', { occurredAt: '2024-05-01T12:00:00' }, 'occurredAt'],
    ['impossible date', { occurredAt: '2024-02-30T12:00:00.000Z' }, 'occurredAt'],
    ['missing receivedAt', { receivedAt: undefined }, 'receivedAt'],
    ['wrong schema version', { schemaVersion: 2 }, 'schemaVersion'],
    ['unknown field', { extra: true }, 'extra'],
  ])('rejects %s', (_name, overrides, field) => {
    const value: Record<string, unknown> = { ...paymentEvent(), ...overrides };
    for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
    expect(() => validatePaymentEvent(value)).toThrow(expect.objectContaining({ field }));
  });

  it('accepts null occurredAt, customerId and orderId', () => {
    const event = validatePaymentEvent(paymentEvent({ occurredAt: null, customerId: null, orderId: null }));
    expect(event.occurredAt).toBeNull();
    expect(event.customerId).toBeNull();
  });
});

describe('hashPaymentEvent', () => {
  it('ignores receivedAt', () => {
    expect(hashPaymentEvent(paymentEvent({ receivedAt: '2030-01-01T00:00:00.000Z' }))).toBe(hashPaymentEvent(paymentEvent()));
  });

  it('changes with the amount', () => {
    expect(hashPaymentEvent(paymentEvent({ amount: '500.01' }))).not.toBe(hashPaymentEvent(paymentEvent()));
  });
});

describe('buildDeadLetterMessage', () => {
  it('keeps the original key, value and headers and adds the dlq headers', () => {
    const [record] = flattenMskEvent(buildMskEvent([{ topic: 't', partition: 2, offset: 9, key: 'k', value: 'not json', headers: { provider: 'stripe' } }]));
    if (record === undefined) throw new Error('no record');
    const message = buildDeadLetterMessage({ record, reason: 'invalid-json', message: 'bad' }, new Date('2024-01-01T00:00:00.000Z'));
    expect(message.key?.toString()).toBe('k');
    expect(message.value?.toString()).toBe('not json');
    expect(message.headers?.provider?.toString()).toBe('stripe');
    expect(message.headers?.['dlq-reason']).toBe('invalid-json');
    expect(message.headers?.['dlq-source-topic']).toBe('t');
    expect(message.headers?.['dlq-source-partition']).toBe('2');
    expect(message.headers?.['dlq-source-offset']).toBe('9');
    expect(message.headers?.['dlq-failed-at']).toBe('2024-01-01T00:00:00.000Z');
  });
});
