import { describe, expect, it } from 'vitest';
import { buildKafkaEvent, envelopeBytes, recordBytes, toEventRecord, type SourceRecord } from '../../local/kafka-event-source/src/event.js';

/**
 * The example events from the AWS Lambda Developer Guide pages "Using Lambda with Amazon MSK" and
 * "Using Lambda with self-managed Apache Kafka", as published. The emulator builds the same
 * records from the same inputs and the tests compare them field by field.
 */
const AWS_MSK_SAMPLE = {
  eventSource: 'aws:kafka',
  eventSourceArn: 'arn:aws:kafka:sa-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
  bootstrapServers: 'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
  records: {
    'mytopic-0': [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: 'abcDEFghiJKLmnoPQRstuVWXyz1234==',
        value: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
      },
    ],
  },
};

const AWS_SELF_MANAGED_SAMPLE = {
  eventSource: 'SelfManagedKafka',
  bootstrapServers: 'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
  records: AWS_MSK_SAMPLE.records,
};

const SAMPLE_BROKERS = AWS_MSK_SAMPLE.bootstrapServers.split(',');
const SAMPLE_RECORD = AWS_MSK_SAMPLE.records['mytopic-0'][0]!;

/** Builds the broker-side record behind the documentation sample. */
function sampleSourceRecord(): SourceRecord {
  return {
    topic: 'mytopic',
    partition: 0,
    offset: '15',
    timestamp: '1545084650987',
    timestampType: 'CREATE_TIME',
    key: Buffer.from(SAMPLE_RECORD.key, 'base64'),
    value: Buffer.from('Hello, this is a test.'),
    headers: [['headerKey', Buffer.from('headerValue')]],
  };
}

function compareWithSample(built: ReturnType<typeof buildKafkaEvent>, sample: typeof AWS_SELF_MANAGED_SAMPLE & { eventSourceArn?: string }) {
  expect(built.eventSource).toBe(sample.eventSource);
  expect(built.eventSourceArn).toBe(sample.eventSourceArn);
  expect(built.bootstrapServers).toBe(sample.bootstrapServers);
  expect(Object.keys(built.records)).toEqual(Object.keys(sample.records));

  const record = built.records['mytopic-0']![0]!;
  expect(record.topic).toBe(SAMPLE_RECORD.topic);
  expect(record.partition).toBe(SAMPLE_RECORD.partition);
  expect(record.offset).toBe(SAMPLE_RECORD.offset);
  expect(record.timestamp).toBe(SAMPLE_RECORD.timestamp);
  expect(record.timestampType).toBe(SAMPLE_RECORD.timestampType);
  expect(record.value).toBe(SAMPLE_RECORD.value);
  expect(record.headers).toEqual(SAMPLE_RECORD.headers);

  // The documented key ends in "34==": its last character carries padding bits, so it is not the
  // canonical base64 of any byte string. Only the decoded bytes can match.
  expect(Buffer.from(record.key!, 'base64')).toEqual(Buffer.from(SAMPLE_RECORD.key, 'base64'));
  expect(Object.keys(record)).toEqual(Object.keys(SAMPLE_RECORD));
  expect(Object.keys(built)).toEqual(Object.keys(sample));
}

describe('buildKafkaEvent', () => {
  it('matches the AWS MSK sample event field by field', () => {
    const built = buildKafkaEvent(
      { kind: 'msk', eventSourceArn: AWS_MSK_SAMPLE.eventSourceArn, bootstrapServers: SAMPLE_BROKERS },
      [toEventRecord(sampleSourceRecord())],
    );

    compareWithSample(built, AWS_MSK_SAMPLE);
  });

  it('matches the AWS self-managed Kafka sample event field by field', () => {
    const built = buildKafkaEvent({ kind: 'kafka', eventSourceArn: 'ignored', bootstrapServers: SAMPLE_BROKERS }, [toEventRecord(sampleSourceRecord())]);

    compareWithSample(built, AWS_SELF_MANAGED_SAMPLE);
    expect('eventSourceArn' in built).toBe(false);
  });

  it('omits key when the record key is null', () => {
    const record = toEventRecord({ ...sampleSourceRecord(), key: null });

    expect('key' in record).toBe(false);
    expect(record.value).toBe(SAMPLE_RECORD.value);
  });

  it('omits value for a tombstone', () => {
    const record = toEventRecord({ ...sampleSourceRecord(), value: null });

    expect('value' in record).toBe(false);
    expect(record.key).toBeDefined();
  });

  it('keeps an empty key as an empty string', () => {
    const record = toEventRecord({ ...sampleSourceRecord(), key: Buffer.alloc(0) });

    expect(record.key).toBe('');
  });

  it('writes each header value as its own one-key object', () => {
    const record = toEventRecord({
      ...sampleSourceRecord(),
      headers: [
        ['trace', Buffer.from('a')],
        ['trace', Buffer.from('b')],
        ['event-id', Buffer.from('evt_1')],
      ],
    });

    expect(record.headers).toEqual([{ trace: [97] }, { trace: [98] }, { 'event-id': [...Buffer.from('evt_1')] }]);
  });

  it('groups records by topic-partition in the given order', () => {
    const base = sampleSourceRecord();
    const records = [
      toEventRecord({ ...base, partition: 1, offset: '7' }),
      toEventRecord({ ...base, partition: 0, offset: '3' }),
      toEventRecord({ ...base, partition: 1, offset: '8' }),
    ];

    const event = buildKafkaEvent({ kind: 'msk', eventSourceArn: 'arn:x', bootstrapServers: ['127.0.0.1:9092'] }, records);

    expect(Object.keys(event.records)).toEqual(['mytopic-1', 'mytopic-0']);
    expect(event.records['mytopic-1']!.map((record) => record.offset)).toEqual([7, 8]);
    expect(event.records['mytopic-0']!.map((record) => record.offset)).toEqual([3]);
    expect(event.bootstrapServers).toBe('127.0.0.1:9092');
  });

  it('reports LOG_APPEND_TIME records as such', () => {
    const record = toEventRecord({ ...sampleSourceRecord(), timestampType: 'LOG_APPEND_TIME' });

    expect(record.timestampType).toBe('LOG_APPEND_TIME');
  });
});

describe('event size helpers', () => {
  it('add up to the serialized event size', () => {
    const envelope = { kind: 'msk' as const, eventSourceArn: 'arn:x', bootstrapServers: ['127.0.0.1:9092'] };
    const records = [toEventRecord(sampleSourceRecord()), toEventRecord({ ...sampleSourceRecord(), offset: '16' })];

    const computed = envelopeBytes(envelope, 'mytopic', 0) + records.reduce((sum, record) => sum + recordBytes(record), 0) + 1;

    expect(computed).toBe(Buffer.byteLength(JSON.stringify(buildKafkaEvent(envelope, records))));
  });
});
