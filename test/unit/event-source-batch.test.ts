import { describe, expect, it } from 'vitest';
import { batchReadiness, cutBatch, type BatchLimits, type BufferedRecord } from '../../local/kafka-event-source/src/batch.js';
import { recordBytes, toEventRecord } from '../../local/kafka-event-source/src/event.js';

function entry(offset: number, options: { deliver?: boolean; arrivedAt?: number; valueBytes?: number } = {}): BufferedRecord {
  const record = toEventRecord({
    topic: 't',
    partition: 0,
    offset: String(offset),
    timestamp: '1',
    timestampType: 'CREATE_TIME',
    key: null,
    value: Buffer.alloc(options.valueBytes ?? 3, 'a'),
    headers: [],
  });
  return { record, bytes: recordBytes(record), deliver: options.deliver ?? true, arrivedAt: options.arrivedAt ?? 0 };
}

const limits: BatchLimits = { batchSize: 3, maxPayloadBytes: 6 * 1024 * 1024, envelopeBytes: 100, maximumBatchingWindowMs: 500 };

describe('batchReadiness', () => {
  it('waits for the window while the batch is short', () => {
    const readiness = batchReadiness([entry(0, { arrivedAt: 1000 })], limits, 1200);

    expect(readiness.ready).toBe(false);
    expect(readiness.waitMs).toBe(300);
  });

  it('is ready when the window expired', () => {
    expect(batchReadiness([entry(0, { arrivedAt: 1000 })], limits, 1500).ready).toBe(true);
  });

  it('is ready when batchSize records are buffered', () => {
    expect(batchReadiness([entry(0), entry(1), entry(2)], limits, 0).ready).toBe(true);
  });

  it('is ready when the payload would pass the limit', () => {
    const small = { ...limits, maxPayloadBytes: 100 + 2 * entry(0).bytes };

    expect(batchReadiness([entry(0), entry(1)], small, 0).ready).toBe(true);
  });

  it('is ready at once when only filtered records are buffered', () => {
    expect(batchReadiness([entry(0, { deliver: false, arrivedAt: 1000 })], limits, 1000).ready).toBe(true);
  });

  it('is not ready on an empty buffer', () => {
    expect(batchReadiness([], limits, 0).ready).toBe(false);
  });

  it('does not count filtered records toward batchSize', () => {
    const buffer = [entry(0), entry(1, { deliver: false }), entry(2), entry(3, { deliver: false })];

    expect(batchReadiness(buffer, limits, 0).ready).toBe(false);
  });
});

describe('cutBatch', () => {
  it('takes at most batchSize records', () => {
    const cut = cutBatch([entry(0), entry(1), entry(2), entry(3)], limits);

    expect(cut.records.map((record) => record.offset)).toEqual([0, 1, 2]);
    expect(cut.taken).toBe(3);
  });

  it('covers filtered records without sending them', () => {
    const cut = cutBatch([entry(0, { deliver: false }), entry(1), entry(2, { deliver: false }), entry(3)], limits);

    expect(cut.records.map((record) => record.offset)).toEqual([1, 3]);
    expect(cut.taken).toBe(4);
  });

  it('cuts the batch before the payload limit', () => {
    const one = entry(0, { valueBytes: 1000 });
    const tight = { ...limits, batchSize: 100, maxPayloadBytes: 100 + 2 * one.bytes + 1 };
    const buffer = [entry(0, { valueBytes: 1000 }), entry(1, { valueBytes: 1000 }), entry(2, { valueBytes: 1000 })];

    const cut = cutBatch(buffer, tight);

    expect(cut.records).toHaveLength(2);
    expect(cut.payloadBytes).toBeLessThanOrEqual(tight.maxPayloadBytes);
    expect(cut.payloadBytes).toBe(100 + 2 * one.bytes + 1);
  });

  it('reports a head record larger than the limit as oversized', () => {
    const cut = cutBatch([entry(0, { valueBytes: 5000 }), entry(1)], { ...limits, maxPayloadBytes: 1000 });

    expect(cut.oversized?.offset).toBe(0);
    expect(cut.records).toHaveLength(0);
    expect(cut.taken).toBe(1);
  });
});
