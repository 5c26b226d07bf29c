/**
 * `npm run demo`: the whole pipeline on real input.
 *
 *  1. starts the local stack (scripts/stack.mjs up) and `sls offline` as a child process;
 *  2. sends 1,000 signed webhooks, 10% of them duplicate deliveries (scripts/simulate.ts);
 *  3. waits until processing settles: this run's event ids in processed_events reach the number
 *     of accepted unique events, or stop increasing for DEMO_STALL_SECONDS;
 *  4. reads MySQL and prints a summary whose last line is one JSON object:
 *     sent, accepted, uniqueEvents, storedEvents, lost, appliedTwice (and details).
 *
 * storedEvents counts this run's event ids that are in the processed_events ledger and whose
 * payment row exists. Every demo event is its own payment, because a legacy event without
 * paymentId or orderId uses its eventId as payment id; so appliedTwice counts this run's payment
 * rows with applied_events > 1. The sls offline child is stopped at the end; the stack keeps
 * running. Exit status 0 when every accepted event was stored once, 1 otherwise.
 *
 * Settings (environment): DEMO_COUNT (1000), DEMO_DUPLICATES (0.1), DEMO_RATE (0, no limit),
 * DEMO_HTTP_PORT (3000), DEMO_LAMBDA_PORT (3002), DEMO_SETTLE_TIMEOUT_SECONDS (300),
 * DEMO_STALL_SECONDS (60), and the stack's KAFKA_PORT, REDIS_PORT, MYSQL_PORT, STACK_DIR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { loadKafkaConfig, loadMysqlConfig, readInteger } from '../lib/config.js';
import { createKafka } from '../lib/kafka.js';
import { createLogger } from '../lib/logger.js';
import { LOCAL_LEGACY_SECRET, newRunId, parseOptions, runSimulation, summaryJson, type SimulationResult } from './simulate.js';
import { REPO_ROOT, startOffline, tailOf, type OfflineProcess } from './stack/offline.js';

/** The consumer group of processPayments' msk event in serverless.yml. */
const CONSUMER_GROUP_ID = 'payment-processor';

