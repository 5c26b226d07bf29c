/**
 * Strict validation of a decoded record value against PaymentEvent (schema version 1).
 *
 * Unknown fields are rejected, so a producer change that this processor would silently ignore
 * fails loudly in the dead-letter topic instead. Amounts must be decimal strings: a JSON number
 * has already passed through a binary double in JSON.parse and may have lost digits.
 */
import {
  PAYMENT_EVENT_SCHEMA_VERSION,
  PAYMENT_STATUSES,
  PROVIDERS,
  type PaymentEvent,
  type PaymentStatus,
  type Provider,
} from '../paymentEvent.js';
import { isCalendarTime } from './calendar.js';
import { InvalidPaymentEventError } from './errors.js';

/** Maximum identifier length, in characters, of the payments and processed_events columns. */
export const MAX_ID_LENGTH = 255;
export const MAX_EVENT_TYPE_LENGTH = 128;
/** Fraction digits of the amount column, DECIMAL(22,4). */
export const MAX_FRACTION_DIGITS = 4;

const FIELDS = [
  'schemaVersion',
  'eventId',
  'provider',
  'eventType',
  'status',
  'paymentId',
  'amount',
  'currency',
  'customerId',
  'orderId',
  'occurredAt',
  'receivedAt',
] as const;
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);

// Positive decimal without sign, exponent or grouping. The integer digit limit is left to the
// DECIMAL column, whose out-of-range error sends the record to the dead-letter topic.
const AMOUNT = new RegExp(`^[0-9]+(\\.[0-9]{1,${MAX_FRACTION_DIGITS}})?$`);
const CURRENCY = /^[A-Z]{3}$/;
const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireId(record: Record<string, unknown>, field: string, maxLength: number): string {
  const value = record[field];
  if (typeof value !== 'string') throw new InvalidPaymentEventError(field, `must be a string, got ${typeName(value)}`);
  if (value.trim() === '') throw new InvalidPaymentEventError(field, 'must not be empty');
  if (value.length > maxLength) {
    throw new InvalidPaymentEventError(field, `is ${value.length} characters long; the maximum is ${maxLength}`);
  }
  return value;
}

function optionalId(record: Record<string, unknown>, field: string): string | null {
  return record[field] === null ? null : requireId(record, field, MAX_ID_LENGTH);
}

function requireTimestamp(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw new InvalidPaymentEventError(field, `must be an ISO 8601 UTC string, got ${typeName(value)}`);
  const match = UTC_TIMESTAMP.exec(value);
  if (match === null) {
    throw new InvalidPaymentEventError(field, `must look like 2024-05-01T12:00:00.000Z, got ${JSON.stringify(value)}`);
  }
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (!isCalendarTime(year as number, month as number, day as number, hour as number, minute as number, second as number)) {
    throw new InvalidPaymentEventError(field, `is not a valid calendar time: ${JSON.stringify(value)}`);
  }
  return value;
}

function oneOf<T extends string>(record: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const value = record[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidPaymentEventError(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Checks a parsed JSON value and returns it as a PaymentEvent, or throws
 * InvalidPaymentEventError naming the first field that does not match.
 *
 * @example
 *   const event = validatePaymentEvent(JSON.parse(text));
 */
export function validatePaymentEvent(value: unknown): PaymentEvent {
  if (!isRecord(value)) throw new InvalidPaymentEventError('value', `must be a JSON object, got ${typeName(value)}`);

  for (const key of Object.keys(value)) {
    if (!FIELD_SET.has(key)) throw new InvalidPaymentEventError(key, 'is not a PaymentEvent field');
  }
  for (const field of FIELDS) {
    if (!(field in value)) throw new InvalidPaymentEventError(field, 'is missing');
  }

  if (value.schemaVersion !== PAYMENT_EVENT_SCHEMA_VERSION) {
    throw new InvalidPaymentEventError(
      'schemaVersion',
      `must be ${PAYMENT_EVENT_SCHEMA_VERSION}, got ${JSON.stringify(value.schemaVersion)}`,
    );
  }

  const amount = value.amount;
  if (typeof amount !== 'string') {
    throw new InvalidPaymentEventError('amount', `must be a decimal string such as "500.00", got ${typeName(amount)}`);
  }
  if (!AMOUNT.test(amount)) {
    throw new InvalidPaymentEventError(
      'amount',
      `must be a non-negative decimal string with at most ${MAX_FRACTION_DIGITS} fraction digits, got ${JSON.stringify(amount)}`,
    );
  }

  const currency = value.currency;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) {
    throw new InvalidPaymentEventError('currency', `must be an upper-case ISO 4217 code such as USD, got ${JSON.stringify(currency)}`);
  }

  return {
    schemaVersion: PAYMENT_EVENT_SCHEMA_VERSION,
    eventId: requireId(value, 'eventId', MAX_ID_LENGTH),
    provider: oneOf<Provider>(value, 'provider', PROVIDERS),
    eventType: requireId(value, 'eventType', MAX_EVENT_TYPE_LENGTH),
    status: oneOf<PaymentStatus>(value, 'status', PAYMENT_STATUSES),
    paymentId: requireId(value, 'paymentId', MAX_ID_LENGTH),
    amount,
    currency,
    customerId: optionalId(value, 'customerId'),
    orderId: optionalId(value, 'orderId'),
    occurredAt: value.occurredAt === null ? null : requireTimestamp(value, 'occurredAt'),
    receivedAt: requireTimestamp(value, 'receivedAt'),
  };
}
