/**
 * Status rules: when an event replaces the stored state of its payment.
 *
 * An event applies when it moves the payment forward in both status rank (STATUS_RANK) and
 * time: its rank is at least the stored rank and its effective time is at least the stored
 * one. Any other event is stale: it goes into the ledger but leaves the state as it is.
 *
 * - Effective time is occurredAt, or receivedAt when the provider sent no occurredAt, compared
 *   at millisecond precision.
 * - Equal rank and equal effective time: the event applies, so the one processed last wins
 *   (the higher offset within a partition).
 * - NOTE: a higher-ranked event with an older occurredAt (SUCCESS at 12:00:04 after PENDING at
 *   12:00:05) is stale under this rule; the payment stays PENDING until a later event arrives.
 *
 * Amount rule: an applied event sets the payment's amount and currency, except a REFUNDED event
 * on a payment that already has a row. Its amount is the refunded amount, so the row keeps the
 * payment amount, and the ledger keeps the refund amount.
 * - NOTE: a REFUNDED event that creates the row (no earlier event of the payment was processed)
 *   stores the refund amount. A later SUCCESS ranks lower and is stale, so it does not correct it.
 *
 * The same comparisons run in SQL in the upsert's ON DUPLICATE KEY UPDATE clause, so keep
 * `supersedes`, `keepsStoredAmount` and PaymentRepository's guard expressions in step.
 */
import { STATUS_RANK, type PaymentEvent, type PaymentStatus } from '../paymentEvent.js';
import { isCalendarTime } from './calendar.js';

/** The two values the rules compare: status rank and effective time as a MySQL DATETIME(3) string. */
export interface OrderingKey {
  statusRank: number;
  /** UTC, `YYYY-MM-DD HH:MM:SS.mmm`; this fixed width makes string order equal time order. */
  effectiveAt: string;
}

export type EventOutcome = 'applied' | 'stale';

// The form validatePaymentEvent accepts. A real calendar time in this form is converted by
// rearranging its text, which is faster than a round trip through Date. Other input takes the
// Date path.
const PLAIN_UTC_TIME = /^((\d{4})-(\d{2})-(\d{2}))T((\d{2}):(\d{2}):(\d{2}))(?:\.(\d{1,3}))?Z$/;

/** Converts an ISO 8601 UTC time to the `YYYY-MM-DD HH:MM:SS.mmm` form MySQL stores in DATETIME(3). */
export function toMysqlDateTime(iso: string): string {
  const plain = PLAIN_UTC_TIME.exec(iso);
  if (plain !== null) {
    const [, , year, month, day, , hour, minute, second] = plain.map(Number);
    if (isCalendarTime(year as number, month as number, day as number, hour as number, minute as number, second as number)) {
      return `${plain[1]} ${plain[5]}.${(plain[9] ?? '').padEnd(3, '0')}`;
    }
  }

  const parsed = Date.parse(iso);
  if (Number.isNaN(parsed)) throw new RangeError(`Invalid ISO 8601 time ${JSON.stringify(iso)}`);
  return new Date(parsed).toISOString().replace('T', ' ').slice(0, 23);
}

export function orderingKeyOf(event: PaymentEvent): OrderingKey {
  return {
    statusRank: STATUS_RANK[event.status],
    effectiveAt: toMysqlDateTime(event.occurredAt ?? event.receivedAt),
  };
}

/** True when `candidate` may replace `current`. */
export function supersedes(candidate: OrderingKey, current: OrderingKey): boolean {
  return candidate.statusRank >= current.statusRank && candidate.effectiveAt >= current.effectiveAt;
}

/** The status whose applied events leave an existing row's amount and currency as they are. */
export const AMOUNT_KEEPING_STATUS: PaymentStatus = 'REFUNDED';

/** True when an applied event of this status leaves the amount of an existing row unchanged. */
export function keepsStoredAmount(status: PaymentStatus): boolean {
  return status === AMOUNT_KEEPING_STATUS;
}

export interface PaymentPlan<T> {
  /** One outcome per input item, in input order. */
  outcomes: EventOutcome[];
  /** The last applied item: the state the row holds after the batch; undefined when all are stale. */
  winner: T | undefined;
  appliedCount: number;
  /**
   * The last applied item whose amount and currency the row stores after the batch; undefined
   * when the stored row keeps its amount (nothing applied, or only refunds).
   */
  amountSource: T | undefined;
  /** Number of applied items up to and including amountSource; 0 when it is undefined. */
  appliedThroughAmountSource: number;
}

/**
 * Folds the events of one payment, in partition and offset order, onto its stored state
 * (undefined for a payment without a row), as if they were applied one at a time. The fold
 * follows both the status rule and the amount rule.
 *
 * @example
 *   planPayment(undefined, [successEvent, pendingEvent]).outcomes; // ['applied', 'stale']
 */
export function planPayment<T extends { event: PaymentEvent }>(current: OrderingKey | undefined, items: readonly T[]): PaymentPlan<T> {
  let state = current;
  let winner: T | undefined;
  let amountSource: T | undefined;
  let appliedCount = 0;
  let appliedThroughAmountSource = 0;
  const outcomes: EventOutcome[] = [];

  for (const item of items) {
    const key = orderingKeyOf(item.event);
    if (state !== undefined && !supersedes(key, state)) {
      outcomes.push('stale');
      continue;
    }

    // `state` is undefined only while the payment has no row, and the event creating the row
    // sets its amount whatever its status.
    if (state === undefined || !keepsStoredAmount(item.event.status)) {
      amountSource = item;
      appliedThroughAmountSource = appliedCount + 1;
    }
    state = key;
    winner = item;
    appliedCount++;
    outcomes.push('applied');
  }

  return { outcomes, winner, appliedCount, amountSource, appliedThroughAmountSource };
}
