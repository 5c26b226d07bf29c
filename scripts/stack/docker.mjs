/**
 * Docker mode of the stack launcher: runs docker-compose.yml with `docker compose` (or the older
 * `docker-compose`), starting only the services whose host port is not already served.
 */
import path from 'node:path';
import { REPO_ROOT } from './config.mjs';
import { findExecutable, runCommand } from './processes.mjs';

const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

/** The compose services behind the three core services, and the web UIs. */
export const CORE_SERVICES = ['kafka', 'redis', 'mysql'];
export const UI_SERVICES = ['kafka-ui', 'phpmyadmin', 'redis-commander'];

/** Returns true when `docker info` succeeds, so a Docker engine is running. */
export function dockerEngineAvailable() {
  if (findExecutable(['docker']) === undefined) return false;
  return runCommand('docker', ['info'], { timeout: 15_000 }).status === 0;
}

/** Returns the compose command as [executable, ...leading args], or undefined when neither form is installed. */
export function composeCommand() {
  if (runCommand('docker', ['compose', 'version'], { timeout: 15_000 }).status === 0) return ['docker', 'compose'];
  const legacy = findExecutable(['docker-compose']);
  return legacy === undefined ? undefined : [legacy];
}

function runCompose(compose, args, env) {
  const [command, ...leading] = compose;
  const result = runCommand(/** @type {string} */ (command), [...leading, '-f', COMPOSE_FILE, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    throw new Error(`${compose.join(' ')} ${args.join(' ')} failed (exit ${result.status}):\n${result.output.trim()}`);
  }
  return result.output;
}

/** Host ports that compose interpolates into docker-compose.yml. */
function composeEnv(config) {
  return {
    KAFKA_PORT: String(config.kafka.port),
    REDIS_PORT: String(config.redis.port),
    MYSQL_PORT: String(config.mysql.port),
    KAFKA_UI_PORT: String(config.ui.kafkaUiPort),
    PHPMYADMIN_PORT: String(config.ui.phpMyAdminPort),
    REDIS_UI_PORT: String(config.ui.redisUiPort),
  };
}

/**
 * Starts `services` and waits for their healthchecks. `--no-deps` keeps compose from starting
 * a core service that is already served on its host port by something else.
 * NOTE: a UI whose core service runs outside compose cannot reach it by service name, so it
 * stays unhealthy. Stop the native service first to get the full set of UIs.
 */
export function composeUp(compose, config, services) {
  runCompose(compose, ['up', '--detach', '--wait', '--no-deps', ...services], composeEnv(config));
}

/** Stops and removes the given services' containers (and their anonymous volumes). */
export function composeRemove(compose, config, services) {
  runCompose(compose, ['rm', '--stop', '--force', '-v', ...services], composeEnv(config));
}
