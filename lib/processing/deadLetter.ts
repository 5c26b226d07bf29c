/**
 * Dead-letter messages: a record that can never be applied is copied to the dead-letter topic
 * (DEAD_LETTER_TOPIC, default payment-events.dlq) with its original key, value and headers,
 * plus headers that give the failure reason and the record's source coordinates.
 */
import type { OutgoingMessage } from '../kafka.js';
import type { DeadLetterReason } from './errors.js';
import { decodeBase64, type BatchRecord } from './mskEvent.js';

export const DLQ_HEADER = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  failedAt: 'dlq-failed-at',
} as const;

/** Maximum length of the dlq-error header value, in characters. Longer messages are cut. */
const MAX_ERROR_LENGTH = 1000;

export interface DeadLetterEntry {
  record: BatchRecord;
  reason: DeadLetterReason;
  message: string;
  /** The event id when the value decoded far enough to have one. */
  eventId?: string;
}

/** The part of a Kafka producer that the processor uses. ReliableProducer (acks = all) implements it. */
export interface DeadLetterSender {
  send(topic: string, messages: OutgoingMessage[]): Promise<unknown>;
}

/**
 * Builds the dead-letter message of one record. The value is the original bytes; a value that
 * was not valid base64 is kept as the text received. When an original header has the name of
 * a dlq-* header, the dlq-* value replaces it; of repeated original header names the last wins.
 */
export function buildDeadLetterMessage(entry: DeadLetterEntry, failedAt: Date): OutgoingMessage {
  const { record } = entry;
  const encoded = record.encodedValue;
  const value = encoded === null || encoded === undefined ? null : decodeBase64(encoded) ?? Buffer.from(encoded, 'utf8');

  const headers: Record<string, string | Buffer> = {};
  for (const [name, bytes] of record.headers) headers[name] = bytes;
  headers[DLQ_HEADER.reason] = entry.reason;
  headers[DLQ_HEADER.error] = entry.message.length > MAX_ERROR_LENGTH ? `${entry.message.slice(0, MAX_ERROR_LENGTH)}…` : entry.message;
  headers[DLQ_HEADER.sourceTopic] = record.coordinates.topic;
  headers[DLQ_HEADER.sourcePartition] = String(record.coordinates.partition);
  headers[DLQ_HEADER.sourceOffset] = String(record.coordinates.offset);
  headers[DLQ_HEADER.failedAt] = failedAt.toISOString();

  return { key: record.key, value, headers };
}
