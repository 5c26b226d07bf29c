/**
 * Field readers used by the provider mappings. Each reader takes the parsed object and a
 * dotted field path for messages, and throws InvalidPayloadError naming that path, the value
 * it found and what it expects, so the 400 response shows the sender what to fix.
 */
import { isJsonObject, JsonNumber, parseJson, JsonSyntaxError, type JsonObject, type JsonValue } from '../json.js';
import { AmountError, minorToDecimalAmount, normalizeCurrency, normalizeDecimalAmount } from './money.js';
import { InvalidPayloadError } from './errors.js';
import type { PaymentStatus } from '../paymentEvent.js';

/** Longest accepted id (event, payment, order, customer), in characters. */
export const MAX_ID_LENGTH = 255;

/**
 * How far after the receive time an event time (occurredAt, Stripe `created`, Razorpay
 * `created_at`) may be, in milliseconds. The processor leaves the payment state unchanged for
 * an event older than the applied one, so a time far in the future would make every later
 * event of that payment stale.
 * 24 hours leaves room for a sender clock that is wrong by a time zone.
 */
export const MAX_EVENT_TIME_AHEAD_MS = 24 * 60 * 60 * 1000;

/**
 * Earliest accepted event time: the Unix epoch, 1970-01-01T00:00:00Z, which is also the
 * earliest time the epoch-seconds fields (Stripe `created`, Razorpay `created_at`) can hold.
 * An earlier ISO 8601 time, such as a "0001-01-01T00:00:00Z" placeholder, is rejected.
 */
export const MIN_EVENT_TIME_MS = 0;

// C0 control characters and DEL. Ids become Kafka keys, log fields and database keys, where
// such characters are invisible, and some tools end the value at a NUL.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 bytes and parses them as a JSON object, or throws InvalidPayloadError with the reason. */
export function parseJsonObject(bytes: Buffer, what = 'the request body'): JsonObject {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new InvalidPayloadError('invalid_encoding', `${capitalize(what)} is not valid UTF-8; send JSON encoded as UTF-8.`);
  }
  if (text.trim() === '') {
    throw new InvalidPayloadError('invalid_json', `${capitalize(what)} is empty; send a JSON object.`);
  }

  let value: JsonValue;
  try {
    value = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new InvalidPayloadError('invalid_json', `${capitalize(what)} is not valid JSON at position ${error.position}: ${error.reason}.`);
    }
    throw error;
  }
  if (!isJsonObject(value)) {
    throw new InvalidPayloadError('invalid_body', `${capitalize(what)} must be a JSON object, got ${describeJson(value)}.`);
  }
  return value;
}

/** Describes a JSON value's type for messages: "null", "an array", "a number"... */
export function describeJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof JsonNumber) return `the number ${value.source}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(truncate(value))}`;
  return `the boolean ${String(value)}`;
}

export function requireObject(parent: JsonObject, key: string, path: string): JsonObject {
  const value = parent[key];
  if (value === undefined || value === null) throw missing(path, 'an object');
  if (!isJsonObject(value)) throw invalid(path, `must be an object, got ${describeJson(value)}`);
  return value;
}

export function optionalObject(parent: JsonObject, key: string, path: string): JsonObject | null {
  const value = parent[key];
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) throw invalid(path, `must be an object, got ${describeJson(value)}`);
  return value;
}

/**
 * Reads a non-empty string field (an id or a type) of at most MAX_ID_LENGTH characters and
 * without control characters (U+0000 to U+001F, U+007F).
 */
export function requireString(parent: JsonObject, key: string, path: string): string {
  const value = parent[key];
  if (value === undefined || value === null) throw missing(path, 'a string');
  return checkString(value, path);
}

export function optionalString(parent: JsonObject, key: string, path: string): string | null {
  const value = parent[key];
  if (value === undefined || value === null) return null;
  return checkString(value, path);
}

function checkString(value: JsonValue, path: string): string {
  if (typeof value !== 'string') throw invalid(path, `must be a string, got ${describeJson(value)}`);
  if (value.trim() === '') throw invalid(path, 'must not be empty');
  if (value.length > MAX_ID_LENGTH) throw invalid(path, `must be at most ${MAX_ID_LENGTH} characters, got ${value.length}`);
  const control = controlCharacterIn(value);
  if (control !== undefined) throw invalid(path, `contains the control character ${control}; send the value without control characters`);
  return value;
}

