import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { createKnex } from '../../lib/db/knex.js';
import { buildMskEvent, paymentEventRecord } from '../../lib/processing/mskEventBuilder.js';
import type { PaymentEvent } from '../../lib/paymentEvent.js';
import { createProcessTestEnvironment, makeEvent, readPayment, uniqueSuffix, type ProcessTestEnvironment } from './processHelpers.js';

let env: ProcessTestEnvironment;
let nextOffset = 0;

beforeAll(async () => {
  env = await createProcessTestEnvironment('concurrency');
});

afterAll(async () => {
  await env?.close();
});

const context = { requestId: 'test', remainingTimeMs: 30_000 };

function batchOf(events: readonly PaymentEvent[], partition: number) {
  return buildMskEvent(events.map((event) => paymentEventRecord(env.topic, partition, nextOffset++, event)));
}

async function appliedLedgerCount(paymentId: string): Promise<number> {
  const [rows] = (await env.knex.raw("SELECT COUNT(*) AS count FROM processed_events WHERE payment_id = ? AND outcome = 'applied'", [
    paymentId,
  ])) as [Array<{ count: number }>];
  return Number(rows[0]?.count);
}

/** Waits until the processor's locking read of the payments is running, that is, waiting for a row lock. */
async function waitForLockingRead(knex: Knex, database: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [rows] = (await knex.raw(
      "SELECT COUNT(*) AS count FROM information_schema.PROCESSLIST WHERE db = ? AND info LIKE 'SELECT provider, payment_id, status_rank%FOR UPDATE'",
      [database],
    )) as [Array<{ count: number }>];
    if (Number(rows[0]?.count) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`The processor did not wait for a row lock within ${timeoutMs} ms`);
}

describe('processPayments concurrency', () => {
  it('loses no update when two batches touch the same payments in opposite order', async () => {
    // Two containers: each processor has its own connection pool.
    const knexA = createKnex(env.mysql);
    const knexB = createKnex(env.mysql);
    const processorA = env.createProcessor({ knex: knexA });
    const processorB = env.createProcessor({ knex: knexB });
    let attempts = 0;

    try {
      for (let round = 0; round < 5; round++) {
        const paymentIds = Array.from({ length: 20 }, (_, index) => `pi_${uniqueSuffix()}_${String(index).padStart(2, '0')}`);
        // Equal rank and equal time: both events of a payment apply in either order, so a lost
        // update shows as applied_events = 1.
        const forward = paymentIds.map((paymentId) => makeEvent({ paymentId, status: 'SUCCESS', occurredAt: '2024-05-01T12:00:00.000Z' }));
        const backward = [...paymentIds]
          .reverse()
          .map((paymentId) => makeEvent({ paymentId, status: 'SUCCESS', occurredAt: '2024-05-01T12:00:00.000Z', amount: '7.00' }));

        const results = await Promise.all([
          processorA.process(batchOf(forward, 0), context),
          processorB.process(batchOf(backward, 1), context),
        ]);
        attempts += results.reduce((sum, result) => sum + result.summary.transactionAttempts, 0);

        expect(results.map((result) => result.summary.applied)).toEqual([20, 20]);
        for (const paymentId of paymentIds) {
          const row = await readPayment(env.knex, 'stripe', paymentId);
          expect(row?.applied_events).toBe(2);
          expect(await appliedLedgerCount(paymentId)).toBe(2);
        }
      }
    } finally {
      await knexA.destroy();
      await knexB.destroy();
    }
    // Ten batches ran; any attempt above ten was a retried deadlock or concurrent first insert.
    console.info(JSON.stringify({ message: 'opposite-order batches', batches: 10, transactionAttempts: attempts }));
  });

  it('keeps the higher status when concurrent batches disagree', async () => {
    const knexA = createKnex(env.mysql);
    const knexB = createKnex(env.mysql);
    try {
      const paymentIds = Array.from({ length: 20 }, (_, index) => `pi_${uniqueSuffix()}_${index}`);
      const pending = paymentIds.map((paymentId) => makeEvent({ paymentId, status: 'PENDING', occurredAt: '2024-05-01T12:00:00.000Z' }));
      const success = [...paymentIds].reverse().map((paymentId) => makeEvent({ paymentId, status: 'SUCCESS', occurredAt: '2024-05-01T12:00:01.000Z' }));

      await Promise.all([
        env.createProcessor({ knex: knexA }).process(batchOf(pending, 0), context),
        env.createProcessor({ knex: knexB }).process(batchOf(success, 1), context),
      ]);

      for (const paymentId of paymentIds) {
        const row = await readPayment(env.knex, 'stripe', paymentId);
        expect(row?.status).toBe('SUCCESS');
        expect(row?.applied_events).toBe(await appliedLedgerCount(paymentId));
      }
    } finally {
      await knexA.destroy();
      await knexB.destroy();
    }
  });

  it('retries the batch transaction after a deadlock', async () => {
    const prefix = `pi_${uniqueSuffix()}`;
    const first = makeEvent({ paymentId: `${prefix}_a`, occurredAt: '2024-05-01T12:00:00.000Z' });
    const second = makeEvent({ paymentId: `${prefix}_b`, occurredAt: '2024-05-01T12:00:00.000Z' });
    const processor = env.createProcessor();
    await processor.process(batchOf([first, second], 0), context);
    await env.knex.raw('CREATE TABLE IF NOT EXISTS deadlock_ballast (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(64))');

    const blocker = createKnex(env.mysql);
    const blockerTrx = await blocker.transaction();
    let processing: Promise<Awaited<ReturnType<typeof processor.process>>> | undefined;
    try {
      // The blocker writes many rows, so InnoDB picks the lighter processor transaction as the
      // deadlock victim, and then locks the second payment.
      await blockerTrx.raw(`INSERT INTO deadlock_ballast (pad) VALUES ${new Array(500).fill("('x')").join(', ')}`);
      await blockerTrx.raw('SELECT payment_id FROM payments WHERE provider = ? AND payment_id = ? FOR UPDATE', ['stripe', second.paymentId]);

      // The processor locks the first payment, then waits for the second.
      const later = [
        makeEvent({ paymentId: first.paymentId, occurredAt: '2024-05-01T12:00:05.000Z' }),
        makeEvent({ paymentId: second.paymentId, occurredAt: '2024-05-01T12:00:05.000Z' }),
      ];
      processing = processor.process(batchOf(later, 0), context);
      await waitForLockingRead(env.knex, env.database, 4000);

      // The blocker closes the cycle by requesting the first payment.
      await blockerTrx.raw('SELECT payment_id FROM payments WHERE provider = ? AND payment_id = ? FOR UPDATE', ['stripe', first.paymentId]);
      await blockerTrx.rollback();

      const result = await processing;
      expect(result.summary.transactionAttempts).toBeGreaterThanOrEqual(2);
      expect(result.summary.applied).toBe(2);
      expect((await readPayment(env.knex, 'stripe', first.paymentId))?.applied_events).toBe(2);
      expect((await readPayment(env.knex, 'stripe', second.paymentId))?.applied_events).toBe(2);
    } finally {
      if (!blockerTrx.isCompleted()) await blockerTrx.rollback().catch(() => undefined);
      await processing?.catch(() => undefined);
      await blocker.destroy();
    }
  });
});
