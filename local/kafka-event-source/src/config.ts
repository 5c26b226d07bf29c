/**
 * Reads the `msk` and `kafka` events of every function and the local `custom.kafkaEventSource`
 * settings into validated event-source mappings. Pure: the caller passes plain data from
 * serverless.yml and the environment, so unit tests exercise every rule without the framework.
 *
 * Ranges and defaults follow the CreateEventSourceMapping API and "Lambda event source mappings"
 * (AWS Lambda Developer Guide):
 * - batchSize 1-10,000, default 100;
 * - maximumBatchingWindow 0-300 s in whole seconds, Kafka default 500 ms when unset;
 * - startingPosition TRIM_HORIZON, LATEST or AT_TIMESTAMP (startingPositionTimestamp in Unix seconds);
 * - consumerGroupId at most 200 characters;
 * - maximum retry attempts -1 (unlimited) or 0-10,000.
 */
import { EventSourceConfigError } from './errors.js';
import type { EventSourceKind } from './event.js';
import { validateFilterPattern, type FilterPattern } from './filter.js';

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

export interface RetrySettings {
  /** -1 retries until the batch succeeds, like AWS; any other value sends the batch to the dead-letter topic after that many retries. */
  maximumRetryAttempts: number;
  /** First backoff delay; each further retry doubles it up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface EventSourceMapping {
  /** For logs: `<function key>/<msk|kafka>/<topic>`. */
  id: string;
  functionKey: string;
  /** The deployed name, for example payment-webhooks-local-processPayments; serverless-offline invokes by it. */
  functionName: string;
  kind: EventSourceKind;
  topic: string;
  eventSourceArn?: string;
  batchSize: number;
  maximumBatchingWindowMs: number;
  startingPosition: StartingPosition;
  /** Milliseconds since the epoch; set only for AT_TIMESTAMP. */
  startingPositionTimestampMs?: number;
  consumerGroupId: string;
  enabled: boolean;
  filterPatterns: FilterPattern[];
  reportBatchItemFailures: boolean;
  retry: RetrySettings;
  deadLetterTopic: string;
}

export interface EmulatorSettings {
  enabled: boolean;
  brokers: string[];
  /** Base URL of serverless-offline's Lambda Invoke API. */
  lambdaEndpoint: string;
  mappings: EventSourceMapping[];
}

export interface FunctionDescription {
  key: string;
  name: string;
  events: readonly unknown[];
}

export interface ServiceDescription {
  functions: readonly FunctionDescription[];
  /** The `custom.kafkaEventSource` block, if any. */
  localSettings: unknown;
  /** serverless-offline's `lambdaPort` (default 3002). */
  lambdaPort?: number;
  env: Record<string, string | undefined>;
}

