import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../lib/ingest/errors.js';
import { headerLookup } from '../../lib/ingest/http.js';
import { AmountError, minorToDecimalAmount, normalizeDecimalAmount } from '../../lib/ingest/money.js';
import { isIgnoredDelivery, PROVIDER_DEFINITIONS, type MappedEvent, type MappingResult } from '../../lib/ingest/providers/index.js';
import { MAX_EVENT_TIME_AHEAD_MS, optionalIsoTimestamp, parseJsonObject } from '../../lib/ingest/validation.js';
import type { Provider } from '../../lib/paymentEvent.js';

/** The receive time every mapping in this file runs at: 2024-06-01T00:00:00.000Z. */
const NOW_MS = Date.UTC(2024, 5, 1);

function mapResult(provider: Provider, body: string, headers: Record<string, string> = {}, nowMs = NOW_MS): MappingResult {
  const payload = parseJsonObject(Buffer.from(body, 'utf8'));
  return PROVIDER_DEFINITIONS[provider].map(payload, { header: headerLookup(headers), legacyDefaultCurrency: 'INR', nowMs });
}

function map(provider: Provider, body: string, headers: Record<string, string> = {}, nowMs = NOW_MS): MappedEvent {
  const result = mapResult(provider, body, headers, nowMs);
  if (isIgnoredDelivery(result)) throw new Error(`expected a mapped event, got an ignored delivery (${result.reason})`);
  return result;
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
    ['10.0', 'INR', true, '10.00'],
    ['10.00', 'INR', false, '10.00'],
    ['10', 'USD', false, '10.00'],
    ['10', 'USD', true, '10.00'],
    ['500', 'INR', true, '500.00'],
    ['1e3', 'INR', true, '1000.00'],
    ['5.5E2', 'INR', true, '550.00'],
    ['1e-2', 'USD', true, '0.01'],
    ['1.250E1', 'KWD', true, '12.500'],
    ['8.165', 'KWD', true, '8.165'],
    ['8.1', 'KWD', false, '8.100'],
    ['500', 'JPY', true, '500'],
    ['500.00', 'JPY', true, '500'],
    ['500.0', 'JPY', false, '500'],
    ['1.5', 'CLF', false, '1.5000'],
    ['0500.00', 'INR', false, '500.00'],
    ['1000', 'JPY', false, '1000'],
    ['1.234', 'KWD', false, '1.234'],
    ['123456789012345678.99', 'EUR', false, '123456789012345678.99'],
  ])('normalizes %s %s', (text, currency, fromJsonNumber, expected) => {
    expect(normalizeDecimalAmount(text, currency, fromJsonNumber)).toBe(expected);
  });

  // Zeros beyond the currency's minor unit do not change the amount, so they are dropped.
  it.each([
    ['10.000', 'INR', false, '10.00'],
    ['10.000', 'INR', true, '10.00'],
    ['10.0000000', 'USD', false, '10.00'],
    ['8.1650', 'KWD', true, '8.165'],
    ['1.000000e2', 'INR', true, '100.00'],
  ])('drops zeros beyond the minor unit in %s %s', (text, currency, fromJsonNumber, expected) => {
    expect(normalizeDecimalAmount(text, currency, fromJsonNumber)).toBe(expected);
  });

  it('gives one form for every spelling of ten rupees', () => {
    const spellings: [string, boolean][] = [
      ['10', true],
      ['10.0', true],
      ['10.00', true],
      ['1e1', true],
      ['1.0E1', true],
      ['10', false],
      ['10.00', false],
      ['010.000', false],
    ];
    const forms = new Set(spellings.map(([text, fromJsonNumber]) => normalizeDecimalAmount(text, 'INR', fromJsonNumber)));
    expect([...forms]).toEqual(['10.00']);
  });

  it.each([
    ['0', 'INR', true, 'zero'],
    ['0.00', 'INR', false, 'zero'],
    ['-5.00', 'INR', true, 'negative'],
    ['1.001', 'INR', true, 'INR allows at most 2'],
    ['1.0010', 'INR', false, 'INR allows at most 2'],
    ['10.0001', 'INR', false, 'INR allows at most 2'],
    ['1.5', 'JPY', false, 'JPY allows none'],
    ['1.0001', 'KWD', false, 'KWD allows at most 3'],
    ['1e-3', 'USD', true, 'USD allows at most 2'],
    ['1234567890123456789', 'INR', false, 'at most 18 are accepted'],
    ['1e19', 'INR', true, 'at most 18 are accepted'],
    ['1e999', 'INR', true, 'out of range'],
    ['+5', 'INR', false, 'has the invalid value'],
    ['5,00', 'INR', false, 'has the invalid value'],
    [' 5', 'INR', false, 'has the invalid value'],
    ['1e2', 'INR', false, 'has the invalid value'],
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

describe('amount messages', () => {
  const legacy = (amount: string, currency = 'INR') => `{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":${amount},"currency":"${currency}","customerId":"c"}`;

  it('too many decimals names the field and the limit', () => {
    expect(payloadError(() => map('legacy', legacy('1.001'))).message).toBe(
      'Field amount has 3 digits after the decimal point, but INR allows at most 2; send the amount in INR with at most 2 decimal places.',
    );
  });

  it('one extra decimal uses the singular', () => {
    expect(payloadError(() => map('legacy', legacy('1.5', 'JPY'))).message).toBe(
      'Field amount has 1 digit after the decimal point, but JPY allows none; send the amount in JPY as a whole number.',
    );
  });

  it('zero and negative amounts read as sentences', () => {
    expect(payloadError(() => map('legacy', legacy('"0.00"'))).message).toBe('Field amount is zero; send a positive amount.');
    expect(payloadError(() => map('legacy', legacy('-5'))).message).toBe('Field amount is negative; send the amount as a positive number.');
  });

  it('unknown currency names the field and the value', () => {
    expect(payloadError(() => map('legacy', legacy('1', 'RUPEE'))).message).toBe(
      'Field currency has the unknown currency code "RUPEE"; use an ISO 4217 code such as INR, USD, EUR or JPY.',
    );
  });
});

describe('optionalIsoTimestamp', () => {
  const read = (value: unknown) => optionalIsoTimestamp(parseJsonObject(Buffer.from(JSON.stringify({ t: value }))), 't', 't', NOW_MS);

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
    expect(error.message).toBe(
      'Field eventType has the unsupported value "PAYMENT_LOST"; send one of PAYMENT_CREATED, PAYMENT_INITIATED, PAYMENT_PENDING, ' +
        'PAYMENT_AUTHORIZED, PAYMENT_SUCCESS, PAYMENT_FAILED, PAYMENT_CANCELLED, PAYMENT_REFUNDED, REFUND_SUCCESS.',
    );
  });

  it('uses orderId, then eventId, as the payment id', () => {
    expect(map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","orderId":"o"}').paymentId).toBe('o');
    expect(map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","orderId":"o","paymentId":"p"}').paymentId).toBe(
      'p',
    );
  });

  it('maps 10.0 and "10.00" to the same amount', () => {
    const asNumber = map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":10.0,"customerId":"c"}');
    const asString = map('legacy', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":"10.00","customerId":"c"}');
    expect(asNumber.amount).toBe('10.00');
    expect(asString).toEqual(asNumber);
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
    ['NUL in eventId', '{"eventId":"evt\\u0000","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}', 'invalid_field', 'eventId'],
    ['line feed in customerId', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c\\n1"}', 'invalid_field', 'customerId'],
    ['DEL in orderId', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","orderId":"o\\u007f"}', 'invalid_field', 'orderId'],
    ['tab in paymentId', '{"eventId":"e","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c","paymentId":"\\tp"}', 'invalid_field', 'paymentId'],
    ['unit separator in eventId', '{"eventId":"e\\u001f","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}', 'invalid_field', 'eventId'],
  ])('rejects %s', (_name, body, code, field) => {
    const error = payloadError(() => map('legacy', body));
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
  });
});

describe('id control characters', () => {
  it('message names the field, the character and its index', () => {
    const error = payloadError(() => map('legacy', '{"eventId":"ev\\u0000t","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"c"}'));
    expect(error.message).toBe('Field eventId contains the control character U+0000 at index 2; send the value without control characters.');
  });

  it('accepts characters just outside the control ranges', () => {
    const mapped = map('legacy', '{"eventId":"e \\u0080 ~","eventType":"PAYMENT_SUCCESS","amount":1,"customerId":"José ₹"}');
    expect(mapped.eventId).toBe('e \u0080 ~');
  });

  it.each([
    ['github', 'X-GitHub-Delivery'],
    ['shopify', 'X-Shopify-Webhook-Id'],
    ['standard', 'webhook-id'],
  ] as const)('%s rejects a control character in %s', (provider, header) => {
    const body = '{"eventType":"PAYMENT_SUCCESS","paymentId":"p","amount":"1.00","currency":"EUR"}';
    const error = payloadError(() => map(provider, body, { [header]: 'delivery\u00071' }));
    expect(error.code).toBe('invalid_field');
    expect(error.field).toBe(header);
    expect(error.message).toContain('U+0007 at index 8');
  });

  it('razorpay rejects a control character in the event id header', () => {
    const body = JSON.stringify({ event: 'payment.captured', payload: { payment: { entity: { id: 'pay_1', amount: 1, currency: 'INR' } } } });
    expect(payloadError(() => map('razorpay', body, { 'X-Razorpay-Event-Id': 'evt\r' })).field).toBe('X-Razorpay-Event-Id');
  });

  it('stripe rejects a control character in the customer id', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1', amount: 1, currency: 'usd', customer: 'cus\u0000' } } });
    expect(payloadError(() => map('stripe', body)).field).toBe('data.object.customer');
  });

  it('phonepe rejects a control character in the merchant transaction id', () => {
    const body = JSON.stringify({ code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: 'MT\u001b1', amount: 100 } });
    expect(payloadError(() => map('phonepe', body)).field).toBe('data.merchantTransactionId');
  });
});

describe('event time bound', () => {
  const legacy = (occurredAt: string) => JSON.stringify({ eventId: 'e', eventType: 'PAYMENT_SUCCESS', amount: 1, customerId: 'c', occurredAt });
  const aheadBy = (ms: number) => new Date(NOW_MS + ms).toISOString();

  it('rejects an occurredAt in year 9999', () => {
    const error = payloadError(() => map('legacy', legacy('9999-12-31T23:59:59Z')));
    expect(error.code).toBe('invalid_field');
    expect(error.field).toBe('occurredAt');
    expect(error.message).toBe(
      'Field occurredAt is 9999-12-31T23:59:59.000Z, more than 24 hours after the webhook was received (2024-06-01T00:00:00.000Z); ' +
        'send the time the event happened in UTC or with its zone offset (a time without an offset is read as UTC).',
    );
  });

  it('rejects year 0001 as before 1970', () => {
    const error = payloadError(() => map('legacy', legacy('0001-01-01T00:00:00Z')));
    expect(error.code).toBe('invalid_field');
    expect(error.field).toBe('occurredAt');
    expect(error.message).toBe(
      'Field occurredAt is 0001-01-01T00:00:00.000Z, which is before 1970; ' +
        'send the time the event happened in UTC or with its zone offset (a time without an offset is read as UTC).',
    );
  });

  it('reads years 0 to 99 literally', () => {
    expect(payloadError(() => map('legacy', legacy('0099-06-01T00:00:00Z'))).message).toContain('is 0099-06-01T00:00:00.000Z, which is before 1970');
  });

  it('rejects one millisecond before 1970', () => {
    expect(payloadError(() => map('legacy', legacy('1969-12-31T23:59:59.999Z'))).message).toContain('which is before 1970');
  });

  it('rejects 1970 local time that is 1969 in UTC', () => {
    expect(payloadError(() => map('legacy', legacy('1970-01-01T00:30:00+01:00'))).message).toContain('is 1969-12-31T23:30:00.000Z');
  });

  it('accepts the Unix epoch', () => {
    expect(map('legacy', legacy('1970-01-01T00:00:00Z')).occurredAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('reads a time without a zone offset as UTC', () => {
    expect(map('legacy', legacy('2024-03-01T10:15:30')).occurredAt).toBe('2024-03-01T10:15:30.000Z');
  });

  it('says in the format error that a zone-less time is UTC', () => {
    expect(payloadError(() => map('legacy', legacy('01/03/2024'))).message).toBe(
      'Field occurredAt must be an ISO 8601 date-time such as "2024-03-01T10:15:30Z" (a time without a zone offset is read as UTC), got "01/03/2024".',
    );
  });

  it.each([
    ['2023-02-29T00:00:00Z', 'February 29 in a common year'],
    ['0001-02-29T00:00:00Z', 'February 29 in year 1'],
    ['2024-04-31T00:00:00Z', 'April 31'],
    ['2024-01-01T24:00:00Z', 'hour 24'],
  ])('rejects %s as not a valid date-time (%s)', (occurredAt) => {
    expect(payloadError(() => map('legacy', legacy(occurredAt))).message).toContain('is not a valid date-time');
  });

  it('accepts February 29 in a leap year', () => {
    expect(map('legacy', legacy('2024-02-29T12:00:00Z')).occurredAt).toBe('2024-02-29T12:00:00.000Z');
  });

  it('says a stripe created time is Unix seconds', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', created: 99999999999, data: { object: { id: 'pi_1', amount: 1, currency: 'usd' } } });
    expect(payloadError(() => map('stripe', body)).message).toMatch(/; send the time the event happened as Unix time in seconds\.$/);
  });

  it('accepts an occurredAt exactly 24 hours ahead', () => {
    expect(map('legacy', legacy(aheadBy(MAX_EVENT_TIME_AHEAD_MS))).occurredAt).toBe(aheadBy(MAX_EVENT_TIME_AHEAD_MS));
  });

  it('rejects an occurredAt 24 hours and 1 ms ahead', () => {
    expect(payloadError(() => map('legacy', legacy(aheadBy(MAX_EVENT_TIME_AHEAD_MS + 1)))).field).toBe('occurredAt');
  });

  it('accepts an occurredAt far in the past', () => {
    expect(map('legacy', legacy('1999-01-01T00:00:00Z')).occurredAt).toBe('1999-01-01T00:00:00.000Z');
  });

  it('measures the bound from the receive time', () => {
    const laterReceipt = Date.UTC(9999, 11, 31);
    expect(map('legacy', legacy('9999-12-31T23:59:59Z'), {}, laterReceipt).occurredAt).toBe('9999-12-31T23:59:59.000Z');
  });

  it('rejects a legacy timestamp field in the future', () => {
    const body = JSON.stringify({ eventId: 'e', eventType: 'PAYMENT_SUCCESS', amount: 1, customerId: 'c', timestamp: '2030-01-01T00:00:00' });
    expect(payloadError(() => map('legacy', body)).field).toBe('timestamp');
  });

  it('rejects a generic occurredAt in the future', () => {
    const body = JSON.stringify({ eventType: 'PAYMENT_SUCCESS', paymentId: 'p', amount: '1.00', currency: 'EUR', occurredAt: '2030-01-01T00:00:00Z' });
    expect(payloadError(() => map('github', body, { 'X-GitHub-Delivery': 'd1' })).field).toBe('occurredAt');
  });

  it('rejects a stripe created time in the future', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', created: 99999999999, data: { object: { id: 'pi_1', amount: 1, currency: 'usd' } } });
    expect(payloadError(() => map('stripe', body)).field).toBe('created');
  });

  it('rejects a razorpay created_at in the future', () => {
    const body = JSON.stringify({ event: 'payment.captured', created_at: 4102444800, payload: { payment: { entity: { id: 'pay_1', amount: 1, currency: 'INR' } } } });
    expect(payloadError(() => map('razorpay', body, { 'X-Razorpay-Event-Id': 'r1' })).field).toBe('created_at');
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
    const error = payloadError(() => map('github', body));
    expect(error.field).toBe('X-GitHub-Delivery');
    expect(error.message).toBe('Missing header X-GitHub-Delivery; send the event id in X-GitHub-Delivery.');
  });

  it.each([
    ['github', 'X-GitHub-Delivery'],
    ['shopify', 'X-Shopify-Webhook-Id'],
    ['standard', 'webhook-id'],
  ] as const)('%s rejects a missing eventType listing the accepted types', (provider, header) => {
    const error = payloadError(() => map(provider, '{"paymentId":"pay_1","amount":"1.00","currency":"EUR"}', { [header]: 'd1' }));
    expect(error.code).toBe('missing_field');
    expect(error.field).toBe('eventType');
    expect(error.message).toBe(
      'Missing required field eventType; send one of PAYMENT_CREATED, PAYMENT_INITIATED, PAYMENT_PENDING, ' +
        'PAYMENT_AUTHORIZED, PAYMENT_SUCCESS, PAYMENT_FAILED, PAYMENT_CANCELLED, PAYMENT_REFUNDED, REFUND_SUCCESS.',
    );
  });

  it('github ignores a ping delivery', () => {
    const ping = '{"zen":"Design for failure.","hook_id":1,"hook":{"type":"Repository","events":["push"]}}';
    expect(mapResult('github', ping, { 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': 'd1' })).toEqual({ ignored: true, reason: 'ping' });
  });

  it('github maps a payment delivery that is not a ping', () => {
    expect(map('github', body, { 'X-GitHub-Event': 'payment', 'X-GitHub-Delivery': 'd1' }).eventId).toBe('d1');
  });

  it('shopify does not treat X-GitHub-Event ping as a ping', () => {
    expect(map('shopify', body, { 'X-GitHub-Event': 'ping', 'X-Shopify-Webhook-Id': 'd1' }).eventId).toBe('d1');
  });

  it('normalizes the amount to the minor unit', () => {
    const mapped = map('shopify', body.replace('"99.90"', '99.9'), { 'X-Shopify-Webhook-Id': 'd1' });
    expect(mapped.amount).toBe('99.90');
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
    const mapped = map('stripe', event('charge.refunded', { id: 'ch_1', payment_intent: 'pi_9', amount: 500, amount_refunded: 500, currency: 'jpy', customer: null }));
    expect(mapped.paymentId).toBe('pi_9');
    expect(mapped.amount).toBe('500');
    expect(mapped.status).toBe('REFUNDED');
  });

  it('maps charge.refunded amount from amount_refunded', () => {
    const charge = { id: 'ch_1', object: 'charge', payment_intent: 'pi_9', amount: 50000, amount_refunded: 10000, currency: 'inr' };
    expect(map('stripe', event('charge.refunded', charge)).amount).toBe('100.00');
  });

  it('rejects charge.refunded without amount_refunded', () => {
    const charge = { id: 'ch_1', object: 'charge', payment_intent: 'pi_9', amount: 50000, currency: 'inr' };
    const error = payloadError(() => map('stripe', event('charge.refunded', charge)));
    expect(error.code).toBe('missing_field');
    expect(error.field).toBe('data.object.amount_refunded');
  });

  it('maps charge.succeeded amount from amount, not amount_refunded', () => {
    const charge = { id: 'ch_1', object: 'charge', payment_intent: 'pi_9', amount: 50000, amount_refunded: 10000, currency: 'inr' };
    expect(map('stripe', event('charge.succeeded', charge)).amount).toBe('500.00');
  });

  it('rejects a missing type listing the accepted types', () => {
    const error = payloadError(() => map('stripe', JSON.stringify({ id: 'evt_1', data: { object: { id: 'pi_1', amount: 1, currency: 'usd' } } })));
    expect(error.code).toBe('missing_field');
    expect(error.field).toBe('type');
    expect(error.message).toContain('send one of payment_intent.created, ');
  });

  it.each([
    ['charge.pending', 'PENDING'],
    ['charge.succeeded', 'SUCCESS'],
    ['charge.captured', 'SUCCESS'],
    ['charge.failed', 'FAILED'],
    ['charge.refunded', 'REFUNDED'],
  ])('maps %s to %s', (type, status) => {
    const mapped = map('stripe', event(type, { id: 'ch_1', object: 'charge', payment_intent: 'pi_7', amount: 2500, amount_refunded: 2500, currency: 'usd' }));
    expect(mapped.status).toBe(status);
    expect(mapped.eventType).toBe(type);
  });

  it('maps charge.succeeded from the charge object', () => {
    const charge = { id: 'ch_1', object: 'charge', amount: 123456, currency: 'inr', customer: 'cus_2', payment_intent: 'pi_7', metadata: { order_id: 'o7' } };
    expect(map('stripe', event('charge.succeeded', charge))).toEqual({
      eventId: 'evt_1',
      eventType: 'charge.succeeded',
      status: 'SUCCESS',
      paymentId: 'pi_7',
      amount: '1234.56',
      currency: 'INR',
      customerId: 'cus_2',
      orderId: 'o7',
      occurredAt: '2023-11-14T22:13:20.000Z',
    });
  });

  it('uses the charge id when a charge has no payment intent', () => {
    const mapped = map('stripe', event('charge.failed', { id: 'ch_9', object: 'charge', payment_intent: null, amount: 100, currency: 'usd' }));
    expect(mapped.paymentId).toBe('ch_9');
    expect(mapped.status).toBe('FAILED');
  });

  it('rejects an unknown type listing the accepted types', () => {
    const error = payloadError(() => map('stripe', event('charge.dispute.created', { id: 'ch_1', amount: 1, currency: 'usd' })));
    expect(error.code).toBe('invalid_field');
    expect(error.field).toBe('type');
    expect(error.message).toContain('charge.succeeded, charge.captured, charge.failed');
    expect(error.message).toContain('payment_intent.succeeded');
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

  it('rejects an unpaired surrogate escape naming the position', () => {
    const error = payloadError(() => parseJsonObject(Buffer.from('{"c":"c\\ud800"}')));
    expect(error.code).toBe('invalid_json');
    expect(error.message).toMatch(/^The request body is not valid JSON at position 7: unpaired surrogate escape \\uD800; /);
  });

  it('puts the position before a reason that has its own advice', () => {
    expect(payloadError(() => parseJsonObject(Buffer.from('{"a":"x\ny"}'))).message).toBe(
      'The request body is not valid JSON at position 7: control character in string; escape it as \\u00XX.',
    );
  });
});
