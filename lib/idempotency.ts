/**
 * Redis idempotency keys with leases: `<REDIS_KEY_PREFIX>idempotency:<eventId>` is a hash with
 * fields status (in_progress | completed), hash (hashPaymentEvent) and owner (the invocation
 * that holds the lease).
 *
 * - An in-progress key expires with its lease (Redis PEXPIRE), so the events of a crashed or
 *   timed-out invocation can be claimed again by the retry once the lease has run out.
 * - A completed key is kept for the retention period (IDEMPOTENCY_RETENTION_SECONDS, default
 *   7 days); within it a redelivery is a duplicate without a database round trip.
 * - Redis is the fast path only. The processed_events ledger in MySQL is the final guard, so an
 *   evicted or flushed key never leads to a second application.
 *
 * Claims of a whole batch take one round trip (one Lua script), and so do completions and
 * releases. NOTE: the scripts touch many keys at once, so on a Redis Cluster all keys would
 * need one hash slot; this module assumes a single primary (with replicas).
 */
import { Redis } from 'ioredis';
import { loadRedisConfig, once, type RedisConfig } from './config.js';

/**
 * The outcome of claiming one event id:
 * - claimed: this invocation now holds the lease and must apply the event, then settle it;
 * - completed: the event was applied before (same hash), so it is a duplicate;
 * - conflict: the id was seen with a different payload hash, so it must not be applied;
 * - held: another invocation holds an unexpired lease on the same event.
 */
export type ClaimStatus = 'claimed' | 'completed' | 'conflict' | 'held';

export interface ClaimRequest {
  eventId: string;
  hash: string;
}

export interface IdempotencyOptions {
  keyPrefix: string;
  /** How long a completed key is kept, in seconds. */
  retentionSeconds: number;
}

// KEYS: one idempotency key per event. ARGV[1]: owner, ARGV[2]: lease in ms,
// ARGV[2 + i]: payload hash of KEYS[i]. Returns one status letter per key in a single string
// (CLAIM_STATUS_BY_LETTER), which is cheaper to build and parse than a reply per key.
const CLAIM_SCRIPT = `
local owner = ARGV[1]
local lease = ARGV[2]
local statuses = {}
for i, key in ipairs(KEYS) do
  local hash = ARGV[i + 2]
  local state = redis.call('HMGET', key, 'status', 'hash', 'owner')
  if not state[1] then
    redis.call('HSET', key, 'status', 'in_progress', 'hash', hash, 'owner', owner)
    redis.call('PEXPIRE', key, lease)
    statuses[i] = 'c'
  elseif state[2] ~= hash then
    statuses[i] = 'x'
  elseif state[1] == 'completed' then
    statuses[i] = 'd'
  elseif state[3] == owner then
    statuses[i] = 'c'
  else
    statuses[i] = 'h'
  end
end
return table.concat(statuses)
`;

// KEYS: the keys to complete, then the keys to release. ARGV[1]: owner, ARGV[2]: retention in
// ms, ARGV[3]: number of keys to complete (n), ARGV[3 + i]: payload hash of KEYS[i] for i <= n.
// A completion is written even when this owner's lease has expired, because the ledger already
// holds the event. A release deletes the key only while this owner still holds it in progress.
const SETTLE_SCRIPT = `
local owner = ARGV[1]
local retention = ARGV[2]
local completions = tonumber(ARGV[3])
for i = 1, completions do
  local key = KEYS[i]
  redis.call('HSET', key, 'status', 'completed', 'hash', ARGV[i + 3])
  redis.call('HDEL', key, 'owner')
  redis.call('PEXPIRE', key, retention)
end
for i = completions + 1, #KEYS do
  local key = KEYS[i]
  local state = redis.call('HMGET', key, 'status', 'owner')
  if state[1] == 'in_progress' and state[2] == owner then
    redis.call('DEL', key)
  end
end
return #KEYS
`;