export const DEFAULT_BATCH_SIZE = 100;
export const MAX_BATCH_SIZE = 10_000;
export const MAX_BATCHING_WINDOW_SECONDS = 300;
/** AWS applies 500 ms to Amazon MSK and self-managed Kafka when maximumBatchingWindow is not set. */
export const DEFAULT_KAFKA_BATCHING_WINDOW_MS = 500;
export const DEFAULT_BROKERS = ['127.0.0.1:9092'];
export const DEFAULT_LAMBDA_PORT = 3002;
const DEFAULT_RETRY: RetrySettings = { maximumRetryAttempts: -1, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Event keys a mapping may set locally; the rest (arn, accessConfigurations, saslScram512...) only matter in the cloud. */
const OVERRIDABLE_KEYS = [
  'topic',
  'batchSize',
  'maximumBatchingWindow',
  'startingPosition',
  'startingPositionTimestamp',
  'consumerGroupId',
  'enabled',
  'filterPatterns',
  'reportBatchItemFailures',
  'maximumRetryAttempts',
  'deadLetterTopic',
] as const;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const CONSUMER_GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Builds the settings for every `msk` and `kafka` event. Throws EventSourceConfigError naming
 * the function, the event and the key when a value is missing or outside its range.
 *
 * Local overrides, applied in this order (later wins) on top of the event in serverless.yml:
 * `custom.kafkaEventSource.functions.<function key>` and the JSON in env
 * KAFKA_EVENT_SOURCE_OVERRIDES, for example `{"processPayments":{"topic":"test-esm-1"}}`.
 */
export function readEmulatorSettings(service: ServiceDescription): EmulatorSettings {
  const local = readLocalBlock(service.localSettings);
  const envOverrides = readEnvOverrides(service.env.KAFKA_EVENT_SOURCE_OVERRIDES);

  const brokers = readBrokers(local.brokers, service.env.KAFKA_BROKERS);
  const lambdaPort = service.lambdaPort ?? DEFAULT_LAMBDA_PORT;
  const lambdaEndpoint = readOptionalString(local.lambdaEndpoint, 'custom.kafkaEventSource.lambdaEndpoint') ?? `http://127.0.0.1:${lambdaPort}`;
  const enabled = readBooleanSetting(local.enabled, 'custom.kafkaEventSource.enabled') ?? true;

  const mappings: EventSourceMapping[] = [];
  for (const fn of service.functions) {
    const functionOverrides = {
      ...readFunctionOverrides(local.functions, fn.key),
      ...(isPlainObject(envOverrides[fn.key]) ? (envOverrides[fn.key] as Record<string, unknown>) : {}),
    };
    fn.events.forEach((event, index) => {
      if (!isPlainObject(event)) return;
      for (const kind of ['msk', 'kafka'] as const) {
        const raw = event[kind];
        if (raw === undefined) continue;
        const where = `function ${fn.key}, events[${index}].${kind}`;
        if (!isPlainObject(raw)) throw new EventSourceConfigError(`Invalid ${where}: expected an object with at least a topic.`);
        mappings.push(readMapping(fn, kind, { ...raw, ...pickOverrides(functionOverrides) }, local, where));
      }
    });
  }

  return { enabled, brokers, lambdaEndpoint, mappings };
}

interface LocalBlock {
  brokers?: unknown;
  lambdaEndpoint?: unknown;
  enabled?: unknown;
  reportBatchItemFailures?: unknown;
  maximumRetryAttempts?: unknown;
  retryBaseDelayMs?: unknown;
  retryMaxDelayMs?: unknown;
  deadLetterTopic?: unknown;
  functions?: unknown;
}

function readLocalBlock(raw: unknown): LocalBlock {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw new EventSourceConfigError('Invalid custom.kafkaEventSource: expected an object.');
  return raw as LocalBlock;
}

function readEnvOverrides(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new EventSourceConfigError(
      `Invalid KAFKA_EVENT_SOURCE_OVERRIDES: not JSON (${(error as Error).message}). Expected {"<function key>": {"topic": "..."}}.`,
    );
  }
  if (!isPlainObject(parsed)) {
    throw new EventSourceConfigError('Invalid KAFKA_EVENT_SOURCE_OVERRIDES: expected a JSON object keyed by function key.');
  }
  return parsed;
}

function readFunctionOverrides(functions: unknown, key: string): Record<string, unknown> {
  if (functions === undefined || functions === null) return {};
  if (!isPlainObject(functions)) throw new EventSourceConfigError('Invalid custom.kafkaEventSource.functions: expected an object keyed by function key.');
  const entry = functions[key];
  if (entry === undefined || entry === null) return {};
  if (!isPlainObject(entry)) throw new EventSourceConfigError(`Invalid custom.kafkaEventSource.functions.${key}: expected an object.`);
  return entry;
}

function pickOverrides(overrides: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (!(OVERRIDABLE_KEYS as readonly string[]).includes(key)) {
      throw new EventSourceConfigError(`Invalid local override ${key}: expected one of ${OVERRIDABLE_KEYS.join(', ')}.`);
    }
    picked[key] = value;
  }
  return picked;
}

function readBrokers(fromSettings: unknown, fromEnv: string | undefined): string[] {
  let list: string[] = [];
  if (Array.isArray(fromSettings)) list = fromSettings.map(String);
  else if (typeof fromSettings === 'string') list = fromSettings.split(',');
  else if (fromSettings !== undefined && fromSettings !== null) {
    throw new EventSourceConfigError('Invalid custom.kafkaEventSource.brokers: expected "host:port,host:port" or a list.');
  } else if (fromEnv !== undefined) list = fromEnv.split(',');

  const brokers = list.map((item) => item.trim()).filter((item) => item !== '');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new EventSourceConfigError(`Invalid broker ${JSON.stringify(broker)} in custom.kafkaEventSource.brokers or KAFKA_BROKERS: expected host:port.`);
    }
  }
  return brokers.length > 0 ? brokers : [...DEFAULT_BROKERS];
}

