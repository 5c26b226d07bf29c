import { describe, expect, it } from 'vitest';
import { STATUS_RANK, type PaymentEvent, type PaymentStatus } from '../../lib/paymentEvent.js';
import { effectiveAtOf, orderingKeyOf, planPayment, supersedes, toMysqlDateTime, type OrderingKey } from '../../lib/processing/statusRules.js';
import { backoffDelayMs } from '../../lib/processing/transactionRetry.js';

function item(status: PaymentStatus, occurredAt: string | null, receivedAt = '2024-05-01T12:00:00.000Z', amount = '1.00'): { event: PaymentEvent } {
  return {
    event: {
      schemaVersion: 1,
      eventId: `evt_${status}_${occurredAt}_${amount}`,
      provider: 'stripe',
      eventType: status,
      status,
      paymentId: 'pi_1',
      amount,
      currency: 'USD',
      customerId: null,
      orderId: null,
      occurredAt,
      receivedAt,
    },
  };
}

function key(statusRank: number, occurredAt: string | null, receivedAt = '2024-01-01 00:00:00.000'): OrderingKey {
  return { statusRank, occurredAt, receivedAt };
}

describe('toMysqlDateTime', () => {
  it('pads to millisecond precision in UTC', () => {
    expect(toMysqlDateTime('2024-05-01T12:00:00Z')).toBe('2024-05-01 12:00:00.000');
    expect(toMysqlDateTime('2024-05-01T12:00:00.5Z')).toBe('2024-05-01 12:00:00.500');
  });
});

describe('orderingKeyOf', () => {
  it('falls back to receivedAt when occurredAt is null', () => {
    expect(effectiveAtOf(orderingKeyOf(item('PENDING', null, '2024-05-01T12:00:09.000Z').event))).toBe('2024-05-01 12:00:09.000');
  });

  it('keeps occurredAt and receivedAt apart', () => {
    const orderingKey = orderingKeyOf(item('PENDING', '2024-05-01T12:00:01Z', '2024-05-01T12:00:09.000Z').event);
    expect(orderingKey.occurredAt).toBe('2024-05-01 12:00:01.000');
    expect(orderingKey.receivedAt).toBe('2024-05-01 12:00:09.000');
    expect(effectiveAtOf(orderingKey)).toBe('2024-05-01 12:00:01.000');
  });
});

describe('supersedes with provider times', () => {
  it('applies an equal rank and equal time', () => {
    expect(supersedes(key(3, '2024-01-01 00:00:00.000'), key(3, '2024-01-01 00:00:00.000'))).toBe(true);
  });

  it('rejects a lower rank with a newer time', () => {
    expect(supersedes(key(1, '2024-01-01 00:00:01.000'), key(3, '2024-01-01 00:00:00.000'))).toBe(false);
  });

  it('rejects a higher rank with an older time', () => {
    expect(supersedes(key(3, '2024-01-01 00:00:00.000'), key(1, '2024-01-01 00:00:01.000'))).toBe(false);
  });

  it('ignores receivedAt', () => {
    const candidate = key(3, '2024-01-01 00:00:01.000', '2024-01-01 00:00:00.000');
    const current = key(3, '2024-01-01 00:00:00.000', '2024-01-01 00:09:00.000');
    expect(supersedes(candidate, current)).toBe(true);
  });
});

describe('supersedes without a provider time', () => {
  it('applies a higher rank with an older occurredAt', () => {
    expect(supersedes(key(4, '2024-01-01 00:00:00.000'), key(3, null, '2024-01-01 00:00:02.000'))).toBe(true);
  });

  it('applies a higher rank received earlier', () => {
    expect(supersedes(key(4, null, '2024-01-01 00:00:00.000'), key(3, '2024-01-01 00:00:02.000', '2024-01-01 00:00:02.000'))).toBe(true);
  });

  it('rejects a lower rank with a newer occurredAt', () => {
    expect(supersedes(key(3, '2024-01-01 00:00:09.000'), key(4, null, '2024-01-01 00:00:00.000'))).toBe(false);
  });

  it('applies an equal rank received later', () => {
    expect(supersedes(key(3, null, '2024-01-01 00:00:02.000'), key(3, '2024-01-01 00:00:05.000', '2024-01-01 00:00:01.000'))).toBe(true);
  });

  it('applies an equal rank received at the same time', () => {
    expect(supersedes(key(3, null, '2024-01-01 00:00:01.000'), key(3, null, '2024-01-01 00:00:01.000'))).toBe(true);
  });

  it('rejects an equal rank received earlier', () => {
    expect(supersedes(key(3, '2024-01-01 00:00:09.000', '2024-01-01 00:00:00.000'), key(3, null, '2024-01-01 00:00:01.000'))).toBe(false);
  });
});

