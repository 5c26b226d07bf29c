import { describe, expect, it } from 'vitest';
import { readEmulatorSettings, type ServiceDescription } from '../../local/kafka-event-source/src/config.js';
import { EventSourceConfigError } from '../../local/kafka-event-source/src/errors.js';

const ARN = 'arn:aws:kafka:eu-west-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1';

function service(event: Record<string, unknown>, extra: Partial<ServiceDescription> = {}): ServiceDescription {
  return {
    functions: [{ key: 'processPayments', name: 'payment-webhooks-local-processPayments', events: [{ http: { path: '/x' } }, event] }],
    localSettings: undefined,
    env: {},
    ...extra,
  };
}

function expectConfigError(run: () => unknown, ...fragments: string[]) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EventSourceConfigError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe('readEmulatorSettings', () => {
  it('applies the AWS defaults to a minimal msk event', () => {
    const settings = readEmulatorSettings(service({ msk: { arn: ARN, topic: 'payment-events' } }));
    const mapping = settings.mappings[0]!;

    expect(settings.mappings).toHaveLength(1);
    expect(mapping.kind).toBe('msk');
    expect(mapping.functionName).toBe('payment-webhooks-local-processPayments');
    expect(mapping.batchSize).toBe(100);
    expect(mapping.maximumBatchingWindowMs).toBe(500);
    expect(mapping.startingPosition).toBe('TRIM_HORIZON');
    expect(mapping.enabled).toBe(true);
    expect(mapping.eventSourceArn).toBe(ARN);
    expect(mapping.retry.maximumRetryAttempts).toBe(-1);
    expect(mapping.deadLetterTopic).toBe('payment-events.dlq');
    expect(mapping.reportBatchItemFailures).toBe(false);
    expect(settings.brokers).toEqual(['127.0.0.1:9092']);
    expect(settings.lambdaEndpoint).toBe('http://127.0.0.1:3002');
  });

  it('reads the event as written in serverless.yml', () => {
    const settings = readEmulatorSettings(
      service({
        msk: {
          arn: ARN,
          topic: 'payment-events',
          batchSize: 10000,
          maximumBatchingWindow: 300,
          startingPosition: 'LATEST',
          consumerGroupId: 'payment-processor',
          enabled: false,
          filterPatterns: [{ value: { eventType: ['PAYMENT_SUCCESS'] } }],
        },
      }),
    );
    const mapping = settings.mappings[0]!;

    expect(mapping.batchSize).toBe(10000);
    expect(mapping.maximumBatchingWindowMs).toBe(300_000);
    expect(mapping.startingPosition).toBe('LATEST');
    expect(mapping.consumerGroupId).toBe('payment-processor');
    expect(mapping.enabled).toBe(false);
    expect(mapping.filterPatterns).toHaveLength(1);
  });

  it('reads a kafka event without an ARN', () => {
    const settings = readEmulatorSettings(
      service({ kafka: { topic: 'orders', bootstrapServers: ['b-1:9092'], accessConfigurations: { saslScram512Auth: ['arn:x'] } } }),
    );

    expect(settings.mappings[0]!.kind).toBe('kafka');
    expect(settings.mappings[0]!.eventSourceArn).toBeUndefined();
  });

  it('accepts a batching window of 0', () => {
    const settings = readEmulatorSettings(service({ msk: { arn: ARN, topic: 't', maximumBatchingWindow: 0 } }));

    expect(settings.mappings[0]!.maximumBatchingWindowMs).toBe(0);
  });

  it.each<[Record<string, unknown>, ...string[]]>([
    [{ batchSize: 0 }, 'batchSize=0', 'from 1 to 10000'],
    [{ batchSize: 10001 }, 'batchSize=10001'],
    [{ batchSize: 2.5 }, 'batchSize=2.5'],
    [{ maximumBatchingWindow: 301 }, 'maximumBatchingWindow=301', 'from 0 to 300'],
    [{ maximumBatchingWindow: -1 }, 'maximumBatchingWindow=-1'],
    [{ startingPosition: 'EARLIEST' }, 'startingPosition="EARLIEST"'],
    [{ startingPosition: 'AT_TIMESTAMP' }, 'startingPositionTimestamp'],
    [{ consumerGroupId: 'x'.repeat(201) }, 'consumerGroupId='],
    [{ consumerGroupId: 'bad group' }, 'consumerGroupId="bad group"'],
    [{ enabled: 'maybe' }, 'enabled in'],
    [{ topic: '' }, 'topic=""'],
    [{ arn: '' }, 'Missing arn'],
    [{ filterPatterns: [{ value: { eventType: [{ wildcard: 'x*' }] } }] }, 'filterPatterns[0]', 'value.eventType[0]'],
    [{ filterPatterns: { value: {} } }, 'filterPatterns in'],
  ])('rejects %j naming the key', (override, ...fragments) => {
    expectConfigError(
      () => readEmulatorSettings(service({ msk: { arn: ARN, topic: 'payment-events', ...override } })),
      ...fragments,
      'processPayments',
    );
  });

  it('converts startingPositionTimestamp from seconds to milliseconds', () => {
    const settings = readEmulatorSettings(
      service({ msk: { arn: ARN, topic: 't', startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 1_700_000_000 } }),
    );

    expect(settings.mappings[0]!.startingPositionTimestampMs).toBe(1_700_000_000_000);
  });

  it('takes brokers from custom settings before KAFKA_BROKERS', () => {
    const fromEnv = readEmulatorSettings(service({ msk: { arn: ARN, topic: 't' } }, { env: { KAFKA_BROKERS: 'a:1, b:2' } }));
    const fromCustom = readEmulatorSettings(
      service({ msk: { arn: ARN, topic: 't' } }, { env: { KAFKA_BROKERS: 'a:1' }, localSettings: { brokers: 'c:3' } }),
    );

    expect(fromEnv.brokers).toEqual(['a:1', 'b:2']);
    expect(fromCustom.brokers).toEqual(['c:3']);
  });

  it('rejects a broker without a port', () => {
    expectConfigError(() => readEmulatorSettings(service({ msk: { arn: ARN, topic: 't' } }, { env: { KAFKA_BROKERS: 'localhost' } })), '"localhost"', 'host:port');
  });

  it('applies function overrides from custom settings and then the environment', () => {
    const settings = readEmulatorSettings(
      service(
        { msk: { arn: ARN, topic: 'payment-events', consumerGroupId: 'payment-processor' } },
        {
          localSettings: { maximumRetryAttempts: '3', deadLetterTopic: 'payment-events.dlq', functions: { processPayments: { topic: 'from-custom', batchSize: 5 } } },
          env: { KAFKA_EVENT_SOURCE_OVERRIDES: JSON.stringify({ processPayments: { topic: 'test-esm-1', consumerGroupId: 'test-group' } }) },
        },
      ),
    );
    const mapping = settings.mappings[0]!;

    expect(mapping.topic).toBe('test-esm-1');
    expect(mapping.consumerGroupId).toBe('test-group');
    expect(mapping.batchSize).toBe(5);
    expect(mapping.retry.maximumRetryAttempts).toBe(3);
    expect(mapping.deadLetterTopic).toBe('payment-events.dlq');
  });

  it('rejects an unknown override key', () => {
    expectConfigError(
      () => readEmulatorSettings(service({ msk: { arn: ARN, topic: 't' } }, { env: { KAFKA_EVENT_SOURCE_OVERRIDES: '{"processPayments":{"arn":"x"}}' } })),
      'override arn',
    );
  });

  it('rejects overrides that are not JSON', () => {
    expectConfigError(() => readEmulatorSettings(service({ msk: { arn: ARN, topic: 't' } }, { env: { KAFKA_EVENT_SOURCE_OVERRIDES: '{topic' } })), 'KAFKA_EVENT_SOURCE_OVERRIDES');
  });

  it('rejects a retry cap outside -1 to 10000', () => {
    expectConfigError(
      () => readEmulatorSettings(service({ msk: { arn: ARN, topic: 't' } }, { localSettings: { maximumRetryAttempts: -2 } })),
      'maximumRetryAttempts=-2',
    );
  });

  it('uses the lambdaPort of serverless-offline for the endpoint', () => {
    const settings = readEmulatorSettings(service({ msk: { arn: ARN, topic: 't' } }, { lambdaPort: 4002 }));

    expect(settings.lambdaEndpoint).toBe('http://127.0.0.1:4002');
  });
});
