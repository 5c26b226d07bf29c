/**
 * Interprets the function's return value for one batch.
 *
 * With partial batch responses enabled (ReportBatchItemFailures), the function returns
 * `{ batchItemFailures: [{ itemIdentifier: { partition: "<topic>-<partition>", offset: <offset> } }] }`.
 * Lambda commits the records before the lowest reported offset and retries from it, so the
 * reported record and every record after it in the partition are delivered again. An empty or
 * missing list means full success. A malformed identifier, or one that names a record not in the
 * batch, fails the whole batch, as for stream sources ("Configuring partial batch response with
 * Kinesis Data Streams and Lambda", Success and failure conditions).
 *
 * NOTE: the identifier shape comes from the Kafka batch processors of Powertools for AWS Lambda
 * (Python) and aws-lambda-rust-runtime. The AWS page on Kafka error handling controls that was
 * available here names the feature but does not show the JSON.
 *
 * Without partial batch responses, any value the function returns is a full success.
 */
import { partitionKey, type KafkaEventRecord } from './event.js';

export type BatchResult =
  | { status: 'success' }
  /** Records before `retryFromIndex` succeeded; retry the batch from that index. */
  | { status: 'partial'; retryFromIndex: number; failedOffsets: number[] }
  | { status: 'failure'; errorType: string; errorMessage: string };

export function interpretResponse(payload: unknown, batch: readonly KafkaEventRecord[], reportBatchItemFailures: boolean): BatchResult {
  if (!reportBatchItemFailures) return { status: 'success' };
  if (payload === null || payload === undefined || typeof payload !== 'object') return { status: 'success' };

  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { status: 'success' };
  if (!Array.isArray(failures)) return invalid(`batchItemFailures is ${typeof failures}, expected an array`);
  if (failures.length === 0) return { status: 'success' };

  const indexByCoordinates = new Map<string, number>();
  batch.forEach((record, index) => indexByCoordinates.set(`${partitionKey(record.topic, record.partition)}@${record.offset}`, index));

  let retryFromIndex = Number.POSITIVE_INFINITY;
  const failedOffsets: number[] = [];
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (identifier === null || typeof identifier !== 'object') {
      return invalid(`itemIdentifier ${JSON.stringify(identifier)} is not { partition, offset }`);
    }
    const { partition, offset } = identifier as { partition?: unknown; offset?: unknown };
    const offsetNumber = typeof offset === 'string' && /^\d+$/.test(offset) ? Number(offset) : offset;
    if (typeof partition !== 'string' || typeof offsetNumber !== 'number' || !Number.isInteger(offsetNumber)) {
      return invalid(`itemIdentifier ${JSON.stringify(identifier)} is not { partition: "<topic>-<partition>", offset: <integer> }`);
    }
    const index = indexByCoordinates.get(`${partition}@${offsetNumber}`);
    if (index === undefined) return invalid(`itemIdentifier ${JSON.stringify(identifier)} names a record that is not in this batch`);
    failedOffsets.push(offsetNumber);
    retryFromIndex = Math.min(retryFromIndex, index);
  }

  return { status: 'partial', retryFromIndex, failedOffsets };
}

function invalid(reason: string): BatchResult {
  return { status: 'failure', errorType: 'InvalidBatchItemFailures', errorMessage: `Invalid partial batch response: ${reason}.` };
}
