/**
 * Dead-letter records for batches that used up the local retry cap. Each record keeps its key,
 * value and headers and gains headers with the source coordinates and the last error, so it can
 * be inspected and replayed. Produced with acks=all before the emulator commits past the batch.
 */
import type { OutgoingMessage } from '../../../lib/kafka.js';
import type { KafkaEventRecord } from './event.js';

/** Header names added to every dead-lettered record. */
export const DEAD_LETTER_HEADER = {
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  sourceTimestamp: 'dlq-source-timestamp',
  functionName: 'dlq-function-name',
  errorType: 'dlq-error-type',
  errorMessage: 'dlq-error-message',
  attempts: 'dlq-attempts',
  deadLetteredAt: 'dlq-dead-lettered-at',
} as const;

export interface DeadLetterReason {
  functionName: string;
  errorType: string;
  errorMessage: string;
  /** Invocations made for the batch, the first one included. */
  attempts: number;
  deadLetteredAt: Date;
}

/** Maximum length of the error message copied into a header. The stack trace stays in the log. */
const MAX_ERROR_HEADER_LENGTH = 1000;

export function deadLetterMessages(records: readonly KafkaEventRecord[], reason: DeadLetterReason): OutgoingMessage[] {
  return records.map((record) => {
    const headers: Record<string, string | Buffer> = {};

    // Original headers first. A repeated header name keeps its last value because the producer
    // API takes an object.
    for (const header of record.headers) {
      for (const [name, bytes] of Object.entries(header)) headers[name] = Buffer.from(bytes);
    }

    headers[DEAD_LETTER_HEADER.sourceTopic] = record.topic;
    headers[DEAD_LETTER_HEADER.sourcePartition] = String(record.partition);
    headers[DEAD_LETTER_HEADER.sourceOffset] = String(record.offset);
    headers[DEAD_LETTER_HEADER.sourceTimestamp] = String(record.timestamp);
    headers[DEAD_LETTER_HEADER.functionName] = reason.functionName;
    headers[DEAD_LETTER_HEADER.errorType] = reason.errorType;
    headers[DEAD_LETTER_HEADER.errorMessage] = reason.errorMessage.slice(0, MAX_ERROR_HEADER_LENGTH);
    headers[DEAD_LETTER_HEADER.attempts] = String(reason.attempts);
    headers[DEAD_LETTER_HEADER.deadLetteredAt] = reason.deadLetteredAt.toISOString();

    return {
      key: record.key === undefined ? null : Buffer.from(record.key, 'base64'),
      value: record.value === undefined ? null : Buffer.from(record.value, 'base64'),
      headers,
    };
  });
}
