#!/usr/bin/env node
/**
 * Local stack launcher: `node scripts/stack.mjs up | down | status` (npm run stack:up / stack:down).
 *
 * `up` makes Kafka, Redis and MySQL respond on their ports, creates the topics and runs the
 * migrations. A service that already responds is left alone ("already running"). The others are
 * started with docker-compose.yml when a Docker engine is available (STACK_MODE=auto, the
 * default) and as native processes otherwise (see scripts/stack/native.mjs). What `up` started
 * is recorded in <STACK_DIR>/state.json, and `down` stops exactly that.
 *
 * Plain Node ESM with node: built-ins only, because it runs before dependencies are installed
 * or built. Topic creation and migrations run as `npx tsx` children once node_modules exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientEnv, loadStackConfig, REPO_ROOT, TOPICS, UsageError } from './stack/config.mjs';
import { composeCommand, composeRemove, composeUp, CORE_SERVICES, dockerEngineAvailable, UI_SERVICES } from './stack/docker.mjs';
import * as native from './stack/native.mjs';
import { isListening, probeKafka, probeMysql, probeRedis, ProbeError } from './stack/probes.mjs';
import { isOwnProcess, stopProcess, tailFile } from './stack/processes.mjs';

/** Raised for failures the user can act on; main prints the message without a stack trace. */
class StackError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StackError';
  }
}

const say = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Shows a path relative to the working directory when it is inside it, absolute otherwise. */
function relative(file) {
  const inside = path.relative(process.cwd(), file);
  return inside === '' || inside.startsWith('..') ? file : inside;
}

// ---------------------------------------------------------------------------------------------
// State file: what this launcher started, so `down` stops only that.

/**
 * @typedef {{ mode: 'native' | 'docker', pid?: number, marker?: string, log?: string, startedAt: string }} StartedEntry
 * @typedef {{ services: Record<string, StartedEntry>, compose?: { services: string[] } }} StackState
 */

/** @returns {StackState} */
function readState(config) {
  if (!existsSync(config.stateFile)) return { services: {} };
  try {
    const state = JSON.parse(readFileSync(config.stateFile, 'utf8'));
    return { services: state.services ?? {}, ...(state.compose ? { compose: state.compose } : {}) };
  } catch (error) {
    throw new StackError(`Cannot read ${config.stateFile} (${error.message}). Stop the services by hand and delete the file.`);
  }
}

