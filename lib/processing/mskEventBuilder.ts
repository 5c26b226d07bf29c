/**
 * Builds Lambda MSK events from plain records, in the layout the event-source mapping sends.
 * Used by tests, the consume benchmark and sample events; the processor itself never calls it.
 */
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { HEADER, serializePaymentEvent, partitionKey, type PaymentEvent } from '../paymentEvent.js';

export interface RecordInput {
  topic: string;
  partition: number;
  offset: number;
  /** Key bytes or text; null for no key. */
  key?: string | Buffer | null;
  /** Value bytes or text, or a PaymentEvent to serialize; null or undefined for a tombstone. */
  value?: string | Buffer | PaymentEvent | null;
  /** Use this exact base64 text as the value instead of encoding `value`. */
  rawValue?: string;
  headers?: Record<string, string>;
  timestamp?: number;
}

function toBase64(value: string | Buffer): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');
}

function isPaymentEvent(value: unknown): value is PaymentEvent {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && 'eventId' in value;
}

/** Headers that ingest writes for an event. */
export function ingestHeaders(event: PaymentEvent): Record<string, string> {
  return {
    [HEADER.provider]: event.provider,
    [HEADER.eventId]: event.eventId,
    [HEADER.receivedAt]: event.receivedAt,
    [HEADER.schemaVersion]: String(event.schemaVersion),
  };
}

/** Builds the record input of a PaymentEvent with the key and headers that ingest writes. */
export function paymentEventRecord(topic: string, partition: number, offset: number, event: PaymentEvent): RecordInput {
  return { topic, partition, offset, key: partitionKey(event), value: event, headers: ingestHeaders(event) };
}

export function buildMskEvent(inputs: readonly RecordInput[]): MSKEvent {
  const records: Record<string, MSKRecord[]> = {};
  for (const input of inputs) {
    const mapKey = `${input.topic}-${input.partition}`;
    let value: string | undefined;
    if (input.rawValue !== undefined) value = input.rawValue;
    else if (isPaymentEvent(input.value)) value = toBase64(serializePaymentEvent(input.value));
    else if (input.value !== null && input.value !== undefined) value = toBase64(input.value);

    const record = {
      topic: input.topic,
      partition: input.partition,
      offset: input.offset,
      timestamp: input.timestamp ?? Date.now(),
      timestampType: 'CREATE_TIME',
      ...(input.key === null || input.key === undefined ? {} : { key: toBase64(input.key) }),
      ...(value === undefined ? {} : { value }),
      headers: Object.entries(input.headers ?? {}).map(([name, text]) => ({ [name]: [...Buffer.from(text, 'utf8')] })),
    } as MSKRecord;
    (records[mapKey] ??= []).push(record);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:eu-west-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1',
    bootstrapServers: '127.0.0.1:9092',
    records,
  };
}