describe('planPayment', () => {
  it('keeps SUCCESS when PENDING follows it', () => {
    const success = item('SUCCESS', '2024-05-01T12:00:01.000Z');
    const pending = item('PENDING', '2024-05-01T12:00:02.000Z');
    const plan = planPayment(undefined, [success, pending]);
    expect(plan.outcomes).toEqual(['applied', 'stale']);
    expect(plan.winner).toBe(success);
    expect(plan.appliedCount).toBe(1);
  });

  it('applies a forward chain one step at a time', () => {
    const plan = planPayment(undefined, [
      item('CREATED', '2024-05-01T12:00:00.000Z'),
      item('PENDING', '2024-05-01T12:00:01.000Z'),
      item('SUCCESS', '2024-05-01T12:00:02.000Z'),
    ]);
    expect(plan.outcomes).toEqual(['applied', 'applied', 'applied']);
    expect(plan.winner?.event.status).toBe('SUCCESS');
  });

  it('marks every event stale against a newer stored row', () => {
    const plan = planPayment(key(4, '2030-01-01 00:00:00.000'), [item('SUCCESS', '2024-05-01T12:00:00.000Z')]);
    expect(plan.outcomes).toEqual(['stale']);
    expect(plan.winner).toBeUndefined();
  });

  it('lets the later of two equal events win', () => {
    const first = item('FAILED', '2024-05-01T12:00:00.000Z');
    const second = item('CANCELLED', '2024-05-01T12:00:00.000Z');
    expect(planPayment(undefined, [first, second]).winner).toBe(second);
  });

  it('keeps SUCCESS when a later FAILED follows it', () => {
    const success = item('SUCCESS', '2024-05-01T12:00:01.000Z');
    const failed = item('FAILED', '2024-05-01T12:00:02.000Z');
    const plan = planPayment(undefined, [success, failed]);
    expect(plan.outcomes).toEqual(['applied', 'stale']);
    expect(plan.winner).toBe(success);
  });

  it('applies SUCCESS after FAILED', () => {
    const failed = item('FAILED', '2024-05-01T12:00:01.000Z');
    const success = item('SUCCESS', '2024-05-01T12:00:02.000Z');
    const plan = planPayment(undefined, [failed, success]);
    expect(plan.outcomes).toEqual(['applied', 'applied']);
    expect(plan.winner).toBe(success);
  });

  it('takes the amount from the event a refund follows', () => {
    const captured = item('SUCCESS', '2024-05-01T12:00:01.000Z', undefined, '500.00');
    const refund = item('REFUNDED', '2024-05-01T12:00:02.000Z', undefined, '1.00');
    const plan = planPayment(undefined, [captured, refund]);
    expect(plan.winner).toBe(refund);
    expect(plan.amountSource).toBe(captured);
    expect(plan.appliedThroughAmountSource).toBe(1);
  });

  it('takes the amount from a refund that creates the row', () => {
    const first = item('REFUNDED', '2024-05-01T12:00:01.000Z', undefined, '1.00');
    const second = item('REFUNDED', '2024-05-01T12:00:02.000Z', undefined, '2.00');
    const plan = planPayment(undefined, [first, second]);
    expect(plan.winner).toBe(second);
    expect(plan.amountSource).toBe(first);
  });

  it('keeps the stored amount when only refunds apply to a stored row', () => {
    const refund = item('REFUNDED', '2024-05-01T12:00:02.000Z', undefined, '1.00');
    const plan = planPayment(key(STATUS_RANK.SUCCESS, '2024-05-01 12:00:00.000'), [refund]);
    expect(plan.winner).toBe(refund);
    expect(plan.amountSource).toBeUndefined();
  });
});

