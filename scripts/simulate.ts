/**
 * Webhook load simulator: signs legacy payment webhooks and posts them to the ingest endpoint
 * the way a payment provider does, including duplicate deliveries and retries.
 *
 *   npm run simulate -- --count 1000 --duplicates 0.1 --rate 200 [--url U] [--json]
 *
 * Every run has its own run id, so event ids (evt_sim_<run>_<n>) never collide with an earlier
 * run. A duplicate delivery is a byte-identical resend (same body, same signature) of a request
 * that was already scheduled earlier in the run. Progress goes to stderr; the summary goes to
 * stdout, and with --json its last line is one JSON object.
 *
 * Also imported by scripts/demo.ts and the end-to-end tests (runSimulation).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readList } from '../lib/config.js';
import { signLegacy } from '../lib/ingest/signing.js';

export const DEFAULT_URL = 'http://localhost:3000/api/webhooks/payment-updates';
export const LOCAL_LEGACY_SECRET = 'local-webhook-secret';

export interface SimulationOptions {
  /** Requests in total, duplicates included. */
  count: number;
  /** Fraction of `count` (0 to below 1) that repeats an earlier request byte for byte. */
  duplicates: number;
  /** Request starts per second; 0 sends as fast as `concurrency` allows. */
  rate: number;
  url: string;
  secret: string;
  /** Requests in flight at most. */
  concurrency: number;
  /** Retries per request after a 429, a 5xx, a timeout or a connection error. */
  maxRetries: number;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs: number;
  runId: string;
  /** Seed of the pseudo-random amounts, customers and duplicate positions. */
  seed: number;
  json: boolean;
}