class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`demo: ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startStack(): Record<string, string> {
  say('== stack: npm run stack:up');
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'stack.mjs'), 'up'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new DemoError(`npm run stack:up failed (exit ${result.status ?? result.signal}); see its output above.`);

  // stack:up writes the addresses clients need to <STACK_DIR>/env, one NAME=value per line.
  const envFile = path.join(path.resolve(REPO_ROOT, process.env.STACK_DIR?.trim() || '.stack'), 'env');
  if (!existsSync(envFile)) throw new DemoError(`stack:up did not write ${envFile}.`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const separator = line.indexOf('=');
    if (separator > 0) env[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return env;
}

/** Escapes LIKE wildcards so `evt_sim_<run>_` matches literally. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

async function countLedgerRows(connection: mysql.Connection, prefix: string): Promise<number> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM processed_events WHERE event_id LIKE ?', [likePrefix(prefix)]);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Waits until the ledger contains `expected` rows of this run, or the count stops increasing for
 * `stallMs`, or `timeoutMs` passes. Returns the last count.
 */
async function waitForSettle(connection: mysql.Connection, prefix: string, expected: number, timeoutMs: number, stallMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = await countLedgerRows(connection, prefix);
  let changedAt = Date.now();
  let reportedAt = 0;

  while (count < expected && Date.now() < deadline && Date.now() - changedAt < stallMs) {
    await sleep(1000);
    const next = await countLedgerRows(connection, prefix);
    if (next !== count) changedAt = Date.now();
    count = next;
    if (Date.now() - reportedAt >= 5000) {
      reportedAt = Date.now();
      note(`processed ${count}/${expected} events of this run`);
    }
  }
  if (count < expected) {
    const stopReason = Date.now() >= deadline ? `after ${timeoutMs / 1000} s` : `no progress for ${stallMs / 1000} s`;
    note(`stopped waiting ${stopReason} with ${count}/${expected} events processed`);
  }
  return count;
}

/** Records of the topic not yet committed by the consumer group, over all partitions; undefined when unknown. */
async function consumerLag(topic: string): Promise<number | undefined> {
  const admin = createKafka(loadKafkaConfig(), createLogger('demo')).admin();
  try {
    await admin.connect();
    const latest = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: CONSUMER_GROUP_ID, topics: [topic] });
    let lag = 0;
    for (const partition of latest) {
      const offset = committed?.partitions.find((entry) => entry.partition === partition.partition)?.offset ?? '-1';
      // -1: nothing committed yet, so everything from the low watermark on is unread.
      const start = Number(offset) >= 0 ? Number(offset) : Number(partition.low);
      lag += Math.max(0, Number(partition.high) - start);
    }
    return lag;
  } catch (error) {
    note(`could not read the consumer lag: ${(error as Error).message}`);
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

interface StoredCounts {
  storedIds: Set<string>;
  appliedTwice: number;
  staleInLedger: number;
}

async function readStoredCounts(connection: mysql.Connection, prefix: string): Promise<StoredCounts> {
  const pattern = likePrefix(prefix);
  const [stored] = await connection.query<mysql.RowDataPacket[]>(
    `SELECT DISTINCT e.event_id
       FROM processed_events e
       JOIN payments p ON p.provider = e.provider AND p.payment_id = e.payment_id
      WHERE e.event_id LIKE ?`,
    [pattern],
  );
  const [twice] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM payments WHERE payment_id LIKE ? AND applied_events > 1', [pattern]);
  const [stale] = await connection.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM processed_events WHERE event_id LIKE ? AND outcome = 'stale'", [pattern]);
  return {
    storedIds: new Set(stored.map((row) => row.event_id as string)),
    appliedTwice: Number(twice[0]?.n ?? 0),
    staleInLedger: Number(stale[0]?.n ?? 0),
  };
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const env = process.env;
  const count = readInteger(env, 'DEMO_COUNT', 1000, 1, 1_000_000);
  const httpPort = readInteger(env, 'DEMO_HTTP_PORT', 3000, 1, 65_535);
  const lambdaPort = readInteger(env, 'DEMO_LAMBDA_PORT', 3002, 1, 65_535);
  const settleTimeoutMs = readInteger(env, 'DEMO_SETTLE_TIMEOUT_SECONDS', 300, 1, 86_400) * 1000;
  const stallMs = readInteger(env, 'DEMO_STALL_SECONDS', 60, 1, 86_400) * 1000;

  const stackEnv = startStack();
  Object.assign(process.env, stackEnv);
  const runId = newRunId();
  const options = parseOptions([
    '--count',
    String(count),
    '--duplicates',
    env.DEMO_DUPLICATES ?? '0.1',
    '--rate',
    env.DEMO_RATE ?? '0',
    '--url',
    `http://127.0.0.1:${httpPort}/api/webhooks/payment-updates`,
    '--secret',
    LOCAL_LEGACY_SECRET,
    '--run-id',
    runId,
  ]);
  if (options === 'help') throw new DemoError('unreachable: --help was not passed');

  let offline: OfflineProcess | undefined;
  const stopOnSignal = () => {
    note('interrupted; stopping sls offline');
    void (offline?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const connection = await mysql.createConnection({ ...connectionSettings(), decimalNumbers: false });
  let simulation: SimulationResult;
  let ledgerRows: number;
  let lag: number | undefined;
  const logFile = path.join(REPO_ROOT, '.stack', 'demo', `offline-${runId}.log`);
  try {
    say(`== offline: sls offline on port ${httpPort} (lambda port ${lambdaPort}), output in ${path.relative(REPO_ROOT, logFile)}`);
    offline = await startOffline({ httpPort, lambdaPort, logFile, env: { ...stackEnv, WEBHOOK_SECRETS_LEGACY: LOCAL_LEGACY_SECRET } });

    say(`== simulate: ${options.count} webhooks, ${options.duplicates * 100}% duplicate deliveries, run ${runId}`);
    simulation = await runSimulation(options);
    say(`   accepted ${simulation.accepted}/${simulation.sent}, rejected ${simulation.rejected}, failed ${simulation.failed}, retries ${simulation.retried}`);

    say('== settle: waiting for processPayments to write this run to MySQL');
    const settleStartedAt = Date.now();
    ledgerRows = await waitForSettle(connection, `evt_sim_${runId}_`, simulation.acceptedUniqueEvents, settleTimeoutMs, stallMs);
    say(`   ${ledgerRows} ledger rows after ${((Date.now() - settleStartedAt) / 1000).toFixed(1)} s`);
    lag = await consumerLag(loadKafkaConfig().paymentEventsTopic);
  } catch (error) {
    if (offline !== undefined) note(`sls offline output (${offline.logFile}):\n${tailOf(offline.logFile, 40)}`);
    throw error;
  } finally {
    if (offline !== undefined) {
      await offline.stop();
      say('== offline: stopped');
    }
  }

  const counts = await readStoredCounts(connection, `evt_sim_${runId}_`);
  await connection.end();
  const lost = simulation.acceptedEventIds.filter((id) => !counts.storedIds.has(id)).length;

  const summary = {
    runId,
    sent: simulation.sent,
    accepted: simulation.accepted,
    uniqueEvents: simulation.uniqueEvents,
    storedEvents: counts.storedIds.size,
    lost,
    appliedTwice: counts.appliedTwice,
    rejected: simulation.rejected,
    failed: simulation.failed,
    retried: simulation.retried,
    acceptedUniqueEvents: simulation.acceptedUniqueEvents,
    ledgerRows,
    staleInLedger: counts.staleInLedger,
    consumerLag: lag ?? null,
    latencyMs: summaryJson(simulation).latencyMs,
    durationMs: Date.now() - startedAt,
  };

  say('== result');
  say(`   sent ${summary.sent}, accepted ${summary.accepted}, unique events ${summary.uniqueEvents}`);
  say(`   stored ${summary.storedEvents}, lost ${summary.lost}, applied twice ${summary.appliedTwice}, consumer lag ${summary.consumerLag ?? 'unknown'}`);
  say(`   the stack is still running; stop it with npm run stack:down (the sls offline child was stopped)`);
  say(JSON.stringify(summary));

  const ok = lost === 0 && summary.appliedTwice === 0 && summary.storedEvents === summary.uniqueEvents;
  return ok ? 0 : 1;
}

function connectionSettings() {
  const config = loadMysqlConfig();
  return { host: config.host, port: config.port, user: config.user, password: config.password, database: config.database };
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
// kafkajs and mysql2 may keep sockets open briefly; the result is printed, so exit now.
process.exit();
