/**
 * Builds the event that the Kafka event-source mapping passes to the function, in the shape of
 * the samples in "Using Lambda with Amazon MSK" and "Using Lambda with self-managed Apache Kafka"
 * (AWS Lambda Developer Guide):
 *
 * - `eventSource` is `aws:kafka` for an `msk` event (with `eventSourceArn`) and `SelfManagedKafka`
 *   for a `kafka` event;
 * - `bootstrapServers` is one comma-separated string;
 * - `records` is keyed `<topic>-<partition>`, records in offset order;
 * - `key` and `value` are base64; `key` is absent when the record key is null and, by the same
 *   rule, `value` is absent for a tombstone;
 * - `headers` is an array of one-key objects whose value is the header's bytes as numbers.
 */

export type EventSourceKind = 'msk' | 'kafka';
export type TimestampType = 'CREATE_TIME' | 'LOG_APPEND_TIME';

/** A record as read from the broker, before encoding. Offsets and timestamps stay strings as kafkajs returns them. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
  /** In the order the broker returned them; a repeated header name appears once per value. */
  headers: Array<[name: string, value: Buffer]>;
}

export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: TimestampType;
  key?: string;
  value?: string;
  headers: Array<Record<string, number[]>>;
}

export interface KafkaEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  eventSourceArn?: string;
  bootstrapServers: string;
  records: Record<string, KafkaEventRecord[]>;
}

/** Mapping details that go into the event envelope. */
export interface EventEnvelope {
  kind: EventSourceKind;
  /** Required for `msk`; ignored for `kafka`. */
  eventSourceArn?: string;
  bootstrapServers: readonly string[];
}

/**
 * The 6 MB synchronous invocation payload limit ("Lambda quotas"), in bytes. serverless-offline
 * 14 rejects larger requests with the same bound (1024 * 1024 * 6).
 */
export const INVOCATION_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function toEventRecord(record: SourceRecord): KafkaEventRecord {
  const encoded: KafkaEventRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: Number(record.timestamp),
    timestampType: record.timestampType,
    headers: record.headers.map(([name, bytes]) => ({ [name]: [...bytes] })),
  };
  if (record.key !== null) encoded.key = record.key.toString('base64');
  if (record.value !== null) encoded.value = record.value.toString('base64');

  // Keep the documented field order (key and value before headers) for readable logs and diffs.
  const { headers, ...rest } = encoded;
  return { ...rest, headers };
}

export function buildKafkaEvent(envelope: EventEnvelope, records: readonly KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) {
    const key = partitionKey(record.topic, record.partition);
    (grouped[key] ??= []).push(record);
  }

  const bootstrapServers = envelope.bootstrapServers.join(',');
  if (envelope.kind === 'msk') {
    return { eventSource: 'aws:kafka', eventSourceArn: envelope.eventSourceArn ?? '', bootstrapServers, records: grouped };
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped };
}

/** Size in bytes of one record inside the serialized event. */
export function recordBytes(record: KafkaEventRecord): number {
  return Buffer.byteLength(JSON.stringify(record));
}

/** Size in bytes of the serialized event with one partition and no records: the fixed overhead of a batch. */
export function envelopeBytes(envelope: EventEnvelope, topic: string, partition: number): number {
  const empty = buildKafkaEvent(envelope, []);
  empty.records[partitionKey(topic, partition)] = [];
  return Buffer.byteLength(JSON.stringify(empty));
}
