/**
 * Configuration shared by every function and script: Kafka, Redis and MySQL.
 * Each section is read from the environment once, validated, and cached, so a
 * bad value fails the cold start with a message that names the variable.
 * Defaults match the local stack started by `npm run stack:up`.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function readString(env: Env, name: string, fallback?: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`Missing environment variable ${name}. Set it in serverless.yml or the shell.`);
  }
  return raw.trim();
}

export function readOptionalString(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Invalid ${name}=${JSON.stringify(raw)}: expected an integer from ${min} to ${max}.`);
  }
  return value;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const normalized = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalized)) return false;
  throw new ConfigError(`Invalid ${name}=${JSON.stringify(raw)}: expected true or false.`);
}

export function readList(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  paymentEventsTopic: string;
  deadLetterTopic: string;
  /** Upper bound for one produce request, including the broker's acknowledgement. */
  produceTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface RedisConfig {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
}

export interface MysqlConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolMax: number;
  ssl: boolean;
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function loadKafkaConfig(env: Env = process.env): KafkaConfig {
  const brokers = readList(env, 'KAFKA_BROKERS');
  const mechanism = readOptionalString(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  let sasl: KafkaConfig['sasl'];
  if (mechanism !== undefined) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new ConfigError(
        `Invalid KAFKA_SASL_MECHANISM=${JSON.stringify(mechanism)}: expected one of ${SASL_MECHANISMS.join(', ')}.`,
      );
    }
    sasl = {
      mechanism: mechanism as (typeof SASL_MECHANISMS)[number],
      username: readString(env, 'KAFKA_SASL_USERNAME'),
      password: readString(env, 'KAFKA_SASL_PASSWORD'),
    };
  }
  return {
    brokers: brokers.length > 0 ? brokers : ['127.0.0.1:9092'],
    clientId: readString(env, 'KAFKA_CLIENT_ID', 'payment-webhooks'),
    ssl: readBoolean(env, 'KAFKA_SSL', false),
    ...(sasl === undefined ? {} : { sasl }),
    paymentEventsTopic: readString(env, 'PAYMENT_EVENTS_TOPIC', 'payment-events'),
    deadLetterTopic: readString(env, 'DEAD_LETTER_TOPIC', 'payment-events.dlq'),
    produceTimeoutMs: readInteger(env, 'KAFKA_PRODUCE_TIMEOUT_MS', 5000, 100, 60_000),
    connectTimeoutMs: readInteger(env, 'KAFKA_CONNECT_TIMEOUT_MS', 3000, 100, 60_000),
  };
}

export function loadRedisConfig(env: Env = process.env): RedisConfig {
  return {
    url: readString(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
    keyPrefix: readString(env, 'REDIS_KEY_PREFIX', ''),
    commandTimeoutMs: readInteger(env, 'REDIS_COMMAND_TIMEOUT_MS', 2000, 50, 60_000),
  };
}

export function loadMysqlConfig(env: Env = process.env): MysqlConfig {
  return {
    host: readString(env, 'MYSQL_HOST', '127.0.0.1'),
    port: readInteger(env, 'MYSQL_PORT', 3306, 1, 65_535),
    user: readString(env, 'MYSQL_USER', 'root'),
    password: env.MYSQL_PASSWORD ?? '',
    database: readString(env, 'MYSQL_DATABASE', 'payments'),
    poolMax: readInteger(env, 'MYSQL_POOL_MAX', 2, 1, 100),
    ssl: readBoolean(env, 'MYSQL_SSL', false),
  };
}

/** Memoizes a loader so a section is read and validated once per process (once per Lambda container). */
export function once<T>(load: () => T): () => T {
  let loaded = false;
  let value: T;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value;
  };
}
