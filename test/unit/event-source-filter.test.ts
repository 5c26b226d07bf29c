import { describe, expect, it } from 'vitest';
import { toEventRecord, type KafkaEventRecord } from '../../local/kafka-event-source/src/event.js';
import { matchesAnyPattern, validateFilterPattern, type FilterPattern } from '../../local/kafka-event-source/src/filter.js';

function record(value: unknown, overrides: Partial<{ partition: number; offset: string }> = {}): KafkaEventRecord {
  return toEventRecord({
    topic: 'payment-events',
    partition: overrides.partition ?? 0,
    offset: overrides.offset ?? '15',
    timestamp: '1545084650987',
    timestampType: 'CREATE_TIME',
    key: null,
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers: [],
  });
}

const payment = { eventId: 'evt_1', eventType: 'PAYMENT_SUCCESS', amount: 500, currency: 'EUR', customerId: 'cust_vip_02', tags: ['vip', 'eu'] };

function matches(pattern: FilterPattern, subject: KafkaEventRecord): boolean {
  validateFilterPattern(pattern, 'pattern');
  return matchesAnyPattern([pattern], subject);
}

describe('matchesAnyPattern', () => {
  it('delivers every record when there are no patterns', () => {
    expect(matchesAnyPattern([], record(payment))).toBe(true);
  });

  it('matches an exact value', () => {
    expect(matches({ value: { eventType: ['PAYMENT_SUCCESS'] } }, record(payment))).toBe(true);
    expect(matches({ value: { eventType: ['PAYMENT_FAILED'] } }, record(payment))).toBe(false);
  });

  it('matches a prefix and a suffix', () => {
    expect(matches({ value: { customerId: [{ prefix: 'cust_vip' }] } }, record(payment))).toBe(true);
    expect(matches({ value: { customerId: [{ prefix: 'cust_std' }] } }, record(payment))).toBe(false);
    expect(matches({ value: { eventId: [{ suffix: '_1' }] } }, record(payment))).toBe(true);
  });

  it('matches anything-but a value, a list or a prefix', () => {
    expect(matches({ value: { eventType: [{ 'anything-but': 'PAYMENT_FAILED' }] } }, record(payment))).toBe(true);
    expect(matches({ value: { eventType: [{ 'anything-but': ['PAYMENT_SUCCESS', 'X'] }] } }, record(payment))).toBe(false);
    expect(matches({ value: { eventType: [{ 'anything-but': { prefix: 'PAYMENT_' } }] } }, record(payment))).toBe(false);
  });

  it('does not match anything-but on a missing field', () => {
    expect(matches({ value: { orderId: [{ 'anything-but': 'x' }] } }, record(payment))).toBe(false);
  });

  it('matches numeric ranges', () => {
    expect(matches({ value: { amount: [{ numeric: ['>', 100, '<=', 500] }] } }, record(payment))).toBe(true);
    expect(matches({ value: { amount: [{ numeric: ['<', 500] }] } }, record(payment))).toBe(false);
    expect(matches({ value: { amount: [{ numeric: ['=', 500] }] } }, record(payment))).toBe(true);
    expect(matches({ value: { currency: [{ numeric: ['>', 0] }] } }, record(payment))).toBe(false);
  });

  it('matches exists true and false', () => {
    expect(matches({ value: { customerId: [{ exists: true }] } }, record(payment))).toBe(true);
    expect(matches({ value: { orderId: [{ exists: true }] } }, record(payment))).toBe(false);
    expect(matches({ value: { orderId: [{ exists: false }] } }, record(payment))).toBe(true);
  });

  it('selects a tombstone with value exists false', () => {
    expect(matches({ value: [{ exists: false }] }, record(null))).toBe(true);
    expect(matches({ value: [{ exists: false }] }, record(payment))).toBe(false);
  });

  it('matches any element of an array field', () => {
    expect(matches({ value: { tags: ['eu'] } }, record(payment))).toBe(true);
    expect(matches({ value: { tags: ['us'] } }, record(payment))).toBe(false);
  });

  it('matches a value that is not JSON as a plain string', () => {
    expect(matches({ value: [{ 'anything-but': ['error'] }] }, record('hello'))).toBe(true);
    expect(matches({ value: [{ 'anything-but': ['error'] }] }, record('error'))).toBe(false);
    expect(matches({ value: { eventType: ['PAYMENT_SUCCESS'] } }, record('PAYMENT_SUCCESS'))).toBe(false);
  });

  it('matches metadata fields', () => {
    expect(matches({ partition: [1] }, record(payment, { partition: 1 }))).toBe(true);
    expect(matches({ partition: [1] }, record(payment, { partition: 0 }))).toBe(false);
    expect(matches({ offset: [{ numeric: ['>=', 10] }], topic: [{ prefix: 'payment' }] }, record(payment))).toBe(true);
  });

  it('requires every key of one pattern and any of several patterns', () => {
    const both: FilterPattern = { value: { eventType: ['PAYMENT_SUCCESS'], currency: ['USD'] } };
    const either: FilterPattern[] = [{ value: { currency: ['USD'] } }, { value: { currency: ['EUR'] } }];

    expect(matches(both, record(payment))).toBe(false);
    expect(matchesAnyPattern(either, record(payment))).toBe(true);
  });

  it('matches equals-ignore-case', () => {
    expect(matches({ value: { eventType: [{ 'equals-ignore-case': 'payment_success' }] } }, record(payment))).toBe(true);
  });
});

describe('validateFilterPattern', () => {
  it.each([
    [{ value: 'PAYMENT_SUCCESS' }, 'pattern.value'],
    [{ value: { amount: [{ numeric: ['>'] }] } }, 'numeric'],
    [{ value: { amount: [{ numeric: ['~', 1] }] } }, 'numeric'],
    [{ value: { amount: [{ prefix: 1 }] } }, 'prefix'],
    [{ value: { amount: [{ exists: 'yes' }] } }, 'exists'],
    [{ value: { amount: [{ prefix: 'a', suffix: 'b' }] } }, 'exactly one operator'],
  ])('rejects %j', (pattern, fragment) => {
    expect(() => validateFilterPattern(pattern, 'pattern')).toThrow(fragment);
  });
});