/** Describes the first control character in `value` ("U+0000 at index 3"), or returns undefined when there is none. */
function controlCharacterIn(value: string): string | undefined {
  const match = CONTROL_CHARACTER.exec(value);
  if (match === null) return undefined;
  const codePoint = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `U+${codePoint} at index ${match.index}`;
}

/** Checks a header-supplied event id with the same rules as a body id. */
export function checkId(value: string | undefined, header: string): string {
  if (value === undefined || value.trim() === '') {
    throw new InvalidPayloadError('missing_field', `Missing header ${header}; send the event id in ${header}.`, header);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidPayloadError(
      'invalid_field',
      `Header ${header} must be at most ${MAX_ID_LENGTH} characters, got ${value.length}; send a shorter event id.`,
      header,
    );
  }
  const control = controlCharacterIn(value);
  if (control !== undefined) {
    throw new InvalidPayloadError(
      'invalid_field',
      `Header ${header} contains the control character ${control}; send the event id without control characters.`,
      header,
    );
  }
  return value;
}

export function requireCurrency(parent: JsonObject, key: string, path: string): string {
  const value = requireString(parent, key, path);
  return toCurrency(value, path);
}

export function toCurrency(value: string, path: string): string {
  try {
    return normalizeCurrency(value);
  } catch (error) {
    if (error instanceof AmountError) throw invalid(path, error.message);
    throw error;
  }
}

/**
 * Reads a major-unit amount, a JSON number (`500.00`) or a decimal string (`"500.00"`), and
 * returns it as exact decimal text with the currency's minor-unit digits. See
 * normalizeDecimalAmount for the rules.
 */
export function requireDecimalAmount(parent: JsonObject, key: string, path: string, currency: string): string {
  const value = parent[key];
  if (value === undefined || value === null) throw missing(path, 'a decimal amount such as 500.00');
  if (!(value instanceof JsonNumber) && typeof value !== 'string') {
    throw invalid(path, `must be a number or a decimal string such as "500.00", got ${describeJson(value)}`);
  }
  const fromJsonNumber = value instanceof JsonNumber;
  try {
    return normalizeDecimalAmount(fromJsonNumber ? value.source : value, currency, fromJsonNumber);
  } catch (error) {
    if (error instanceof AmountError) throw invalid(path, error.message);
    throw error;
  }
}

/** Reads an integer amount in minor units (cents, paise) and converts it to a major-unit decimal string. */
export function requireMinorUnitAmount(parent: JsonObject, key: string, path: string, currency: string): string {
  const value = parent[key];
  if (value === undefined || value === null) throw missing(path, 'an integer amount in minor units');
  if (!(value instanceof JsonNumber)) throw invalid(path, `must be an integer in minor units, got ${describeJson(value)}`);
  try {
    return minorToDecimalAmount(value.source, currency);
  } catch (error) {
    if (error instanceof AmountError) throw invalid(path, error.message);
    throw error;
  }
}

// ISO 8601 date-time: date, T or space, hours and minutes, optional seconds and fraction,
// optional zone (Z or a numeric offset with or without a colon).
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Reads an ISO 8601 date-time and returns it in UTC with millisecond precision
 * ("2024-03-01T10:15:30.000Z"). Digits after the milliseconds are dropped (truncated, so the
 * same input always gives the same output). A value without a zone is taken as UTC, because
 * the legacy sender serializes java.time values without one. Absent or null gives null.
 * Rejects a time before MIN_EVENT_TIME_MS (1970) or more than MAX_EVENT_TIME_AHEAD_MS after
 * `nowMs`, the request's receive time.
 */
