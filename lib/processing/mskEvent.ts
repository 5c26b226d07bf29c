/**
 * Decoding of the Lambda event an Amazon MSK (or self-managed Kafka) event-source mapping
 * sends: `records` maps "<topic>-<partition>" to that partition's records, each with a base64
 * key and value and headers as lists of byte values.
 */
import { isUtf8 } from 'node:buffer';
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import type { PaymentEvent } from '../paymentEvent.js';
import type { DeadLetterReason } from './errors.js';
import { InvalidPaymentEventError } from './errors.js';
import { hashPaymentEvent } from './eventHash.js';
import { validatePaymentEvent } from './validatePaymentEvent.js';

export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
}

/** One record of the batch with its key, value and headers as bytes, before validation. */
export interface BatchRecord {
  coordinates: RecordCoordinates;
  /** The key of the `records` map this record came from, "<topic>-<partition>". */
  partitionKey: string;
  /** Key bytes; null when the record has no key. */
  key: Buffer | null;
  /** Value as received (base64 text); null or undefined for a tombstone. */
  encodedValue: string | null | undefined;
  headers: Array<[name: string, value: Buffer]>;
}

export type DecodedRecord =
  | { kind: 'event'; record: BatchRecord; event: PaymentEvent; hash: string }
  | { kind: 'invalid'; record: BatchRecord; reason: DeadLetterReason; message: string };

/** Thrown for an event that is not a Kafka batch at all; the whole invocation fails. */
export class InvalidBatchEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidBatchEventError';
  }
}

// Canonical base64 only: Buffer.from(text, 'base64') skips foreign characters instead of failing.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Formats a record's coordinates for logs and dead-letter headers as "<topic>-<partition>@<offset>". */
export function formatCoordinates(coordinates: RecordCoordinates): string {
  return `${coordinates.topic}-${coordinates.partition}@${coordinates.offset}`;
}

/**
 * Decodes base64 text, or returns undefined when BASE64 does not match it. Node's encoder only
 * writes texts that BASE64 matches, so a text that survives the round trip needs no regular
 * expression. Other texts, including valid ones whose unused padding bits are not zero, are
 * checked with BASE64. For the 430-character values of the consume benchmark the round trip
 * took about half the time of the regular expression.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') === text) return bytes;
  return BASE64.test(text) ? bytes : undefined;
}

function decodeKey(key: MSKRecord['key'] | undefined): Buffer | null {
  if (typeof key !== 'string' || key === '') return null;
  return decodeBase64(key) ?? Buffer.from(key);
}

function decodeHeaders(headers: MSKRecord['headers'] | undefined): Array<[string, Buffer]> {
  const decoded: Array<[string, Buffer]> = [];
  if (!Array.isArray(headers)) return decoded;
  for (const header of headers) {
    if (typeof header !== 'object' || header === null) continue;
    for (const [name, bytes] of Object.entries(header)) {
      if (Array.isArray(bytes) && bytes.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255)) {
        decoded.push([name, Buffer.from(bytes)]);
      }
    }
  }
  return decoded;
}

/**
 * A BatchRecord that decodes its key and headers on first access. Only dead-lettered records
 * need them, and decoding them for every record took about a fifth of the decoding time in the
 * consume benchmark (four headers per record, each a list of byte values).
 */
class MskBatchRecord implements BatchRecord {
  readonly coordinates: RecordCoordinates;
  readonly partitionKey: string;
  readonly encodedValue: string | null | undefined;
  readonly #source: MSKRecord;
  #key: Buffer | null | undefined;
  #headers: Array<[string, Buffer]> | undefined;

  constructor(partitionKey: string, source: MSKRecord) {
    this.coordinates = { topic: source.topic, partition: source.partition, offset: source.offset };
    this.partitionKey = partitionKey;
    this.encodedValue = source.value;
    this.#source = source;
  }

  get key(): Buffer | null {
    if (this.#key === undefined) this.#key = decodeKey(this.#source.key);
    return this.#key;
  }

  get headers(): Array<[string, Buffer]> {
    this.#headers ??= decodeHeaders(this.#source.headers);
    return this.#headers;
  }
}

/**
 * Flattens the event into records, each partition's records in ascending offset order and the
 * partitions in the order the event lists them. Throws InvalidBatchEventError when `records`
 * is missing or a record lacks its coordinates.
 */
export function flattenMskEvent(event: MSKEvent): BatchRecord[] {
  if (typeof event !== 'object' || event === null || typeof event.records !== 'object' || event.records === null) {
    throw new InvalidBatchEventError('The event has no `records` object; expected an MSK or self-managed Kafka event');
  }

  const flattened: BatchRecord[] = [];
  for (const [partitionKey, records] of Object.entries(event.records)) {
    if (!Array.isArray(records)) {
      throw new InvalidBatchEventError(`records[${JSON.stringify(partitionKey)}] is not an array`);
    }
    const partitionRecords = records.map((record): BatchRecord => {
      if (typeof record?.topic !== 'string' || !Number.isInteger(record.partition) || !Number.isInteger(record.offset)) {
        throw new InvalidBatchEventError(`A record under ${JSON.stringify(partitionKey)} has no topic, partition or offset`);
      }
      return new MskBatchRecord(partitionKey, record);
    });
    partitionRecords.sort((left, right) => left.coordinates.offset - right.coordinates.offset);
    flattened.push(...partitionRecords);
  }
  return flattened;
}

/** Decodes and validates one record's value: base64, then UTF-8, then JSON, then PaymentEvent. */
export function decodeRecord(record: BatchRecord): DecodedRecord {
  const invalid = (reason: DeadLetterReason, message: string): DecodedRecord => ({ kind: 'invalid', record, reason, message });

  if (record.encodedValue === null || record.encodedValue === undefined || record.encodedValue === '') {
    return invalid('missing-value', 'The record has no value (a tombstone); a payment event is required');
  }

  const bytes = decodeBase64(record.encodedValue);
  if (bytes === undefined) return invalid('invalid-base64', 'The record value is not valid base64');

  if (!isUtf8(bytes)) return invalid('invalid-utf8', 'The record value is not valid UTF-8');
  // A leading byte order mark is dropped, as the WHATWG UTF-8 decoder does.
  const hasByteOrderMark = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = bytes.toString('utf8', hasByteOrderMark ? 3 : 0);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return invalid('invalid-json', `The record value is not JSON: ${(error as Error).message}`);
  }

  try {
    const event = validatePaymentEvent(parsed);
    return { kind: 'event', record, event, hash: hashPaymentEvent(event) };
  } catch (error) {
    if (error instanceof InvalidPaymentEventError) return invalid('invalid-schema', error.message);
    throw error;
  }
}

/** Flattens and decodes a whole batch, in processing order. */
export function decodeMskEvent(event: MSKEvent): DecodedRecord[] {
  return flattenMskEvent(event).map(decodeRecord);
}
