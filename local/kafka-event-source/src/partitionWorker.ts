/**
 * Delivers one partition's records to the function, one batch in flight at a time, in offset
 * order. The poller appends fetched records; this class decides when a batch is due, invokes,
 * retries with backoff and commits. Kafka access comes in through `commit` and `deadLetter`, so
 * the delivery rules can be driven by tests with a real consumer or with plain functions.
 *
 * Time-line of one batch:
 *
 *   append ─► window or batchSize or 6 MB ─► invoke ─┬─ success ─────────────► commit last + 1
 *                                                     ├─ partial at offset k ──► commit k, retry k..last
 *                                                     └─ error ─► backoff ─► invoke the same records again
 *                                                                  └─ retry cap reached ─► dead-letter (acks=all) ─► commit last + 1
 *
 * The next batch of the partition starts only after the previous one was committed, so a
 * failing batch blocks its partition, as in AWS. On stop, a batch whose invocation is still
 * running may finish and commit; a batch waiting for a retry is left uncommitted.
 */
import type { Logger } from '../../../lib/logger.js';
import { batchReadiness, cutBatch, type BatchCut, type BatchLimits, type BufferedRecord } from './batch.js';
import type { EventSourceMapping } from './config.js';
import type { DeadLetterReason } from './deadLetter.js';
import { FunctionInvocationError, InvokeTransportError } from './errors.js';
import {
  buildKafkaEvent,
  envelopeBytes,
  INVOCATION_PAYLOAD_LIMIT_BYTES,
  recordBytes,
  toEventRecord,
  type EventEnvelope,
  type KafkaEventRecord,
  type SourceRecord,
} from './event.js';
import { matchesAnyPattern } from './filter.js';
import type { Invoker } from './invoker.js';
import { interpretResponse, type BatchResult } from './response.js';
import { backoffDelayMs, retriesExhausted } from './retry.js';

export interface PartitionWorkerOptions {
  mapping: EventSourceMapping;
  envelope: EventEnvelope;
  partition: number;
  invoker: Invoker;
  /** Commits `nextOffset` (the offset after the last finished record) for this partition. */
  commit(nextOffset: string): Promise<void>;
  /** Produces the records to the dead-letter topic; resolves only after the broker acknowledged them. */
  deadLetter(records: readonly KafkaEventRecord[], reason: DeadLetterReason): Promise<void>;
  logger: Logger;
  /** Called whenever the buffer shrinks, so the poller can resume a paused partition. */
  onBufferShrunk?: () => void;
  /** Lowers the payload limit in tests; defaults to 6 MB. */
  maxPayloadBytes?: number;
  now?: () => number;
  random?: () => number;
}

/** Transport failures are logged on the first occurrence and then once per this many. */
const TRANSPORT_WARNING_EVERY = 20;

export class PartitionWorker {
  readonly #options: PartitionWorkerOptions;
  readonly #limits: BatchLimits;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #buffer: BufferedRecord[] = [];
  #bufferedBytes = 0;
  /** Offset after the last buffered record; older offsets fetched again after a rebalance are skipped. */
  #nextOffset: bigint | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  /** Set when stop() gave up waiting: a late result must not commit for a consumer that left. */
  #abandoned = false;

