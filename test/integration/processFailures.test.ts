import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createKnex } from '../../lib/db/knex.js';
import { createRedisClient } from '../../lib/idempotency.js';
import { loadRedisConfig } from '../../lib/config.js';
import { BatchFailedError, LeaseHeldError } from '../../lib/processing/errors.js';
import { buildMskEvent, paymentEventRecord } from '../../lib/processing/mskEventBuilder.js';
import type { PaymentEvent } from '../../lib/paymentEvent.js';
import { countRows, createProcessTestEnvironment, makeEvent, readPayment, type ProcessTestEnvironment } from './processHelpers.js';

let env: ProcessTestEnvironment;
let nextOffset = 0;

beforeAll(async () => {
  env = await createProcessTestEnvironment('failures');
});

afterAll(async () => {
  await env?.close();
});

const context = { requestId: 'test', remainingTimeMs: 30_000 };
const fastTimeouts = { connectTimeoutMs: 1000, acquireTimeoutMs: 2000, queryTimeoutMs: 5000, lockWaitTimeoutSeconds: 5 };

function batchOf(events: readonly PaymentEvent[]) {
  return buildMskEvent(events.map((event) => paymentEventRecord(env.topic, 0, nextOffset++, event)));
}

async function expectAppliedOnce(events: readonly PaymentEvent[]): Promise<void> {
  const ids = events.map((event) => event.eventId);
  expect(await countRows(env.knex, 'processed_events', `event_id IN (${ids.map(() => '?').join(', ')})`, ids)).toBe(events.length);
  for (const event of events) {
    expect((await readPayment(env.knex, event.provider, event.paymentId))?.applied_events).toBe(1);
  }
}

async function countRedisKeys(events: readonly PaymentEvent[]): Promise<number> {
  return env.redis.exists(...events.map((event) => `${env.redisPrefix}idempotency:${event.eventId}`));
}

/** A TCP proxy on loopback in front of MySQL that the test can cut and restore. */
class CuttableProxy {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  async start(port = 0): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(env.mysql.port, env.mysql.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Stops accepting connections and drops the open ones, as a stopped server would. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('processPayments failures', () => {
  it('applies every event once after MySQL goes away mid-batch', async () => {
    const proxy = new CuttableProxy();
    await proxy.start();
    const knex = createKnex({ ...env.mysql, port: proxy.port }, fastTimeouts);
    let cutDone = false;
    const processor = env.createProcessor({
      knex,
      hooks: {
        beforeCommit: async () => {
          if (cutDone) return;
          cutDone = true;
          await proxy.cut();
        },
      },
    });
    const events = [makeEvent(), makeEvent(), makeEvent(), makeEvent()];
    const batch = batchOf(events);

    try {
      await expect(processor.process(batch, context)).rejects.toBeInstanceOf(BatchFailedError);
      expect(await countRows(env.knex, 'processed_events', 'event_id = ?', [events[0]?.eventId])).toBe(0);
      expect(await countRedisKeys(events)).toBe(0);

      const started = Date.now();
      await expect(processor.process(batch, context)).rejects.toBeInstanceOf(BatchFailedError);
      expect(Date.now() - started).toBeLessThan(10_000);

      await proxy.start(proxy.port);
      const retried = await processor.process(batch, context);
      const again = await processor.process(batch, context);

      expect(retried.summary.applied).toBe(events.length);
      expect(again.summary.duplicates).toBe(events.length);
      await expectAppliedOnce(events);
    } finally {
      await proxy.cut();
      await knex.destroy();
    }
  });

  it('applies every event once after its connection is killed', async () => {
    const knex = createKnex(env.mysql, fastTimeouts);
    let killed = false;
    const processor = env.createProcessor({
      knex,
      hooks: {
        beforeCommit: async (trx: Knex.Transaction) => {
          if (killed) return;
          killed = true;
          const [rows] = (await trx.raw('SELECT CONNECTION_ID() AS id')) as [Array<{ id: number }>];
          await env.knex.raw(`KILL ${Number(rows[0]?.id)}`);
        },
      },
    });
    const events = [makeEvent(), makeEvent()];
    const batch = batchOf(events);

    try {
      await expect(processor.process(batch, context)).rejects.toBeInstanceOf(BatchFailedError);
      expect(await countRows(env.knex, 'processed_events', 'event_id = ?', [events[0]?.eventId])).toBe(0);

      const retried = await processor.process(batch, context);

      expect(retried.summary.applied).toBe(events.length);
      await expectAppliedOnce(events);
    } finally {
      await knex.destroy();
    }
  });

  it('applies nothing twice after a crash between commit and completion', async () => {
    const events = [makeEvent(), makeEvent(), makeEvent()];
    const batch = batchOf(events);
    const leaseMs = 2000;

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/processCrashChild.ts'], {
      env: {
        ...process.env,
        MYSQL_DATABASE: env.database,
        REDIS_KEY_PREFIX: env.redisPrefix,
        DEAD_LETTER_TOPIC: env.deadLetterTopic,
        IDEMPOTENCY_LEASE_MARGIN_MS: '0',
        PROCESS_CHILD_EVENT: JSON.stringify(batch),
        PROCESS_CHILD_REMAINING_MS: String(leaseMs),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // The child claimed the leases a few milliseconds before it was killed.
    const exitedAt = Date.now();

    expect(exit.signal).toBe('SIGKILL');
    await expectAppliedOnce(events);
    expect(await env.redis.hget(`${env.redisPrefix}idempotency:${events[0]?.eventId}`, 'status')).toBe('in_progress');

    const processor = env.createProcessor();
    await expect(processor.process(batch, context)).rejects.toBeInstanceOf(LeaseHeldError);
    await expectAppliedOnce(events);
    await new Promise((resolve) => setTimeout(resolve, leaseMs - (Date.now() - exitedAt) + 200));
    const retried = await processor.process(batch, context);

    expect(retried.summary.applied).toBe(0);
    expect(retried.summary.duplicates).toBe(events.length);
    await expectAppliedOnce(events);
    expect(await env.redis.hget(`${env.redisPrefix}idempotency:${events[0]?.eventId}`, 'status')).toBe('completed');
  });

  it('releases its leases when it fails after the commit', async () => {
    let failed = false;
    const processor = env.createProcessor({
      hooks: {
        afterCommit: () => {
          if (failed) return;
          failed = true;
          throw new Error('simulated failure after commit');
        },
      },
    });
    const events = [makeEvent(), makeEvent()];
    const batch = batchOf(events);

    await expect(processor.process(batch, context)).rejects.toBeInstanceOf(BatchFailedError);
    expect(await countRedisKeys(events)).toBe(0);
    const retried = await processor.process(batch, context);

    expect(retried.summary.duplicates).toBe(events.length);
    await expectAppliedOnce(events);
  });

  it('fails fast and applies nothing when Redis is unreachable', async () => {
    const unreachable = createRedisClient({ ...loadRedisConfig(), url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 });
    unreachable.on('error', () => undefined);
    const processor = env.createProcessor({ redis: unreachable });
    const events = [makeEvent()];
    const started = Date.now();

    try {
      await expect(processor.process(batchOf(events), context)).rejects.toBeInstanceOf(BatchFailedError);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await readPayment(env.knex, events[0]?.provider ?? 'stripe', events[0]?.paymentId ?? '')).toBeUndefined();
    } finally {
      unreachable.disconnect();
    }
  });
});