describe('planPayment with mixed time sources', () => {
  it('applies SUCCESS with an older occurredAt after FAILED without one', () => {
    const failed = item('FAILED', null, '2024-05-01T12:00:02.000Z');
    const success = item('SUCCESS', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:30.000Z');
    const plan = planPayment(undefined, [failed, success]);
    expect(plan.outcomes).toEqual(['applied', 'applied']);
    expect(plan.winner).toBe(success);
  });

  it('applies SUCCESS over a stored FAILED without occurredAt', () => {
    const success = item('SUCCESS', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:30.000Z');
    const plan = planPayment(key(STATUS_RANK.FAILED, null, '2024-05-01 12:00:02.000'), [success]);
    expect(plan.outcomes).toEqual(['applied']);
    expect(plan.upsertSteps).toEqual([{ item: success, appliedEvents: 1 }]);
  });

  it('keeps SUCCESS without occurredAt when a newer FAILED follows', () => {
    const success = item('SUCCESS', null, '2024-05-01T12:00:00.000Z');
    const failed = item('FAILED', '2024-05-01T12:00:09.000Z', '2024-05-01T12:00:10.000Z');
    const plan = planPayment(undefined, [success, failed]);
    expect(plan.outcomes).toEqual(['applied', 'stale']);
    expect(plan.winner).toBe(success);
  });

  it('keeps a stored SUCCESS without occurredAt against a newer FAILED', () => {
    const failed = item('FAILED', '2024-05-01T12:00:09.000Z', '2024-05-01T12:00:10.000Z');
    const plan = planPayment(key(STATUS_RANK.SUCCESS, null, '2024-05-01 12:00:00.000'), [failed]);
    expect(plan.outcomes).toEqual(['stale']);
    expect(plan.winner).toBeUndefined();
    expect(plan.upsertSteps).toEqual([]);
  });

  it('lets the later receivedAt win at equal rank', () => {
    const early = item('PENDING', null, '2024-05-01T12:00:05.000Z');
    const late = item('PENDING', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:06.000Z');
    const plan = planPayment(key(STATUS_RANK.PENDING, null, '2024-05-01 12:00:05.500'), [early, late]);
    expect(plan.outcomes).toEqual(['stale', 'applied']);
    expect(plan.winner).toBe(late);
  });
});

describe('planPayment with provider times on both sides', () => {
  it('marks SUCCESS older than a stored PENDING stale', () => {
    const success = item('SUCCESS', '2024-05-01T12:00:04.000Z', '2024-05-01T12:00:30.000Z');
    const plan = planPayment(key(STATUS_RANK.PENDING, '2024-05-01 12:00:05.000', '2024-05-01 12:00:06.000'), [success]);
    expect(plan.outcomes).toEqual(['stale']);
    expect(plan.winner).toBeUndefined();
  });

  it('marks SUCCESS older than PENDING in the batch stale', () => {
    const pending = item('PENDING', '2024-05-01T12:00:05.000Z');
    const success = item('SUCCESS', '2024-05-01T12:00:04.000Z');
    const plan = planPayment(undefined, [pending, success]);
    expect(plan.outcomes).toEqual(['applied', 'stale']);
    expect(plan.winner).toBe(pending);
  });

  it('applies an equal rank and time processed later', () => {
    const stored = key(STATUS_RANK.FAILED, '2024-05-01 12:00:00.000', '2024-05-01 12:00:09.000');
    const cancelled = item('CANCELLED', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:01.000Z');
    expect(planPayment(stored, [cancelled]).outcomes).toEqual(['applied']);
  });
});

describe('planPayment upsertSteps', () => {
  it('sends only the winner for a transitive chain', () => {
    const pending = item('PENDING', '2024-05-01T12:00:01.000Z');
    const success = item('SUCCESS', '2024-05-01T12:00:02.000Z');
    const plan = planPayment(key(STATUS_RANK.CREATED, '2024-05-01 12:00:00.000'), [pending, success]);
    expect(plan.upsertSteps).toEqual([{ item: success, appliedEvents: 2 }]);
  });

  it('keeps the amount source before a refund', () => {
    const captured = item('SUCCESS', '2024-05-01T12:00:01.000Z', undefined, '500.00');
    const refund = item('REFUNDED', '2024-05-01T12:00:02.000Z', undefined, '1.00');
    const plan = planPayment(key(STATUS_RANK.PENDING, '2024-05-01 12:00:00.000'), [captured, refund]);
    expect(plan.upsertSteps).toEqual([
      { item: captured, appliedEvents: 1 },
      { item: refund, appliedEvents: 1 },
    ]);
  });

  it('keeps a step the next event cannot skip', () => {
    const stored = key(STATUS_RANK.SUCCESS, '2024-05-01 12:00:10.000', '2024-05-01 12:00:11.000');
    const untimed = item('REFUNDED', null, '2024-05-01T12:00:20.000Z', '2.00');
    const timed = item('REFUNDED', '2024-05-01T12:00:05.000Z', '2024-05-01T12:00:21.000Z', '3.00');
    const plan = planPayment(stored, [untimed, timed]);
    expect(plan.outcomes).toEqual(['applied', 'applied']);
    expect(plan.upsertSteps).toEqual([
      { item: untimed, appliedEvents: 1 },
      { item: timed, appliedEvents: 1 },
    ]);
  });
});

describe('STATUS_RANK', () => {
  it('ranks SUCCESS above FAILED and CANCELLED', () => {
    expect(STATUS_RANK.SUCCESS).toBeGreaterThan(STATUS_RANK.FAILED);
    expect(STATUS_RANK.SUCCESS).toBeGreaterThan(STATUS_RANK.CANCELLED);
    expect(STATUS_RANK.FAILED).toBe(STATUS_RANK.CANCELLED);
    expect(STATUS_RANK.REFUNDED).toBeGreaterThan(STATUS_RANK.SUCCESS);
  });
});

describe('backoffDelayMs', () => {
  it('stays within the doubled ceiling and the maximum', () => {
    const options = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 300 };
    expect(backoffDelayMs(1, options, () => 0.999)).toBeLessThan(50);
    expect(backoffDelayMs(3, options, () => 0.999)).toBe(199);
    expect(backoffDelayMs(10, options, () => 0.999)).toBe(299);
    expect(backoffDelayMs(2, options, () => 0)).toBe(0);
  });
});