interface IdempotencyCommands {
  claimIdempotencyKeys(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Promise<string>;
  settleIdempotencyKeys(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
}

const CLAIM_STATUS_BY_LETTER: Readonly<Record<string, ClaimStatus>> = { c: 'claimed', d: 'completed', x: 'conflict', h: 'held' };

/**
 * Creates an ioredis client whose commands fail within bounded time when Redis is unreachable:
 * each command waits at most `commandTimeoutMs`, and a command queued while disconnected fails
 * after one reconnection attempt instead of waiting for Redis to come back.
 */
export function createRedisClient(config: RedisConfig = loadRedisConfig()): Redis {
  return new Redis(config.url, {
    connectTimeout: config.commandTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    lazyConnect: true,
  });
}

/** The Redis client shared by every invocation of this container, created on first use. */
export const sharedRedis = once(() => createRedisClient());

export class IdempotencyStore {
  readonly #redis: Redis & IdempotencyCommands;
  readonly #options: IdempotencyOptions;

  constructor(redis: Redis, options: IdempotencyOptions) {
    if (!('claimIdempotencyKeys' in redis)) {
      redis.defineCommand('claimIdempotencyKeys', { lua: CLAIM_SCRIPT });
      redis.defineCommand('settleIdempotencyKeys', { lua: SETTLE_SCRIPT });
    }
    this.#redis = redis as Redis & IdempotencyCommands;
    this.#options = options;
  }

  keyFor(eventId: string): string {
    return `${this.#options.keyPrefix}idempotency:${eventId}`;
  }

  /**
   * Claims every event id for `owner` with a lease of `leaseMs`, in one round trip. Returns
   * one status per request, in request order. Requests run in order, so a repeated event id
   * (another payload version of the same event) is checked against the state the earlier
   * requests left: after this call claimed the id, a version with another hash is a conflict.
   */
  async claim(owner: string, leaseMs: number, requests: readonly ClaimRequest[]): Promise<ClaimStatus[]> {
    if (requests.length === 0) return [];
    const args: Array<string | number> = new Array(requests.length * 2 + 2);
    requests.forEach((request, index) => {
      args[index] = this.keyFor(request.eventId);
      args[requests.length + 2 + index] = request.hash;
    });
    args[requests.length] = owner;
    args[requests.length + 1] = Math.max(1, Math.ceil(leaseMs));

    const reply = await this.#redis.claimIdempotencyKeys(requests.length, ...args);
    if (typeof reply !== 'string' || reply.length !== requests.length) {
      throw new Error(`Unexpected idempotency claim reply ${JSON.stringify(reply)}: expected one status letter for each of ${requests.length} events`);
    }
    const statuses: ClaimStatus[] = new Array(requests.length);
    for (let index = 0; index < requests.length; index++) {
      const status = CLAIM_STATUS_BY_LETTER[reply.charAt(index)];
      if (status === undefined) {
        throw new Error(`Unexpected idempotency claim status ${JSON.stringify(reply.charAt(index))} for event ${requests[index]?.eventId}`);
      }
      statuses[index] = status;
    }
    return statuses;
  }

  /**
   * Marks `completed` events as completed for the retention period and releases the leases of
   * `released` events, in one round trip.
   */
  async settle(owner: string, completed: readonly ClaimRequest[], released: readonly ClaimRequest[]): Promise<void> {
    const keyCount = completed.length + released.length;
    if (keyCount === 0) return;
    const args: Array<string | number> = [];
    for (const request of completed) args.push(this.keyFor(request.eventId));
    for (const request of released) args.push(this.keyFor(request.eventId));
    args.push(owner, this.#options.retentionSeconds * 1000, completed.length);
    for (const request of completed) args.push(request.hash);
    await this.#redis.settleIdempotencyKeys(keyCount, ...args);
  }

  /** Releases the leases `owner` holds on these events, so a retry can claim them at once. */
  async release(owner: string, requests: readonly ClaimRequest[]): Promise<void> {
    await this.settle(owner, [], requests);
  }
}
