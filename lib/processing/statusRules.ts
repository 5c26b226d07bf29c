/**
 * Status rules: when an event replaces the stored state of its payment.
 *
 * Times are compared only when both come from the provider's clock. The provider time is
 * occurredAt on an event and occurred_at on the stored row. receivedAt comes from the ingest
 * server's clock, which can differ from the provider's by seconds.
 *
 * - Both have a provider time: the event applies when its status rank (STATUS_RANK) and its
 *   occurredAt are both at least the stored ones. With equal rank and equal time the event
 *   applies, so the one processed last wins (the higher offset within a partition).
 * - Either has no provider time: rank alone decides. A higher rank applies and a lower rank is
 *   stale. An equal rank applies when its receivedAt is at least the stored one, so with equal
 *   receivedAt the one processed last wins.
 * - A stale event goes into the ledger but leaves the state as it is.
 * - Times are compared at millisecond precision.
 *
 * Example of the mixed case, a legacy FAILED without occurredAt and a provider SUCCESS:
 *
 *   12:00:00  provider: payment succeeds (SUCCESS.occurredAt)
 *   12:00:02  server receives FAILED, no occurredAt (FAILED.receivedAt)  -> row FAILED
 *   12:00:30  server receives SUCCESS                                     -> rank 4 > 3: row SUCCESS
 *
 * - NOTE: with provider times on both sides, a higher-ranked event with an older occurredAt
 *   (SUCCESS at 12:00:04 after PENDING at 12:00:05) is stale. The payment stays PENDING until a
 *   later event arrives.
 * - NOTE: the rule is not transitive once the two branches mix, so a batch's applied events are
 *   written as a chain of upsert rows (PaymentPlan.upsertSteps), never the last one alone.
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

/**
 * The values the rules compare. Times are UTC in MySQL DATETIME(3) form,
 * `YYYY-MM-DD HH:MM:SS.mmm`, whose fixed width makes string order equal time order.
 */
export interface OrderingKey {
  statusRank: number;
  /** The provider's event time, or null when the provider sent none. */
  occurredAt: string | null;
  /** The time the ingest server received the event. */
  receivedAt: string;
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
    occurredAt: event.occurredAt === null ? null : toMysqlDateTime(event.occurredAt),
    receivedAt: toMysqlDateTime(event.receivedAt),
  };
}

/** Returns the time stored in payments.effective_at: occurredAt, else receivedAt. */
export function effectiveAtOf(key: OrderingKey): string {
  return key.occurredAt ?? key.receivedAt;
}

/** Returns true when `candidate` may replace `current`, by the rule in the module comment. */
export function supersedes(candidate: OrderingKey, current: OrderingKey): boolean {
  if (candidate.occurredAt !== null && current.occurredAt !== null) {
    return candidate.statusRank >= current.statusRank && candidate.occurredAt >= current.occurredAt;
  }

  // At least one side has only the server's receive time, which is not comparable with a
  // provider time, so the rank decides and receivedAt only breaks a tie.
  if (candidate.statusRank !== current.statusRank) return candidate.statusRank > current.statusRank;
  return candidate.receivedAt >= current.receivedAt;
}

/** The status whose applied events leave an existing row's amount and currency as they are. */
export const AMOUNT_KEEPING_STATUS: PaymentStatus = 'REFUNDED';

/** True when an applied event of this status leaves the amount of an existing row unchanged. */
export function keepsStoredAmount(status: PaymentStatus): boolean {
  return status === AMOUNT_KEEPING_STATUS;
}

/** One row of the upsert that replays a batch's applied events over a stored payment row. */
export interface UpsertStep<T> {
  item: T;
  /** Applied events this row accounts for: itself and the skipped ones before it. */
  appliedEvents: number;
}

export interface PaymentPlan<T> {
  /** One outcome per input item, in input order. */
  outcomes: EventOutcome[];
  /** The last applied item, whose state the row has after the batch. Undefined when all are stale. */
  winner: T | undefined;
  appliedCount: number;
  /**
   * The last applied item whose amount and currency the row stores after the batch. Undefined
   * when the stored row keeps its amount, because nothing applied or only refunds did.
   */
  amountSource: T | undefined;
  /** Number of applied items up to and including amountSource; 0 when it is undefined. */
  appliedThroughAmountSource: number;
  /**
   * For a stored row, the applied items to send as upsert rows, in order, so that each row
   * supersedes the one before it (the first supersedes the stored row). It ends with winner
   * and contains amountSource. Empty when nothing applied or the payment has no row.
   */
  upsertSteps: Array<UpsertStep<T>>;
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
  const applied: Array<{ item: T; key: OrderingKey }> = [];

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
    applied.push({ item, key });
    outcomes.push('applied');
  }

  const upsertSteps = current === undefined ? [] : chainUpsertSteps(current, applied, amountSource);
  return { outcomes, winner, appliedCount, amountSource, appliedThroughAmountSource, upsertSteps };
}

/**
 * Picks the applied items the upsert must send. The SQL guard checks each row only against the
 * row before it, and supersedes is not transitive across its two branches. Example: over a
 * stored SUCCESS with occurredAt 12:00:10, a REFUNDED without occurredAt applies (higher rank),
 * and a REFUNDED with occurredAt 12:00:05 received later applies over that (equal rank, later
 * receivedAt), but directly over the SUCCESS it is stale (older occurredAt). So an item is
 * skipped only when the next applied item also supersedes the last row sent. The amount
 * source is never skipped, because a refund after it keeps the stored amount.
 */
function chainUpsertSteps<T>(current: OrderingKey, applied: ReadonlyArray<{ item: T; key: OrderingKey }>, amountSource: T | undefined): Array<UpsertStep<T>> {
  const steps: Array<UpsertStep<T>> = [];
  let previous = current;
  let skipped = 0;

  applied.forEach(({ item, key }, index) => {
    const next = applied[index + 1];
    if (next !== undefined && item !== amountSource && supersedes(next.key, previous)) {
      skipped++;
      return;
    }
    steps.push({ item, appliedEvents: skipped + 1 });
    skipped = 0;
    previous = key;
  });

  return steps;
}