export function optionalIsoTimestamp(parent: JsonObject, key: string, path: string, nowMs: number): string | null {
  const value = parent[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(path, `must be an ISO 8601 date-time string, got ${describeJson(value)}`);

  const match = ISO_DATE_TIME.exec(value);
  if (match === null) {
    throw invalid(path, `must be an ISO 8601 date-time such as "2024-03-01T10:15:30Z" (a time without a zone offset is read as UTC), got ${JSON.stringify(truncate(value))}`);
  }
  const [, year, month, day, hour, minute, second = '0', fraction = '', , sign, offsetHours = '0', offsetMinutes = '0'] = match;

  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  // Date.UTC reads years 0 to 99 as 1900 to 1999, so the year is set separately.
  const check = new Date(Date.UTC(2000, fields[1] - 1, fields[2], fields[3], fields[4], fields[5], millis));
  check.setUTCFullYear(fields[0]);
  const local = check.getTime();
  // Date.UTC rolls 2024-02-30 over to March; a changed field means the input was not a real date.
  const valid =
    check.getUTCFullYear() === fields[0] &&
    check.getUTCMonth() === fields[1] - 1 &&
    check.getUTCDate() === fields[2] &&
    check.getUTCHours() === fields[3] &&
    check.getUTCMinutes() === fields[4] &&
    check.getUTCSeconds() === fields[5] &&
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59;
  if (!valid) throw invalid(path, `is not a valid date-time: ${JSON.stringify(value)}`);

  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000 * (sign === '-' ? -1 : 1);
  return checkEventTime(local - offsetMs, path, nowMs, 'in UTC or with its zone offset (a time without an offset is read as UTC)');
}

/**
 * Reads Unix epoch seconds (a non-negative integer JSON number, so never before
 * MIN_EVENT_TIME_MS) and returns ISO 8601 UTC with milliseconds. Rejects a time more than
 * MAX_EVENT_TIME_AHEAD_MS after `nowMs`, the request's receive time.
 */
export function optionalEpochSeconds(parent: JsonObject, key: string, path: string, nowMs: number): string | null {
  const value = parent[key];
  if (value === undefined || value === null) return null;
  if (!(value instanceof JsonNumber) || !/^[0-9]{1,11}$/.test(value.source)) {
    throw invalid(path, `must be Unix time in whole seconds, got ${describeJson(value)}`);
  }
  return checkEventTime(Number(value.source) * 1000, path, nowMs, 'as Unix time in seconds');
}

/**
 * Returns `timeMs` as ISO 8601 UTC, or rejects it when it is before MIN_EVENT_TIME_MS or more
 * than MAX_EVENT_TIME_AHEAD_MS after `nowMs`. `form` ends the advice in the message ("send the
 * time the event happened <form>").
 */
function checkEventTime(timeMs: number, path: string, nowMs: number, form: string): string {
  const time = new Date(timeMs).toISOString();
  if (timeMs < MIN_EVENT_TIME_MS) {
    throw invalid(path, `is ${time}, which is before ${new Date(MIN_EVENT_TIME_MS).getUTCFullYear()}; send the time the event happened ${form}`);
  }
  if (timeMs - nowMs > MAX_EVENT_TIME_AHEAD_MS) {
    throw invalid(
      path,
      `is ${time}, more than ${MAX_EVENT_TIME_AHEAD_MS / 3_600_000} hours after the webhook was received (${new Date(nowMs).toISOString()}); ` +
        `send the time the event happened ${form}`,
    );
  }
  return time;
}

/** Reads a required event type field and looks up its status. A missing or unknown type gets a 400 that lists the accepted types. */
export function requireEventType(table: Readonly<Record<string, PaymentStatus>>, parent: JsonObject, key: string, path: string): { eventType: string; status: PaymentStatus } {
  const value = parent[key];
  if (value === undefined || value === null) throw missing(path, `one of ${Object.keys(table).join(', ')}`);
  const eventType = checkString(value, path);
  return { eventType, status: mapStatus(table, eventType, path) };
}

/** Looks up a provider event type, or throws a 400 that lists the accepted types. */
export function mapStatus(table: Readonly<Record<string, PaymentStatus>>, type: string, path: string): PaymentStatus {
  const status = Object.hasOwn(table, type) ? table[type] : undefined;
  if (status === undefined) {
    throw invalid(path, `has the unsupported value ${JSON.stringify(truncate(type))}; send one of ${Object.keys(table).join(', ')}`);
  }
  return status;
}

export function missing(path: string, expected: string): InvalidPayloadError {
  return new InvalidPayloadError('missing_field', `Missing required field ${path}; send ${expected}.`, path);
}

export function invalid(path: string, problem: string): InvalidPayloadError {
  return new InvalidPayloadError('invalid_field', `Field ${path} ${problem}.`, path);
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