export interface SimulationResult {
  runId: string;
  url: string;
  /** Requests sent (each counted once, however many attempts it took). */
  sent: number;
  /** Requests that got a 2xx response. */
  accepted: number;
  /** Requests that got a status that is not retried (4xx other than 429). */
  rejected: number;
  /** Requests still failing after every retry. */
  failed: number;
  /** Retry attempts over all requests. */
  retried: number;
  /** Distinct event ids among the requests sent. */
  uniqueEvents: number;
  /** Distinct event ids with at least one accepted request. */
  acceptedUniqueEvents: number;
  duplicatesSent: number;
  /** Final non-2xx statuses (or "network") of rejected and failed requests, with counts. */
  failures: Record<string, number>;
  /** Round-trip time of single HTTP attempts, nearest-rank percentiles, in milliseconds. */
  latencyMs: { p50: number; p99: number; max: number };
  durationMs: number;
  requestsPerSecond: number;
  /** The accepted event ids, for callers that check where they ended up (not printed). */
  acceptedEventIds: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP = `Usage: npm run simulate -- [options]

Signs legacy payment webhooks (X-Signature, HMAC-SHA256, base64) and posts them like a provider.

Options:
  --count N          requests in total, duplicates included (default 100)
  --duplicates F     fraction of requests that resend an earlier request byte for byte, 0 <= F < 1 (default 0)
  --rate R           request starts per second; 0 = as fast as --concurrency allows (default 0)
  --url U            ingest URL (default ${DEFAULT_URL})
  --secret S         signing secret (default: first entry of WEBHOOK_SECRETS_LEGACY, else ${LOCAL_LEGACY_SECRET})
  --concurrency C    requests in flight at most (default 16)
  --max-retries M    retries per request after 429, 5xx, timeout or connection error (default 5)
  --timeout MS       timeout of one attempt in milliseconds (default 10000)
  --run-id ID        run id in event ids evt_sim_<ID>_<n> (default: new random id)
  --seed N           seed for amounts, customers and duplicate positions (default: random)
  --json             end the output with one JSON line of results
  --help             show this text

Exit status: 0 when every request was accepted (2xx), 1 otherwise, 2 for invalid options.`;

// ---------------------------------------------------------------------------------------------
// Options

function parseNumber(flag: string, raw: string, check: (value: number) => boolean, expected: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(raw)}: expected ${expected}.`);
  }
  return value;
}

/** Parses command-line arguments (without node and script path). Throws UsageError with the reason. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): SimulationOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        count: { type: 'string' },
        duplicates: { type: 'string' },
        rate: { type: 'string' },
        url: { type: 'string' },
        secret: { type: 'string' },
        concurrency: { type: 'string' },
        'max-retries': { type: 'string' },
        timeout: { type: 'string' },
        'run-id': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    const reason = (error as Error).message.replace(/\.+$/, '');
    throw new UsageError(`${reason}. Run with --help for the options.`);
  }
  const values = parsed.values;
  if (values.help === true) return 'help';

  const isInteger = (min: number, max: number) => (value: number) => Number.isInteger(value) && value >= min && value <= max;
  const count = parseNumber('--count', values.count ?? '100', isInteger(1, 10_000_000), 'an integer from 1 to 10000000');
  const duplicates = parseNumber('--duplicates', values.duplicates ?? '0', (v) => v >= 0 && v < 1, 'a fraction from 0 up to (not including) 1, for example 0.1');
  const rate = parseNumber('--rate', values.rate ?? '0', (v) => v >= 0 && v <= 1_000_000, 'requests per second, 0 or more (0 = no limit)');
  const concurrency = parseNumber('--concurrency', values.concurrency ?? '16', isInteger(1, 1000), 'an integer from 1 to 1000');
  const maxRetries = parseNumber('--max-retries', values['max-retries'] ?? '5', isInteger(0, 20), 'an integer from 0 to 20');
  const timeoutMs = parseNumber('--timeout', values.timeout ?? '10000', isInteger(100, 600_000), 'milliseconds from 100 to 600000');
  const seed = values.seed === undefined ? randomBytes(4).readUInt32BE(0) : parseNumber('--seed', values.seed, isInteger(0, 2 ** 32 - 1), 'an integer from 0 to 4294967295');

  const url = values.url ?? DEFAULT_URL;
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`Invalid --url ${JSON.stringify(url)}: expected an absolute http or https URL.`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    throw new UsageError(`Invalid --url ${JSON.stringify(url)}: expected an http or https URL.`);
  }

  const secret = values.secret ?? readList(env, 'WEBHOOK_SECRETS_LEGACY')[0] ?? LOCAL_LEGACY_SECRET;
  if (secret === '') throw new UsageError('Invalid --secret: the signing secret must not be empty.');

  const runId = values['run-id'] ?? newRunId();
  if (!/^[A-Za-z0-9]{1,40}$/.test(runId)) {
    throw new UsageError(`Invalid --run-id ${JSON.stringify(runId)}: expected 1 to 40 letters and digits.`);
  }

  const uniqueEvents = count - Math.round(count * duplicates);
  if (uniqueEvents < 1) {
    throw new UsageError(`Invalid --duplicates ${duplicates} with --count ${count}: at least one request must be an original.`);
  }

  return { count, duplicates, rate, url, secret, concurrency, maxRetries, timeoutMs, runId, seed, json: values.json === true };
}

/** Creates a run id that sorts by start time: base-36 milliseconds plus 24 random bits. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// Requests

/** mulberry32: a small seeded generator, so a run can be repeated with --seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Formats cents as a decimal with two fraction digits: 12345 gives "123.45". */
function formatCents(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/**
 * Builds the legacy provider's body, pretty-printed as the old sender does. The amount is a JSON number
 * written with two fraction digits, which JSON.stringify would not keep (123.40 becomes 123.4).
 */
export function legacyBody(eventId: string, cents: number, customerId: string): string {
  return [
    '{',
    `  "eventId": ${JSON.stringify(eventId)},`,
    '  "eventType": "PAYMENT_SUCCESS",',
    `  "amount": ${formatCents(cents)},`,
    `  "customerId": ${JSON.stringify(customerId)}`,
    '}',
  ].join('\n');
}

export interface PlannedRequest {
  eventId: string;
  body: string;
  signature: string;
  duplicate: boolean;
}

/**
 * Builds the send order: `count` requests of which round(count * duplicates) repeat an original
 * placed earlier in the order, at seeded random positions.
 */
export function planRequests(options: Pick<SimulationOptions, 'count' | 'duplicates' | 'runId' | 'seed' | 'secret'>): PlannedRequest[] {
  const random = seededRandom(options.seed);
  const duplicateTotal = Math.round(options.count * options.duplicates);
  const uniqueTotal = options.count - duplicateTotal;
  const originals: PlannedRequest[] = [];
  const plan: PlannedRequest[] = [];

  for (let slot = 0; slot < options.count; slot += 1) {
    const slotsLeft = options.count - slot;
    const uniquesLeft = uniqueTotal - originals.length;
    const duplicatesLeft = duplicateTotal - (plan.length - originals.length);
    const mustBeOriginal = originals.length === 0 || uniquesLeft === slotsLeft;
    const isDuplicate = !mustBeOriginal && duplicatesLeft > 0 && random() < duplicatesLeft / slotsLeft;

    if (isDuplicate) {
      const original = originals[Math.floor(random() * originals.length)] as PlannedRequest;
      plan.push({ ...original, duplicate: true });
      continue;
    }

    const eventId = `evt_sim_${options.runId}_${originals.length + 1}`;
    const cents = 100 + Math.floor(random() * 99_900);
    const customerId = `cust_${1 + Math.floor(random() * 200)}`;
    const body = legacyBody(eventId, cents, customerId);
    const request = { eventId, body, signature: signLegacy(options.secret, body), duplicate: false };
    originals.push(request);
    plan.push(request);
  }
  return plan;
}

const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 5000;

/** Exponential backoff with full jitter; a Retry-After in seconds (capped at BACKOFF_MAX_MS) wins. */
function backoffMs(retry: number, retryAfter: string | null): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, BACKOFF_MAX_MS);
  return Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** retry);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome = { kind: 'accepted' } | { kind: 'rejected' | 'failed'; reason: string };

interface Counters {
  started: number;
  accepted: number;
  rejected: number;
  failed: number;
  retried: number;
}

/** Sends one request with retries. Records every attempt's latency. */
async function deliver(request: PlannedRequest, options: SimulationOptions, counters: Counters, latencies: number[]): Promise<Outcome> {
  for (let attempt = 0; ; attempt += 1) {
    const startedAt = performance.now();
    let reason: string;
    let retryAfter: string | null = null;
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Signature': request.signature },
        body: request.body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - startedAt);
      if (response.ok) return { kind: 'accepted' };
      if (!RETRIED_STATUSES.has(response.status)) return { kind: 'rejected', reason: String(response.status) };
      reason = String(response.status);
      retryAfter = response.headers.get('retry-after');
    } catch (error) {
      latencies.push(performance.now() - startedAt);
      reason = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
    }

    if (attempt >= options.maxRetries) return { kind: 'failed', reason };
    counters.retried += 1;
    await sleep(backoffMs(attempt, retryAfter));
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return Math.round((sorted[index] as number) * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr

function createProgress(total: number, counters: Counters, enabled: boolean) {
  const stream = process.stderr;
  const tty = stream.isTTY === true;
  const startedAt = Date.now();
  let lastLineAt = 0;
  let lastTenth = -1;
  let lastDone = -1;

  const line = () => {
    const done = counters.accepted + counters.rejected + counters.failed;
    const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
    return `simulate: ${done}/${total} done, ${counters.accepted} accepted, ${counters.rejected} rejected, ${counters.failed} failed, ${counters.retried} retries, ${(done / seconds).toFixed(0)} req/s`;
  };

  const update = (final = false) => {
    if (!enabled) return;
    const done = counters.accepted + counters.rejected + counters.failed;
    if (tty) {
      stream.write(`\r\x1b[2K${line()}${final ? '\n' : ''}`);
      return;
    }
    // Without a terminal: a line at each tenth of the run and at least every 5 s.
    const tenth = Math.floor((done * 10) / total);
    if ((final && done !== lastDone) || tenth > lastTenth || Date.now() - lastLineAt >= 5000) {
      lastTenth = tenth;
      lastDone = done;
      lastLineAt = Date.now();
      stream.write(`${line()}\n`);
    }
  };

  const timer = enabled && tty ? setInterval(() => update(), 100) : undefined;
  return {
    update: () => (tty ? undefined : update()),
    finish: () => {
      if (timer !== undefined) clearInterval(timer);
      update(true);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Run

/**
 * Sends the planned requests with at most `concurrency` in flight and, when `rate` > 0, request
 * number i starting no earlier than i / rate seconds after the first.
 */
export async function runSimulation(options: SimulationOptions, { progress = true } = {}): Promise<SimulationResult> {
  const plan = planRequests(options);
  const counters: Counters = { started: 0, accepted: 0, rejected: 0, failed: 0, retried: 0 };
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const acceptedIds = new Set<string>();
  const reporter = createProgress(plan.length, counters, progress);
  const startedAt = performance.now();

  const worker = async () => {
    for (;;) {
      const index = counters.started;
      if (index >= plan.length) return;
      counters.started += 1;

      if (options.rate > 0) {
        const due = startedAt + (index * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }

      const request = plan[index] as PlannedRequest;
      const outcome = await deliver(request, options, counters, latencies);
      if (outcome.kind === 'accepted') {
        counters.accepted += 1;
        acceptedIds.add(request.eventId);
      } else {
        counters[outcome.kind] += 1;
        failures[outcome.reason] = (failures[outcome.reason] ?? 0) + 1;
      }
      reporter.update();
    }
  };

  await Promise.all(Array.from({ length: Math.min(options.concurrency, plan.length) }, worker));
  reporter.finish();

  const durationMs = performance.now() - startedAt;
  const sorted = [...latencies].sort((a, b) => a - b);
  const uniqueEvents = new Set(plan.map((request) => request.eventId)).size;
  return {
    runId: options.runId,
    url: options.url,
    sent: plan.length,
    accepted: counters.accepted,
    rejected: counters.rejected,
    failed: counters.failed,
    retried: counters.retried,
    uniqueEvents,
    acceptedUniqueEvents: acceptedIds.size,
    duplicatesSent: plan.length - uniqueEvents,
    failures,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1) },
    durationMs: Math.round(durationMs),
    requestsPerSecond: Math.round((plan.length / Math.max(durationMs, 1)) * 1000 * 10) / 10,
    acceptedEventIds: [...acceptedIds],
  };
}

/** Returns the result without the id list, as printed. */
export function summaryJson(result: SimulationResult): Omit<SimulationResult, 'acceptedEventIds'> {
  const { acceptedEventIds: _ids, ...summary } = result;
  return summary;
}

function printSummary(result: SimulationResult, json: boolean): void {
  const lines = [
    `run ${result.runId}: ${result.sent} requests to ${result.url} in ${(result.durationMs / 1000).toFixed(1)} s (${result.requestsPerSecond} req/s)`,
    `  accepted ${result.accepted}, rejected ${result.rejected}, failed ${result.failed}, retries ${result.retried}`,
    `  unique events ${result.uniqueEvents} (${result.acceptedUniqueEvents} accepted), duplicate deliveries ${result.duplicatesSent}`,
    `  attempt latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
  ];
  if (Object.keys(result.failures).length > 0) lines.push(`  final statuses of unaccepted requests: ${JSON.stringify(result.failures)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) process.stdout.write(`${JSON.stringify(summaryJson(result))}\n`);
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`simulate: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }

  const result = await runSimulation(options);
  printSummary(result, options.json);
  process.exitCode = result.accepted === result.sent ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