function writeState(config, state) {
  mkdirSync(config.stackDir, { recursive: true });
  writeFileSync(config.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Drops native entries whose process is gone (stopped by hand, machine restarted). */
function pruneState(state) {
  for (const [name, entry] of Object.entries(state.services)) {
    if (entry.mode === 'native' && !isOwnProcess(entry.pid ?? -1, entry.marker ?? '')) delete state.services[name];
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Services

/**
 * Describes the three core services: how to probe each one, and which native launcher and compose
 * service start it.
 */
function services(config) {
  const { host } = config;
  return [
    {
      name: 'kafka',
      port: config.kafka.port,
      portVariable: 'KAFKA_PORT',
      probe: () => probeKafka(host, config.kafka.port),
      native: native.kafka,
      extraPorts: [{ port: config.kafka.controllerPort, variable: 'KAFKA_CONTROLLER_PORT' }],
    },
    {
      name: 'redis',
      port: config.redis.port,
      portVariable: 'REDIS_PORT',
      probe: () => probeRedis(host, config.redis.port),
      native: native.redis,
      extraPorts: [],
    },
    {
      name: 'mysql',
      port: config.mysql.port,
      portVariable: 'MYSQL_PORT',
      probe: () => probeMysql(host, config.mysql.port, config.mysql.user, config.mysql.password),
      native: native.mysql,
      extraPorts: [],
    },
  ];
}

/**
 * Polls `service.probe` until it succeeds or `waitMs` passes. When `child` (a process this run
 * started) exits first, fails at once. The error names the service and its log files, or
 * `hint` when there are none.
 */
async function waitUntilResponding(service, config, { logFiles, hint, child }) {
  let exit;
  child?.once('exit', (code, signal) => {
    exit = signal ?? `exit code ${code}`;
  });

  const deadline = Date.now() + config.waitMs;
  let lastError;
  while (Date.now() < deadline) {
    if (exit !== undefined) break;
    try {
      return await service.probe();
    } catch (error) {
      if (!(error instanceof ProbeError)) throw error;
      lastError = error;
    }
    await sleep(500);
  }

  const logs = logFiles.filter((file) => existsSync(file));
  const tail = logs.map((file) => tailFile(file, 12)).filter(Boolean).join('\n');
  const reason = exit !== undefined ? `its process ended (${exit})` : `it did not respond within ${config.waitMs / 1000} s`;
  throw new StackError(
    [
      `${service.name} on ${config.host}:${service.port} is not ready: ${reason}; last probe: ${lastError?.message ?? 'none'}.`,
      logs.length > 0 ? `See its log: ${logs.map(relative).join(', ')}` : hint,
      tail === '' ? '' : `Last log lines:\n${tail}`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

/** Returns true when the service responds to its probe right now. */
async function isResponding(service) {
  try {
    await service.probe();
    return true;
  } catch (error) {
    if (error instanceof ProbeError) return false;
    throw error;
  }
}

/** Chooses docker or native for the services that must be started, and checks the prerequisites. */
function chooseMode(config, toStart) {
  if (toStart.length === 0) return { mode: 'none' };

  const wantDocker = config.mode === 'docker' || (config.mode === 'auto' && dockerEngineAvailable());
  if (wantDocker) {
    if (config.mode === 'docker' && !dockerEngineAvailable()) {
      throw new StackError('STACK_MODE=docker but `docker info` failed: start the Docker engine, or use STACK_MODE=native.');
    }
    const compose = composeCommand();
    if (compose === undefined) {
      throw new StackError('Docker Compose is required to run the stack with Docker: install docker-compose-plugin, or use STACK_MODE=native.');
    }
    return { mode: 'docker', compose };
  }

  const missing = toStart.flatMap((service) => service.native.missingPrerequisites(config));
  if (missing.length > 0) throw new StackError(missing.join('\n'));
  return { mode: 'native' };
}

/** Fails when a port that a native service needs is taken by something that is not that service. */
async function assertPortsFree(config, service) {
  for (const { port, variable } of service.extraPorts) {
    if (await isListening(config.host, port)) {
      throw new StackError(
        `${service.name} needs ${config.host}:${port} (${variable}), which another process already uses: set ${variable} to a free port.`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Topics and migrations

function runTsx(args, env, label) {
  const result = spawnSync('npx', ['--no-install', 'tsx', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new StackError(`${label} failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  return result.stdout;
}

async function ensureTopics(config) {
  const metadata = await probeKafka(config.host, config.kafka.port);
  const existing = new Map(metadata.topics.map((topic) => [topic.name, topic.partitions.length]));
  const missing = TOPICS.filter((spec) => !existing.has(spec.topic));
  const describe = (spec) => `${spec.topic} (${existing.get(spec.topic) ?? spec.numPartitions} partitions)`;

  if (missing.length === 0) {
    say(`topics      ${TOPICS.map(describe).join(', ')}: already exist`);
    return;
  }

  ensureNodeModules('creating Kafka topics');
  runTsx(
    ['scripts/stack/topics.ts', ...missing.map((spec) => `${spec.topic}:${spec.numPartitions}`)],
    clientEnv(config),
    'Creating Kafka topics',
  );
  say(`topics      created ${missing.map(describe).join(', ')}`);
  const present = TOPICS.filter((spec) => !missing.includes(spec));
  if (present.length > 0) say(`            ${present.map(describe).join(', ')}: already exist`);
}

function runMigrations(config) {
  if (!existsSync(path.join(REPO_ROOT, 'scripts', 'migrate.ts'))) {
    throw new StackError('scripts/migrate.ts is missing, so the database tables cannot be created.');
  }
  ensureNodeModules('running the migrations');
  const env = { ...clientEnv(config), ...(config.mysql.password === '' ? {} : { MYSQL_PASSWORD: config.mysql.password }) };
  const output = runTsx(['scripts/migrate.ts'], env, 'Migrations (npm run migrate)').trim();
  say(`migrations  ${summarizeMigrationOutput(output)}`);
}

/** Reduces the migration script's last log line (JSON) to its message and database. */
function summarizeMigrationOutput(output) {
  const lastLine = output.split('\n').filter(Boolean).at(-1) ?? '';
  try {
    const record = JSON.parse(lastLine);
    if (typeof record.message === 'string') {
      return record.database === undefined ? record.message : `${record.message} (database ${record.database})`;
    }
  } catch {
    // not a JSON log line
  }
  return lastLine === '' ? 'done' : lastLine.slice(0, 160);
}

function ensureNodeModules(purpose) {
  if (!existsSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'))) {
    throw new StackError(`Dependencies are not installed, which ${purpose} needs: run npm ci first.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

async function up(config) {
  const state = pruneState(readState(config));
  const all = services(config);

  // A service that responds is used as it is. One that listens but does not respond yet may be
  // starting (a broker this launcher started a moment ago, a container still booting), so it
  // gets the full wait before the launcher gives up on it.
  const toStart = [];
  for (const service of all) {
    if (await isResponding(service)) continue;
    if (await isListening(config.host, service.port)) continue;
    toStart.push(service);
  }

  const plan = chooseMode(config, toStart);
  /** @type {Map<string, import('./stack/native.mjs').Started>} */
  const started = new Map();

  if (plan.mode === 'native') {
    for (const service of toStart) await assertPortsFree(config, service);
    for (const service of toStart) {
      const entry = service.native.start(config, (line) => say(`${service.name.padEnd(11)} ${line}`));
      started.set(service.name, entry);
      state.services[service.name] = { mode: 'native', pid: entry.pid, marker: entry.marker, log: entry.log, startedAt: new Date().toISOString() };
      writeState(config, state);
    }
  } else if (plan.mode === 'docker') {
    const composeServices = [...toStart.map((service) => service.name), ...UI_SERVICES];
    say(`docker      starting ${composeServices.join(', ')} (docker-compose.yml)`);
    state.compose = { services: [...new Set([...(state.compose?.services ?? []), ...composeServices])] };
    for (const service of toStart) state.services[service.name] = { mode: 'docker', startedAt: new Date().toISOString() };
    writeState(config, state);
    composeUp(plan.compose, config, composeServices);
  }

  await Promise.all(
    all.map((service) => {
      const entry = started.get(service.name);
      const mode = state.services[service.name]?.mode;
      // Log files only of a native process that this launcher started, now or in an earlier run.
      const logFiles = mode === 'native' ? service.native.logFiles(config) : [];
      const hint =
        mode === 'docker'
          ? `See its log: docker compose -f docker-compose.yml logs ${service.name}`
          : mode === 'native'
            ? 'No log file was written.'
            : `Something listens on that port but does not respond as ${service.name}: if it is another program, stop it or set ${service.portVariable} to a free port.`;
      return waitUntilResponding(service, config, { logFiles, hint, child: entry?.child });
    }),
  );

  for (const service of all) {
    const address = `${config.host}:${service.port}`.padEnd(17);
    const entry = started.get(service.name);
    let status = 'already running';
    if (entry !== undefined) status = `started (pid ${entry.pid}, log ${relative(entry.log)})`;
    else if (plan.mode === 'docker' && toStart.includes(service)) status = 'started (docker compose)';
    else if (state.services[service.name] !== undefined) status = 'already running (started by an earlier stack:up)';
    say(`${service.name.padEnd(11)} ${address} ${status}`);
  }
  if (state.compose !== undefined) {
    say(`kafka-ui    http://localhost:${config.ui.kafkaUiPort}`);
    say(`phpmyadmin  http://localhost:${config.ui.phpMyAdminPort}`);
    say(`redis-ui    http://localhost:${config.ui.redisUiPort}`);
  }

  await ensureTopics(config);
  runMigrations(config);

  const env = clientEnv(config);
  mkdirSync(config.stackDir, { recursive: true });
  writeFileSync(config.envFile, Object.entries(env).map(([name, value]) => `${name}=${value}\n`).join(''));
  say(`Stack is up. Clients use: ${Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  say(`(also written to ${relative(config.envFile)}; stop with npm run stack:down)`);
}

async function down(config) {
  const state = readState(config);
  const names = Object.keys(state.services);
  if (names.length === 0 && state.compose === undefined) {
    say(`Nothing to stop: ${relative(config.stateFile)} lists no service that stack:up started.`);
    return;
  }

  if (state.compose !== undefined) {
    const compose = composeCommand();
    if (compose === undefined) throw new StackError('Docker Compose is required to stop the containers that stack:up started.');
    composeRemove(compose, config, state.compose.services);
    say(`docker      stopped and removed ${state.compose.services.join(', ')}`);
  }

  // The services do not depend on each other, so they stop in parallel.
  await Promise.all(
    names.map(async (name) => {
      const entry = /** @type {StartedEntry} */ (state.services[name]);
      if (entry.mode !== 'native') return;
      const outcome = await stopProcess(entry.pid ?? -1, entry.marker ?? '', config.stopGraceMs);
      say(`${name.padEnd(11)} ${outcome === 'not running' ? 'was not running' : `stopped (pid ${entry.pid}, ${outcome})`}`);
    }),
  );

  rmSync(config.stateFile, { force: true });
  rmSync(config.envFile, { force: true });
  say('Stack is down. Data stays in the stack directory; delete it for a clean start.');
}

async function status(config) {
  const state = pruneState(readState(config));
  for (const service of services(config)) {
    const ready = await isResponding(service);
    const owner = state.services[service.name] === undefined ? 'not started by stack:up' : `started by stack:up (${state.services[service.name]?.mode})`;
    say(`${service.name.padEnd(11)} ${`${config.host}:${service.port}`.padEnd(17)} ${ready ? 'responding' : 'not responding'}, ${owner}`);
  }
}

const COMMANDS = { up, down, status };

async function main() {
  const command = process.argv[2];
  if (command === undefined || !Object.hasOwn(COMMANDS, command)) {
    process.stderr.write('Usage: node scripts/stack.mjs up|down|status\n');
    process.exitCode = 2;
    return;
  }
  try {
    await COMMANDS[/** @type {keyof typeof COMMANDS} */ (command)](loadStackConfig());
  } catch (error) {
    if (error instanceof StackError || error instanceof UsageError) {
      process.stderr.write(`stack ${command}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

await main();
// Detached children were unref'd. Exit explicitly, so no stray handle keeps the launcher alive.
process.exit();
