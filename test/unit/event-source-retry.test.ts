import { describe, expect, it } from 'vitest';
import { toEventRecord, type KafkaEventRecord } from '../../local/kafka-event-source/src/event.js';
import { interpretResponse } from '../../local/kafka-event-source/src/response.js';
import { backoffDelayMs, retriesExhausted } from '../../local/kafka-event-source/src/retry.js';

describe('backoffDelayMs', () => {
  const settings = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles per retry between half and all of the capped delay', () => {
    expect(backoffDelayMs(1, settings, () => 0)).toBe(50);
    expect(backoffDelayMs(1, settings, () => 1)).toBe(100);
    expect(backoffDelayMs(3, settings, () => 0)).toBe(200);
    expect(backoffDelayMs(3, settings, () => 1)).toBe(400);
  });

  it('never exceeds maxDelayMs', () => {
    expect(backoffDelayMs(50, settings, () => 1)).toBe(1000);
    expect(backoffDelayMs(50, settings, () => 0)).toBe(500);
  });

  it('spreads retries with jitter', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelayMs(4, settings)));

    expect(delays.size).toBeGreaterThan(1);
  });
});

describe('retriesExhausted', () => {
  it('never ends with -1', () => {
    expect(retriesExhausted(1_000_000, { maximumRetryAttempts: -1 })).toBe(false);
  });

  it('ends after the configured number of retries', () => {
    expect(retriesExhausted(0, { maximumRetryAttempts: 0 })).toBe(true);
    expect(retriesExhausted(1, { maximumRetryAttempts: 2 })).toBe(false);
    expect(retriesExhausted(2, { maximumRetryAttempts: 2 })).toBe(true);
  });
});

function batch(...offsets: number[]): KafkaEventRecord[] {
  return offsets.map((offset) =>
    toEventRecord({ topic: 'payment-events', partition: 2, offset: String(offset), timestamp: '1', timestampType: 'CREATE_TIME', key: null, value: Buffer.from('{}'), headers: [] }),
  );
}

const failureFor = (offset: unknown, partition: unknown = 'payment-events-2') => ({ itemIdentifier: { partition, offset } });

describe('interpretResponse', () => {
  const records = batch(10, 11, 12, 13);

  it('treats any response as success when partial batch responses are off', () => {
    expect(interpretResponse({ batchItemFailures: [failureFor(11)] }, records, false)).toEqual({ status: 'success' });
  });

  it.each([[undefined], [null], ['done'], [{}], [{ batchItemFailures: [] }], [{ batchItemFailures: null }]])('treats %j as full success', (payload) => {
    expect(interpretResponse(payload, records, true)).toEqual({ status: 'success' });
  });

  it('retries from the lowest reported offset', () => {
    const result = interpretResponse({ batchItemFailures: [failureFor(12), failureFor(11)] }, records, true);

    expect(result).toEqual({ status: 'partial', retryFromIndex: 1, failedOffsets: [12, 11] });
  });

  it('accepts the offset as a numeric string', () => {
    expect(interpretResponse({ batchItemFailures: [failureFor('13')] }, records, true)).toMatchObject({ status: 'partial', retryFromIndex: 3 });
  });

  it.each([
    [{ batchItemFailures: 'all' }],
    [{ batchItemFailures: [{ itemIdentifier: null }] }],
    [{ batchItemFailures: [{ itemIdentifier: '' }] }],
    [{ batchItemFailures: [{ itemIdentifier: 'payment-events-2@11' }] }],
    [{ batchItemFailures: [{ id: { partition: 'payment-events-2', offset: 11 } }] }],
    [{ batchItemFailures: [failureFor(99)] }],
    [{ batchItemFailures: [failureFor(11, 'payment-events-3')] }],
    [{ batchItemFailures: [failureFor(11.5)] }],
  ])('fails the whole batch for %j', (payload) => {
    expect(interpretResponse(payload, records, true)).toMatchObject({ status: 'failure', errorType: 'InvalidBatchItemFailures' });
  });
});
