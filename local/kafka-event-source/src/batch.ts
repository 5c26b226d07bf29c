/**
 * Batch building for one partition: when a batch is due and which buffered records it takes.
 *
 * AWS invokes the function when the batch reaches batchSize, when the batching window expires
 * (the window starts when the first record arrives), or when the payload reaches 6 MB
 * ("Lambda event source mappings", Batching behavior). Filtered-out records ride along in the
 * buffer so that their offsets are committed in order, but they are not sent and do not count
 * toward batchSize or the payload.
 */
import type { KafkaEventRecord } from './event.js';

export interface BufferedRecord {
  record: KafkaEventRecord;
  /** Serialized size inside the event, from recordBytes(). */
  bytes: number;
  /** False when the filter patterns dropped the record. */
  deliver: boolean;
  /** Local clock (ms) when the poller buffered the record. */
  arrivedAt: number;
}

export interface BatchLimits {
  batchSize: number;
  maxPayloadBytes: number;
  /** Size of the event with no records; see envelopeBytes(). */
  envelopeBytes: number;
  maximumBatchingWindowMs: number;
}

export interface BatchCut {
  /** How many entries from the head of the buffer the batch covers, filtered ones included. */
  taken: number;
  records: KafkaEventRecord[];
  payloadBytes: number;
  /** Set when the head record alone exceeds the payload limit, so it can never be sent. */
  oversized?: KafkaEventRecord;
}

export interface Readiness {
  ready: boolean;
  /** When not ready: how long until the window expires. */
  waitMs: number;
}

/** Decides whether the head of the buffer should be invoked now. */
export function batchReadiness(buffer: readonly BufferedRecord[], limits: BatchLimits, now: number): Readiness {
  const first = buffer[0];
  if (first === undefined) return { ready: false, waitMs: Number.POSITIVE_INFINITY };

  let count = 0;
  let bytes = limits.envelopeBytes;
  for (const entry of buffer) {
    if (!entry.deliver) continue;
    count += 1;
    bytes += entry.bytes + 1;
    if (count >= limits.batchSize || bytes > limits.maxPayloadBytes) return { ready: true, waitMs: 0 };
  }

  // Only filtered records: nothing to invoke, commit them right away.
  if (count === 0) return { ready: true, waitMs: 0 };

  const waitMs = first.arrivedAt + limits.maximumBatchingWindowMs - now;
  return waitMs <= 0 ? { ready: true, waitMs: 0 } : { ready: false, waitMs };
}

/** Takes the next batch from the head of the buffer without changing the buffer. */
export function cutBatch(buffer: readonly BufferedRecord[], limits: BatchLimits): BatchCut {
  const records: KafkaEventRecord[] = [];
  let payloadBytes = limits.envelopeBytes;
  let taken = 0;

  for (const entry of buffer) {
    if (!entry.deliver) {
      taken += 1;
      continue;
    }
    if (records.length >= limits.batchSize) break;

    // One comma separates records in the JSON array.
    const added = entry.bytes + (records.length > 0 ? 1 : 0);
    if (payloadBytes + added > limits.maxPayloadBytes) {
      if (records.length === 0) return { taken: taken + 1, records: [], payloadBytes, oversized: entry.record };
      break;
    }
    records.push(entry.record);
    payloadBytes += added;
    taken += 1;
  }

  return { taken, records, payloadBytes };
}
