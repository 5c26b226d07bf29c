import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../lib/ingest/errors.js';
import { headerLookup } from '../../lib/ingest/http.js';
import { AmountError, minorToDecimalAmount, normalizeDecimalAmount } from '../../lib/ingest/money.js';
import { PROVIDER_DEFINITIONS, type MappedEvent } from '../../lib/ingest/providers/index.js';
import { optionalIsoTimestamp, parseJsonObject } from '../../lib/ingest/validation.js';
import type { Provider } from '../../lib/paymentEvent.js';

function map(provider: Provider, body: string, headers: Record<string, string> = {}): MappedEvent {
  const payload = parseJsonObject(Buffer.from(body, 'utf8'));
  return PROVIDER_DEFINITIONS[provider].map(payload, { header: headerLookup(headers), legacyDefaultCurrency: 'INR' });
}

function payloadError(action: () => unknown): InvalidPayloadError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidPayloadError) return error;
    throw error;
  }
  throw new Error('expected an InvalidPayloadError');
}

describe('normalizeDecimalAmount', () => {
  it.each([
    ['500.00', 'INR', true, '500.00'],
    ['12345678901234.56', 'INR', true, '12345678901234.56'],
    ['0.10', 'USD', true, '0.10'],
    ['500', 'INR', true, '500'],
    ['5.5E2', 'INR', true, '550'],
    ['1e-2', 'USD', true, '0.01'],
    ['1.250E1', 'KWD', true, '12.50'],
    ['0500.00', 'INR', false, '500.00'],
    ['1000', 'JPY', false, '1000'],
    ['1.234', 'KWD', false, '1.234'],
    ['123456789012345678.99', 'EUR', false, '123456789012345678.99'],
  ])('normalizes %s %s', (text, currency, fromJsonNumber, expected) => {
    expect(normalizeDecimalAmount(text, currency, fromJsonNumber)).toBe(expected);
  });

  it.each([
    ['0', 'INR', true, 'zero'],
    ['0.00', 'INR', false, 'zero'],
    ['-5.00', 'INR', true, 'negative'],
    ['1.001', 'INR', true, 'at most 2'],
    ['1.5', 'JPY', false, 'at most 0'],
    ['1.0001', 'KWD', false, 'at most 3'],
    ['1234567890123456789', 'INR', false, 'maximum is 18'],
    ['1e19', 'INR', true, 'maximum is 18'],
    ['1e999', 'INR', true, 'out of range'],
    ['+5', 'INR', false, 'not a decimal amount'],
    ['5,00', 'INR', false, 'not a decimal amount'],
    [' 5', 'INR', false, 'not a decimal amount'],
    ['1e2', 'INR', false, 'not a decimal amount'],
  ])('rejects %s %s', (text, currency, fromJsonNumber, reason) => {
    expect(() => normalizeDecimalAmount(text, currency, fromJsonNumber)).toThrow(AmountError);
    expect(() => normalizeDecimalAmount(text, currency, fromJsonNumber)).toThrow(reason);
  });
});

describe('minorToDecimalAmount', () => {
  it.each([
    ['50000', 'INR', '500.00'],
    ['1', 'USD', '0.01'],
    ['10', 'USD', '0.10'],
    ['1234567890123456', 'INR', '12345678901234.56'],
    ['500', 'JPY', '500'],
    ['1500', 'KWD', '1.500'],
  ])('converts %s %s', (minor, currency, expected) => {
    expect(minorToDecimalAmount(minor, currency)).toBe(expected);
  });

  it.each([['0'], ['-100'], ['1.5'], ['1e3']])('rejects %s', (minor) => {
    expect(() => minorToDecimalAmount(minor, 'INR')).toThrow(AmountError);
  });
});

describe('optionalIsoTimestamp', () => {
  const read = (value: unknown) => optionalIsoTimestamp(parseJsonObject(Buffer.from(JSON.stringify({ t: value }))), 't', 't');

  it.each([
    ['2024-03-01T10:15:30Z', '2024-03-01T10:15:30.000Z'],
    ['2024-03-01T10:15:30.123456789Z', '2024-03-01T10:15:30.123Z'],
    ['2024-03-01T15:45:30+05:30', '2024-03-01T10:15:30.000Z'],
    ['2024-03-01T05:15:30-0500', '2024-03-01T10:15:30.000Z'],
    ['2024-03-01T10:15:30', '2024-03-01T10:15:30.000Z'],
    ['2024-03-01 10:15', '2024-03-01T10:15:00.000Z'],
  ])('normalizes %s', (input, expected) => {
    expect(read(input)).toBe(expected);
  });

  it('returns null when absent', () => {
    expect(read(null)).toBeNull();
  });

  it.each([['2024-02-30T10:00:00Z'], ['2024-03-01'], ['yesterday'], [1700000000], ['2024-03-01T25:00:00Z']])('rejects %s', (input) => {
    expect(() => read(input)).toThrow(InvalidPayloadError);
  });
});