function readMapping(
  fn: FunctionDescription,
  kind: EventSourceKind,
  event: Record<string, unknown>,
  local: LocalBlock,
  where: string,
): EventSourceMapping {
  const topic = event.topic;
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic)) {
    throw new EventSourceConfigError(`Invalid topic=${JSON.stringify(topic)} in ${where}: expected a Kafka topic name of 1-249 letters, digits, '.', '_' or '-'.`);
  }
  const at = `${where} (topic ${topic})`;

  const batchSize = readInteger(event.batchSize, 'batchSize', at, 1, MAX_BATCH_SIZE) ?? DEFAULT_BATCH_SIZE;
  const windowSeconds = readInteger(event.maximumBatchingWindow, 'maximumBatchingWindow', at, 0, MAX_BATCHING_WINDOW_SECONDS);

  const startingPosition = (event.startingPosition ?? 'TRIM_HORIZON') as StartingPosition;
  if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) {
    throw new EventSourceConfigError(`Invalid startingPosition=${JSON.stringify(event.startingPosition)} in ${at}: expected TRIM_HORIZON, LATEST or AT_TIMESTAMP.`);
  }
  let startingPositionTimestampMs: number | undefined;
  if (startingPosition === 'AT_TIMESTAMP') {
    const seconds = event.startingPositionTimestamp;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new EventSourceConfigError(`Missing or invalid startingPositionTimestamp in ${at}: AT_TIMESTAMP needs a Unix time in seconds.`);
    }
    startingPositionTimestampMs = Math.round(seconds * 1000);
  }

  const consumerGroupId = event.consumerGroupId ?? `${fn.name}-${kind}-${topic}`;
  if (typeof consumerGroupId !== 'string' || !CONSUMER_GROUP_ID.test(consumerGroupId)) {
    throw new EventSourceConfigError(
      `Invalid consumerGroupId=${JSON.stringify(consumerGroupId)} in ${at}: expected 1-200 characters from letters, digits and -/*:_+=.@.`,
    );
  }

  let eventSourceArn: string | undefined;
  if (kind === 'msk') {
    if (typeof event.arn !== 'string' || event.arn === '') {
      throw new EventSourceConfigError(`Missing arn in ${at}: an msk event needs the cluster ARN (a placeholder is fine locally).`);
    }
    eventSourceArn = event.arn;
  }

  const filterPatterns = readFilterPatterns(event.filterPatterns, at);

  const retry: RetrySettings = {
    maximumRetryAttempts:
      readInteger(event.maximumRetryAttempts ?? local.maximumRetryAttempts, 'maximumRetryAttempts', at, -1, 10_000) ?? DEFAULT_RETRY.maximumRetryAttempts,
    baseDelayMs: readInteger(local.retryBaseDelayMs, 'retryBaseDelayMs', 'custom.kafkaEventSource', 1, 600_000) ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: readInteger(local.retryMaxDelayMs, 'retryMaxDelayMs', 'custom.kafkaEventSource', 1, 3_600_000) ?? DEFAULT_RETRY.maxDelayMs,
  };
  if (retry.maxDelayMs < retry.baseDelayMs) {
    throw new EventSourceConfigError(`Invalid retryMaxDelayMs=${retry.maxDelayMs} in custom.kafkaEventSource: expected at least retryBaseDelayMs=${retry.baseDelayMs}.`);
  }

  const deadLetterTopic = event.deadLetterTopic ?? local.deadLetterTopic ?? `${topic}.dlq`;
  if (typeof deadLetterTopic !== 'string' || !TOPIC_NAME.test(deadLetterTopic)) {
    throw new EventSourceConfigError(`Invalid deadLetterTopic=${JSON.stringify(deadLetterTopic)} in ${at}: expected a Kafka topic name.`);
  }

  return {
    id: `${fn.key}/${kind}/${topic}`,
    functionKey: fn.key,
    functionName: fn.name,
    kind,
    topic,
    ...(eventSourceArn === undefined ? {} : { eventSourceArn }),
    batchSize,
    maximumBatchingWindowMs: windowSeconds === undefined ? DEFAULT_KAFKA_BATCHING_WINDOW_MS : windowSeconds * 1000,
    startingPosition,
    ...(startingPositionTimestampMs === undefined ? {} : { startingPositionTimestampMs }),
    consumerGroupId,
    enabled: readBooleanSetting(event.enabled, `enabled in ${at}`) ?? true,
    filterPatterns,
    reportBatchItemFailures:
      readBooleanSetting(event.reportBatchItemFailures ?? local.reportBatchItemFailures, `reportBatchItemFailures in ${at}`) ?? false,
    retry,
    deadLetterTopic,
  };
}

function readFilterPatterns(raw: unknown, at: string): FilterPattern[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new EventSourceConfigError(`Invalid filterPatterns in ${at}: expected a list of patterns.`);
  return raw.map((pattern, index) => {
    validateFilterPattern(pattern, `filterPatterns[${index}] in ${at}`);
    return pattern;
  });
}

/** Accepts numbers and numeric strings (serverless.yml variables resolve to strings). */
function readInteger(raw: unknown, key: string, at: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new EventSourceConfigError(`Invalid ${key}=${JSON.stringify(raw)} in ${at}: expected an integer from ${min} to ${max}.`);
  }
  return value;
}

function readBooleanSetting(raw: unknown, what: string): boolean | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && ['true', 'false'].includes(raw.trim().toLowerCase())) return raw.trim().toLowerCase() === 'true';
  throw new EventSourceConfigError(`Invalid ${what}: expected true or false, got ${JSON.stringify(raw)}.`);
}

function readOptionalString(raw: unknown, what: string): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new EventSourceConfigError(`Invalid ${what}: expected a string.`);
  return raw.replace(/\/+$/, '');
}