  constructor(options: PartitionWorkerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger.child({ topic: options.mapping.topic, partition: options.partition });
    this.#limits = {
      batchSize: options.mapping.batchSize,
      maxPayloadBytes: options.maxPayloadBytes ?? INVOCATION_PAYLOAD_LIMIT_BYTES,
      envelopeBytes: envelopeBytes(options.envelope, options.mapping.topic, options.partition),
      maximumBatchingWindowMs: options.mapping.maximumBatchingWindowMs,
    };
  }

  get bufferedCount(): number {
    return this.#buffer.length;
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  start(): void {
    this.#loop ??= this.#run().catch((error: unknown) => {
      this.#logger.error('Partition worker stopped after an unexpected error', { error });
    });
  }

  /** Buffers fetched records. Records must come in offset order; already buffered offsets are skipped. */
  append(records: readonly SourceRecord[]): void {
    const arrivedAt = this.#now();
    for (const source of records) {
      const offset = BigInt(source.offset);
      if (this.#nextOffset !== undefined && offset < this.#nextOffset) continue;
      this.#nextOffset = offset + 1n;

      const record = toEventRecord(source);
      const bytes = recordBytes(record);
      this.#buffer.push({ record, bytes, deliver: matchesAnyPattern(this.#options.mapping.filterPatterns, record), arrivedAt });
      this.#bufferedBytes += bytes;
    }
    this.#wake?.();
  }

  /**
   * Stops taking batches and waits up to `timeoutMs` for the batch in flight. Returns false when
   * it gave up; the late result is then neither committed nor retried.
   */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    this.#stopping = true;
    this.#abort.abort();
    this.#wake?.();
    if (this.#loop === undefined) return true;

    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.#loop.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) this.#abandoned = true;
    return finished;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const readiness = batchReadiness(this.#buffer, this.#limits, this.#now());
      if (!readiness.ready) {
        await this.#waitForChange(readiness.waitMs);
        continue;
      }
      await this.#process(cutBatch(this.#buffer, this.#limits));
    }
  }

  async #process(cut: BatchCut): Promise<void> {
    const last = this.#buffer[cut.taken - 1];
    if (last === undefined) return;
    const nextOffset = String(last.record.offset + 1);

    if (cut.oversized !== undefined) {
      await this.#handleOversized(cut.oversized);
    } else if (cut.records.length > 0) {
      const finished = await this.#deliver(cut.records);
      if (!finished) return;
    }

    await this.#commit(nextOffset);
    this.#remove(cut.taken);
  }

  /**
   * Invokes until the records succeed or go to the dead-letter topic. Returns false when the
   * worker stopped first, so the caller must not commit.
   */
  async #deliver(batch: readonly KafkaEventRecord[]): Promise<boolean> {
    const { mapping, invoker } = this.#options;
    let pending = batch;
    let attempts = 0;
    let retries = 0;
    let transportFailures = 0;

    for (;;) {
      if (this.#stopping) return false;

      const event = buildKafkaEvent(this.#options.envelope, pending);
      const payloadBytes = Buffer.byteLength(JSON.stringify(event));
      const startedAt = this.#now();
      let result: BatchResult;
      try {
        const payload = await invoker.invoke(mapping.functionName, event);
        result = interpretResponse(payload, pending, mapping.reportBatchItemFailures);
      } catch (error) {
        if (error instanceof InvokeTransportError) {
          transportFailures += 1;
          if (transportFailures % TRANSPORT_WARNING_EVERY === 1) {
            this.#logger.warn('Invocation did not reach the function; retrying', { functionName: mapping.functionName, failures: transportFailures, error });
          }
          await this.#sleep(backoffDelayMs(transportFailures, mapping.retry, this.#options.random));
          continue;
        }
        result = describeFailure(error);
      }
      attempts += 1;
      transportFailures = 0;
      if (this.#abandoned) return false;
      this.#logInvocation(pending, payloadBytes, this.#now() - startedAt, attempts, result);

      if (result.status === 'success') return true;

      if (result.status === 'partial' && result.retryFromIndex > 0) {
        const lastSucceeded = pending[result.retryFromIndex - 1] as KafkaEventRecord;
        await this.#commit(String(lastSucceeded.offset + 1));
        pending = pending.slice(result.retryFromIndex);
      }

      if (retriesExhausted(retries, mapping.retry)) {
        const failure =
          result.status === 'failure'
            ? result
            : { errorType: 'BatchItemFailures', errorMessage: `The function reported failed offsets ${result.failedOffsets.join(', ')}.` };
        return this.#sendToDeadLetter(pending, failure, attempts);
      }

      retries += 1;
      const delayMs = backoffDelayMs(retries, mapping.retry, this.#options.random);
      this.#logger.info('Retrying batch', {
        functionName: mapping.functionName,
        firstOffset: pending[0]?.offset,
        lastOffset: pending.at(-1)?.offset,
        retry: retries,
        maximumRetryAttempts: mapping.retry.maximumRetryAttempts,
        delayMs,
      });
      await this.#sleep(delayMs);
    }
  }

  async #sendToDeadLetter(records: readonly KafkaEventRecord[], failure: { errorType: string; errorMessage: string }, attempts: number): Promise<boolean> {
    const { mapping } = this.#options;
    const reason: DeadLetterReason = { functionName: mapping.functionName, ...failure, attempts, deadLetteredAt: new Date(this.#now()) };

    // The batch is committed only after the dead-letter topic acknowledged it, so a failed
    // produce is retried here instead of losing the records.
    for (let failures = 1; ; failures += 1) {
      try {
        await this.#options.deadLetter(records, reason);
        this.#logger.error('Batch sent to the dead-letter topic after the retry cap', {
          functionName: mapping.functionName,
          deadLetterTopic: mapping.deadLetterTopic,
          firstOffset: records[0]?.offset,
          lastOffset: records.at(-1)?.offset,
          records: records.length,
          attempts,
          errorType: failure.errorType,
          errorMessage: failure.errorMessage,
        });
        return true;
      } catch (error) {
        this.#logger.error('Dead-letter produce failed; retrying', { deadLetterTopic: mapping.deadLetterTopic, failures, error });
        if (this.#stopping) return false;
        await this.#sleep(backoffDelayMs(failures, mapping.retry, this.#options.random));
        if (this.#stopping) return false;
      }
    }
  }

  async #handleOversized(record: KafkaEventRecord): Promise<void> {
    const { mapping } = this.#options;
    const bytes = recordBytes(record);
    this.#logger.error('Record exceeds the invocation payload limit and cannot be delivered', {
      offset: record.offset,
      recordBytes: bytes,
      maxPayloadBytes: this.#limits.maxPayloadBytes,
    });

    // AWS drops such records. With a local retry cap the record goes to the dead-letter topic.
    if (mapping.retry.maximumRetryAttempts !== -1) {
      await this.#sendToDeadLetter([record], { errorType: 'PayloadTooLarge', errorMessage: `Record of ${bytes} bytes exceeds the ${this.#limits.maxPayloadBytes}-byte payload limit.` }, 0);
    }
  }

  async #commit(nextOffset: string): Promise<void> {
    if (this.#abandoned) return;
    try {
      await this.#options.commit(nextOffset);
    } catch (error) {
      // Commits are cumulative: the next successful commit covers this one. If none follows,
      // the records are delivered again after a restart (at least once, as in AWS).
      this.#logger.error('Offset commit failed', { nextOffset, error });
    }
  }

  #remove(count: number): void {
    const removed = this.#buffer.splice(0, count);
    for (const entry of removed) this.#bufferedBytes -= entry.bytes;
    this.#options.onBufferShrunk?.();
  }

  #logInvocation(records: readonly KafkaEventRecord[], payloadBytes: number, durationMs: number, attempt: number, result: BatchResult): void {
    const fields = {
      functionName: this.#options.mapping.functionName,
      firstOffset: records[0]?.offset,
      lastOffset: records.at(-1)?.offset,
      records: records.length,
      payloadBytes,
      durationMs,
      attempt,
      outcome: result.status,
      ...(result.status === 'failure' ? { errorType: result.errorType, errorMessage: result.errorMessage } : {}),
      ...(result.status === 'partial' ? { failedOffsets: result.failedOffsets } : {}),
    };
    if (result.status === 'success') this.#logger.info('Invocation finished', fields);
    else this.#logger.warn('Invocation finished', fields);
  }

  #waitForChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, Math.max(timeoutMs, 1));
    });
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function describeFailure(error: unknown): BatchResult {
  if (error instanceof FunctionInvocationError) return { status: 'failure', errorType: error.errorType, errorMessage: error.message };
  if (error instanceof Error) return { status: 'failure', errorType: error.name, errorMessage: error.message };
  return { status: 'failure', errorType: 'Error', errorMessage: String(error) };
}