describe('legacy mapping', () => {
  const pretty = '{\n  "eventId": "evt_NEW_004",\n  "eventType": "PAYMENT_SUCCESS",\n  "amount": 500.00,\n  "customerId": "cust_vip_02"\n}';

  it('maps the old sender payload unchanged', () => {
    expect(map('legacy', pretty)).toEqual({
      eventId: 'evt_NEW_004',
      eventType: 'PAYMENT_SUCCESS',
      status: 'SUCCESS',
      paymentId: 'evt_NEW_004',
      amount: '500.00',
      currency: 'INR',
      customerId: 'cust_vip_02',
      orderId: null,
      occurredAt: null,
    });
  });

  it.each([
    ['PAYMENT_SUCCESS', 'SUCCESS'],
    ['PAYMENT_FAILED', 'FAILED'],
    ['PAYMENT_PENDING', 'PENDING'],
    ['PAYMENT_CREATED', 'CREATED'],
    ['PAYMENT_INITIATED', 'CREATED'],
    ['PAYMENT_AUTHORIZED', 'AUTHORIZED'],
    ['PAYMENT_CANCELLED', 'CANCELLED'],
    ['PAYMENT_REFUNDED', 'REFUNDED'],
    ['REFUND_SUCCESS', 'REFUNDED'],
  ])('maps %s to %s', (eventType, status) => {
    expect(map('legacy', JSON.stringify({ eventId: 'e', eventType, amount: '1.00', customerId: 'c' })).status).toBe(status);
  });

  it('rejects an unknown type naming the field and the allowed values', () => {
    const error = payloadError(() => map('legacy', '{"eventId":"e","eventType":"PAYMENT_LOST","amount":1,"customerId":"c"}'));
    expect(error.code).toBe('invalid_field');
    expect(error.field).toBe('eventType');
    expect(error.message).toContain('PAYMENT_SUCCESS, PAYMENT_FAILED');
  });

  it('uses orderId, then eventId, as the payment id', () => {
    expect(map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","orderId":"o"}').paymentId).toBe('o');
    expect(map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","orderId":"o","paymentId":"p"}').paymentId).toBe(
      'p',
    );
  });

  it('reads currency, amount string and timestamp', () => {
    const mapped = map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":"0.500","currency":"kwd","customerId":"c","timestamp":"2024-01-01T00:00:00Z"}');
    expect(mapped.currency).toBe('KWD');
    expect(mapped.amount).toBe('0.500');
    expect(mapped.occurredAt).toBe('2024-01-01T00:00:00.000Z');
  });

  it.each([
    ['missing eventId', '{"eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}', 'missing_field', 'eventId'],
    ['missing amount', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","customerId":"c"}', 'missing_field', 'amount'],
    ['amount as boolean', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":true,"customerId":"c"}', 'invalid_field', 'amount'],
    ['eventId as number', '{"eventId":7,"eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}', 'invalid_field', 'eventId'],
    ['unknown currency', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","currency":"XYZ"}', 'invalid_field', 'currency'],
    ['too many decimals', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1.001,"customerId":"c"}', 'invalid_field', 'amount'],
  ])('rejects %s', (_name, body, code, field) => {
    const error = payloadError(() => map('legacy', body));
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
  });
});

describe('generic mapping', () => {
  const body = '{"eventType":"PAYMENT_AUTHORIZED","paymentId":"pay_1","amount":"99.90","currency":"EUR","orderId":"o1","occurredAt":"2024-05-01T12:00:00+02:00"}';

  it.each([
    ['github', 'X-GitHub-Delivery'],
    ['shopify', 'X-Shopify-Webhook-Id'],
    ['standard', 'webhook-id'],
  ] as const)('%s takes the event id from %s', (provider, header) => {
    expect(map(provider, body, { [header.toLowerCase()]: 'delivery-1' })).toEqual({
      eventId: 'delivery-1',
      eventType: 'PAYMENT_AUTHORIZED',
      status: 'AUTHORIZED',
      paymentId: 'pay_1',
      amount: '99.90',
      currency: 'EUR',
      customerId: null,
      orderId: 'o1',
      occurredAt: '2024-05-01T10:00:00.000Z',
    });
  });

  it('rejects a delivery without the id header', () => {
    expect(payloadError(() => map('github', body)).field).toBe('X-GitHub-Delivery');
  });
});

describe('stripe mapping', () => {
  const event = (type: string, object: object) => JSON.stringify({ id: 'evt_1', object: 'event', type, created: 1700000000, data: { object } });

  it('maps payment_intent.succeeded with a minor-unit amount', () => {
    const mapped = map('stripe', event('payment_intent.succeeded', { id: 'pi_1', amount: 1234567890123456, currency: 'inr', customer: 'cus_1', metadata: { order_id: 'o1' } }));
    expect(mapped).toEqual({
      eventId: 'evt_1',
      eventType: 'payment_intent.succeeded',
      status: 'SUCCESS',
      paymentId: 'pi_1',
      amount: '12345678901234.56',
      currency: 'INR',
      customerId: 'cus_1',
      orderId: 'o1',
      occurredAt: '2023-11-14T22:13:20.000Z',
    });
  });

  it('maps charge.refunded to the payment intent', () => {
    const mapped = map('stripe', event('charge.refunded', { id: 'ch_1', payment_intent: 'pi_9', amount: 500, currency: 'jpy', customer: null }));
    expect(mapped.paymentId).toBe('pi_9');
    expect(mapped.amount).toBe('500');
    expect(mapped.status).toBe('REFUNDED');
  });

  it('rejects an amount with a fraction', () => {
    expect(payloadError(() => map('stripe', event('payment_intent.succeeded', { id: 'pi_1', amount: 10.5, currency: 'usd' }))).field).toBe(
      'data.object.amount',
    );
  });
});

describe('razorpay mapping', () => {
  const event = (name: string, payload: object) => JSON.stringify({ entity: 'event', event: name, contains: ['payment'], created_at: 1700000000, payload });

  it('maps payment.captured', () => {
    const mapped = map(
      'razorpay',
      event('payment.captured', { payment: { entity: { id: 'pay_1', amount: 50000, currency: 'INR', order_id: 'order_1', customer_id: 'cust_1' } } }),
      { 'x-razorpay-event-id': 'rzp_evt_1' },
    );
    expect(mapped).toEqual({
      eventId: 'rzp_evt_1',
      eventType: 'payment.captured',
      status: 'SUCCESS',
      paymentId: 'pay_1',
      amount: '500.00',
      currency: 'INR',
      customerId: 'cust_1',
      orderId: 'order_1',
      occurredAt: '2023-11-14T22:13:20.000Z',
    });
  });

  it('maps refund.processed to the refunded payment', () => {
    const mapped = map('razorpay', event('refund.processed', { refund: { entity: { id: 'rfnd_1', payment_id: 'pay_1', amount: 10, currency: 'INR' } } }), {
      'X-Razorpay-Event-Id': 'rzp_evt_2',
    });
    expect(mapped.paymentId).toBe('pay_1');
    expect(mapped.amount).toBe('0.10');
    expect(mapped.status).toBe('REFUNDED');
  });
});

describe('phonepe mapping', () => {
  it('maps a successful callback with a deterministic event id', () => {
    const body = JSON.stringify({ success: true, code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: 'MT1', transactionId: 'T1', amount: 10000 } });
    expect(map('phonepe', body)).toEqual({
      eventId: 'MT1:PAYMENT_SUCCESS',
      eventType: 'PAYMENT_SUCCESS',
      status: 'SUCCESS',
      paymentId: 'MT1',
      amount: '100.00',
      currency: 'INR',
      customerId: null,
      orderId: null,
      occurredAt: null,
    });
  });

  it('maps PAYMENT_ERROR to FAILED', () => {
    const body = JSON.stringify({ success: false, code: 'PAYMENT_ERROR', data: { merchantTransactionId: 'MT1', amount: 100 } });
    expect(map('phonepe', body).status).toBe('FAILED');
  });
});

describe('parseJsonObject', () => {
  it.each([
    ['empty body', '', 'invalid_json'],
    ['null', 'null', 'invalid_body'],
    ['array', '[]', 'invalid_body'],
    ['string', '"x"', 'invalid_body'],
    ['form encoding', 'eventId=evt_1&amount=5', 'invalid_json'],
  ])('rejects %s', (_name, body, code) => {
    expect(payloadError(() => parseJsonObject(Buffer.from(body))).code).toBe(code);
  });

  it('rejects invalid UTF-8', () => {
    expect(payloadError(() => parseJsonObject(Buffer.from([0x7b, 0xff, 0x7d]))).code).toBe('invalid_encoding');
  });
});
