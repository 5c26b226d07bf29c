import { describe, expect, it } from 'vitest';
import { STATUS_RANK, type PaymentEvent, type PaymentStatus } from '../../lib/paymentEvent.js';
import { orderingKeyOf, planPayment, supersedes, toMysqlDateTime } from '../../lib/processing/statusRules.js';
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

describe('toMysqlDateTime', () => {
  it('pads to millisecond precision in UTC', () => {
    expect(toMysqlDateTime('2024-05-01T12:00:00Z')).toBe('2024-05-01 12:00:00.000');
    expect(toMysqlDateTime('2024-05-01T12:00:00.5Z')).toBe('2024-05-01 12:00:00.500');
  });
});

describe('orderingKeyOf', () => {
  it('falls back to receivedAt when occurredAt is null', () => {
    expect(orderingKeyOf(item('PENDING', null, '2024-05-01T12:00:09.000Z').event).effectiveAt).toBe('2024-05-01 12:00:09.000');
  });
});

describe('supersedes', () => {
  it('applies an equal rank and equal time', () => {
    expect(supersedes({ statusRank: 3, effectiveAt: '2024-01-01 00:00:00.000' }, { statusRank: 3, effectiveAt: '2024-01-01 00:00:00.000' })).toBe(true);
  });

  it('rejects a lower rank with a newer time', () => {
    expect(supersedes({ statusRank: 1, effectiveAt: '2024-01-01 00:00:01.000' }, { statusRank: 3, effectiveAt: '2024-01-01 00:00:00.000' })).toBe(false);
  });

  it('rejects a higher rank with an older time', () => {
    expect(supersedes({ statusRank: 3, effectiveAt: '2024-01-01 00:00:00.000' }, { statusRank: 1, effectiveAt: '2024-01-01 00:00:01.000' })).toBe(false);
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
    const plan = planPayment({ statusRank: 4, effectiveAt: '2030-01-01 00:00:00.000' }, [item('SUCCESS', '2024-05-01T12:00:00.000Z')]);
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
    const plan = planPayment({ statusRank: STATUS_RANK.SUCCESS, effectiveAt: '2024-05-01 12:00:00.000' }, [refund]);
    expect(plan.winner).toBe(refund);
    expect(plan.amountSource).toBeUndefined();
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
