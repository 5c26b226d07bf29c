/**
 * Stack launcher settings, read once from the environment. Every port can be moved, so the
 * launcher can be tried on a second set of ports next to a running stack, for example
 * `KAFKA_PORT=29092 REDIS_PORT=26379 MYSQL_PORT=23306 STACK_DIR=/tmp/stacktest`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Topics the pipeline needs. Replication factor 1 locally: the native broker and the container are single nodes. */
export const TOPICS = [
  { topic: 'payment-events', numPartitions: 6 },
  { topic: 'payment-events.dlq', numPartitions: 3 },
];

/**
 * @typedef {{
 *   stackDir: string, stateFile: string, envFile: string, host: string,
 *   mode: 'auto' | 'docker' | 'native', waitMs: number, stopGraceMs: number,
 *   kafka: { port: number, controllerPort: number },
 *   redis: { port: number },
 *   mysql: { port: number, user: string, password: string },
 *   ui: { kafkaUiPort: number, phpMyAdminPort: number, redisUiPort: number },
 * }} StackConfig
 */

export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

function readPort(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`Invalid ${name}=${JSON.stringify(raw)}: expected a TCP port from 1 to 65535.`);
  }
  return port;
}

function readSeconds(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const seconds = Number(raw.trim());
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`Invalid ${name}=${JSON.stringify(raw)}: expected a positive number of seconds.`);
  }
  return seconds;
}

/** @returns {StackConfig} */
export function loadStackConfig(env = process.env) {
  const stackDir = path.resolve(REPO_ROOT, env.STACK_DIR?.trim() || '.stack');
  const mode = (env.STACK_MODE?.trim() || 'auto').toLowerCase();
  if (mode !== 'auto' && mode !== 'docker' && mode !== 'native') {
    throw new UsageError(`Invalid STACK_MODE=${JSON.stringify(env.STACK_MODE)}: expected auto, docker or native.`);
  }
  const kafkaPort = readPort(env, 'KAFKA_PORT', 9092);

  return {
    stackDir,
    stateFile: path.join(stackDir, 'state.json'),
    envFile: path.join(stackDir, 'env'),
    host: '127.0.0.1',
    mode,
    waitMs: readSeconds(env, 'STACK_WAIT_SECONDS', 120) * 1000,
    stopGraceMs: readSeconds(env, 'STACK_STOP_SECONDS', 60) * 1000,
    kafka: { port: kafkaPort, controllerPort: readPort(env, 'KAFKA_CONTROLLER_PORT', kafkaPort + 1) },
    redis: { port: readPort(env, 'REDIS_PORT', 6379) },
    mysql: { port: readPort(env, 'MYSQL_PORT', 3306), user: env.MYSQL_USER?.trim() || 'root', password: env.MYSQL_PASSWORD ?? '' },
    ui: {
      kafkaUiPort: readPort(env, 'KAFKA_UI_PORT', 8080),
      phpMyAdminPort: readPort(env, 'PHPMYADMIN_PORT', 8081),
      redisUiPort: readPort(env, 'REDIS_UI_PORT', 8082),
    },
  };
}

/** Environment variables that point the pipeline, its scripts and its tests at this stack. */
export function clientEnv(config) {
  return {
    KAFKA_BROKERS: `${config.host}:${config.kafka.port}`,
    REDIS_URL: `redis://${config.host}:${config.redis.port}`,
    MYSQL_HOST: config.host,
    MYSQL_PORT: String(config.mysql.port),
    MYSQL_USER: config.mysql.user,
  };
}
