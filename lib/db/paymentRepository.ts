/**
 * MySQL repository of the processPayments path: the payments state table and the
 * processed_events ledger, written in one transaction per batch.
 *
 * Statement order inside the transaction:
 * 1. lock the existing payment rows of the batch (SELECT ... FOR UPDATE; the caller may run it
 *    early, see lockPayments);
 * 2. read which event ids the ledger already holds, for events whose payment row exists;
 * 3. fold each payment's new events onto its locked row with the status and amount rules;
 * 4. insert the new ledger rows (a plain INSERT: a row committed meanwhile by a concurrent
 *    transaction fails with a duplicate key and the transaction is retried, never applied twice);
 * 5. insert the payments that had no row in step 1 with a plain multi-row INSERT, and upsert
 *    the locked ones with one guarded multi-row INSERT ... ON DUPLICATE KEY UPDATE.
 *
 * The transaction runs in READ COMMITTED, so a locking read of a missing payment takes no gap
 * lock and concurrent batches inserting different payments do not deadlock on shared gaps.
 * The price is that a concurrent transaction may insert a payment between steps 1 and 5. The
 * plain INSERT of step 5 then fails with a duplicate key (after waiting for the other
 * transaction, if it has not committed yet), so the transaction is retried and its locking
 * read finds the row. No ledger outcome is recorded against a state that did not happen.
 *
 * Step 2 skips events whose payment row is absent. Every ledger row has a payment row, because
 * both are written in one transaction and an event is only stale against a row that exists.
 * Should that break (a payment row deleted by hand), the ledger insert fails with a duplicate
 * key and the retry reads the whole ledger (ApplyOptions.readWholeLedger).
 * NOTE: READ COMMITTED needs row-based binary logging when the binary log is on
 * (binlog_format ROW or MIXED; the default on MySQL 8 and MariaDB 10.11).
 */
import type { Knex } from 'knex';
import type { PaymentEvent } from '../paymentEvent.js';
import type { RecordCoordinates } from '../processing/mskEvent.js';
import { AMOUNT_KEEPING_STATUS, effectiveAtOf, orderingKeyOf, planPayment, toMysqlDateTime, type OrderingKey } from '../processing/statusRules.js';
import { listLiteral, rowsLiteral, type SqlLiteralValue } from './sqlLiterals.js';

/** An event that holds its idempotency lease and is ready to be written. */
export interface CandidateEvent {
  event: PaymentEvent;
  hash: string;
  coordinates: RecordCoordinates;
}

/** The ledger contains the event id with a different payload hash, so nothing was written. */
export interface LedgerConflict {
  /** The payload hash the ledger stores for the event id. */
  ledgerHash: string;
}

/**
 * Result of the transaction for one event:
 * - applied: it changed the payment row;
 * - stale: it was written to the ledger, but the row was newer, so the row kept its state;
 * - duplicate: the ledger already contained it with the same hash, so nothing was written;
 * - a LedgerConflict: the ledger contained the id with a different hash.
 */
export type ApplyOutcome = 'applied' | 'stale' | 'duplicate' | LedgerConflict;

interface StoredPayment extends OrderingKey {
  appliedEvents: number;
}

interface PaymentRowKey {
  provider: string;
  paymentId: string;
}

export interface PaymentRepositoryOptions {
  /** Upper bound for one statement; see DatabaseTimeouts.queryTimeoutMs. */
  queryTimeoutMs: number;
}

// Both MySQL 8 and MariaDB 10.11 accept VALUES(column) in ON DUPLICATE KEY UPDATE (MySQL 8.0.20+
// deprecates it in favour of a row alias that MariaDB lacks).

/**
 * The statusRules rule in SQL: true when the new row may replace the stored one. When both
 * occurred_at values are non-null (provider times), the new row needs a status_rank and an
 * occurred_at at least the stored ones. Otherwise the clocks differ and rank alone decides: a
 * higher status_rank wins, and an equal one wins with a received_at at least the stored one.
 * The expression is never NULL, because status_rank and received_at are NOT NULL.
 *
 * The rows it guards are locked (SELECT ... FOR UPDATE) before the plan is made, so a
 * concurrent batch cannot change them in between. The guard still rejects any row that would
 * move a payment backwards.
 */
const GUARD = `(IF(VALUES(occurred_at) IS NOT NULL AND occurred_at IS NOT NULL,
    VALUES(status_rank) >= status_rank AND VALUES(occurred_at) >= occurred_at,
    VALUES(status_rank) > status_rank OR (VALUES(status_rank) = status_rank AND VALUES(received_at) >= received_at)))`;
// Amount and currency also follow the statusRules amount rule: a REFUNDED row leaves them as they are.
const AMOUNT_GUARD = `(${GUARD} AND VALUES(status) <> ${listLiteral([AMOUNT_KEEPING_STATUS])})`;
// MySQL and MariaDB evaluate the assignments left to right on the partly updated row, so every
// assignment repeats the guard and the guard must keep its value. Columns the guard does not
// read come first, then received_at, status_rank and occurred_at in this order. Once a true
// guard has set received_at and status_rank to the new values, both branches are still true,
// and occurred_at, which chooses the branch, changes last. A false guard changes nothing.
const GUARDED_COLUMNS = ['status', 'event_type', 'last_event_id', 'updated_at', 'effective_at', 'received_at', 'status_rank', 'occurred_at'];
const UPSERT_UPDATE_CLAUSE = [
  `applied_events = IF(${GUARD}, applied_events + VALUES(applied_events), applied_events)`,
  `customer_id = IF(${GUARD}, COALESCE(VALUES(customer_id), customer_id), customer_id)`,
  `order_id = IF(${GUARD}, COALESCE(VALUES(order_id), order_id), order_id)`,
  `amount = IF(${AMOUNT_GUARD}, VALUES(amount), amount)`,
  `currency = IF(${AMOUNT_GUARD}, VALUES(currency), currency)`,
  ...GUARDED_COLUMNS.map((column) => `${column} = IF(${GUARD}, VALUES(${column}), ${column})`),
].join(',\n  ');

const PAYMENT_COLUMNS = [
  'provider',
  'payment_id',
  'status',
  'status_rank',
  'event_type',
  'amount',
  'currency',
  'customer_id',
  'order_id',
  'last_event_id',
  'occurred_at',
  'received_at',
  'effective_at',
  'applied_events',
  'created_at',
  'updated_at',
];

const LEDGER_COLUMNS = [
  'event_id',
  'provider',
  'payment_id',
  'outcome',
  'payload_hash',
  'amount',
  'currency',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'processed_at',
];

const INSERT_PAYMENTS = `INSERT INTO payments (${PAYMENT_COLUMNS.join(', ')}) VALUES `;
const UPSERT_PAYMENTS_SUFFIX = `\nON DUPLICATE KEY UPDATE\n  ${UPSERT_UPDATE_CLAUSE}`;
const INSERT_LEDGER = `INSERT INTO processed_events (${LEDGER_COLUMNS.join(', ')}) VALUES `;

// Providers are a fixed set of names without a NUL character, so this key is unambiguous.
function paymentKeyOf(event: PaymentRowKey): string {
  return `${event.provider}\u0000${event.paymentId}`;
}

function comparePaymentKeys(left: PaymentRowKey, right: PaymentRowKey): number {
  if (left.provider !== right.provider) return left.provider < right.provider ? -1 : 1;
  if (left.paymentId === right.paymentId) return 0;
  return left.paymentId < right.paymentId ? -1 : 1;
}

// One `provider = ? AND payment_id IN (...)` group per provider, joined with OR. MySQL 8 and
// MariaDB 10.11 resolve it with range scans on the primary key (EXPLAIN shows type range on
// MariaDB 10.11), so a locking read locks only these rows. For 900 keys on MariaDB 10.11 it ran
// in about 60% of the time of a row-constructor IN list, and the IN list took half the time of
// an OR of equalities.
function paymentKeyCondition(keys: readonly PaymentRowKey[]): string {
  const idsByProvider = new Map<string, string[]>();
  for (const key of keys) {
    const ids = idsByProvider.get(key.provider);
    if (ids === undefined) idsByProvider.set(key.provider, [key.paymentId]);
    else ids.push(key.paymentId);
  }
  return [...idsByProvider]
    .map(([provider, ids]) => `(provider = ${listLiteral([provider])} AND payment_id IN (${listLiteral(ids)}))`)
    .join(' OR ');
}

/**
 * The payment rows a locking read found, and which keys it covered: a covered key without a
 * row had no payment row at the time of the read.
 */
export class LockedPayments {
  readonly #covered = new Set<string>();
  readonly #stored = new Map<string, StoredPayment>();

  covers(key: PaymentRowKey): boolean {
    return this.#covered.has(paymentKeyOf(key));
  }

  get(key: PaymentRowKey): StoredPayment | undefined {
    return this.#stored.get(paymentKeyOf(key));
  }

  /** Records keys that a locking read covered and the rows it returned. */
  add(keys: readonly PaymentRowKey[], rows: ReadonlyArray<PaymentRowKey & StoredPayment>): void {
    for (const key of keys) this.#covered.add(paymentKeyOf(key));
    for (const row of rows) {
      this.#stored.set(paymentKeyOf(row), {
        statusRank: row.statusRank,
        occurredAt: row.occurredAt,
        receivedAt: row.receivedAt,
        appliedEvents: row.appliedEvents,
      });
    }
  }
}

export interface ApplyOptions {
  /** The time written to processed_at, created_at and updated_at; defaults to now. */
  now?: Date;
  /**
   * Rows that lockPayments locked earlier in the same transaction. applyEvents locks the
   * payments it does not cover itself and adds them to it.
   */
  locked?: LockedPayments;
  /** Read the ledger for every candidate, also those whose payment row is absent. */
  readWholeLedger?: boolean;
}

interface PlannedPayment {
  key: PaymentRowKey;
  row: SqlLiteralValue[];
}

export class PaymentRepository {
  readonly #queryTimeoutMs: number;

  constructor(options: PaymentRepositoryOptions) {
    this.#queryTimeoutMs = options.queryTimeoutMs;
  }

  async #query<T>(trx: Knex.Transaction, sql: string): Promise<T[]> {
    const [rows] = (await trx.raw(sql).options({ timeout: this.#queryTimeoutMs })) as [T[]];
    return rows;
  }

  /**
   * Locks the existing payment rows of these events (SELECT ... FOR UPDATE, in primary key
   * order) and returns them. The caller may run it before the claims decide which events it
   * applies, and pass the result to applyEvents in the same transaction.
   */
  async lockPayments(trx: Knex.Transaction, events: readonly PaymentRowKey[]): Promise<LockedPayments> {
    const locked = new LockedPayments();
    await this.#lockInto(trx, locked, uniquePaymentKeys(events));
    return locked;
  }

  async #lockInto(trx: Knex.Transaction, locked: LockedPayments, keys: readonly PaymentRowKey[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = await this.#query<{
      provider: string;
      payment_id: string;
      status_rank: number;
      occurred_at: string | null;
      received_at: string;
      applied_events: number;
    }>(
      trx,
      `SELECT provider, payment_id, status_rank, occurred_at, received_at, applied_events FROM payments WHERE ${paymentKeyCondition(keys)} FOR UPDATE`,
    );
    locked.add(
      keys,
      rows.map((row) => ({
        provider: row.provider,
        paymentId: row.payment_id,
        statusRank: Number(row.status_rank),
        occurredAt: row.occurred_at,
        receivedAt: row.received_at,
        appliedEvents: Number(row.applied_events),
      })),
    );
  }

  /**
   * Writes the candidates in the caller's transaction and returns one outcome per candidate,
   * in input order. Candidates must have distinct event ids and be in partition and offset
   * order. Throws MySQL errors unchanged. A duplicate key (ER_DUP_ENTRY) means that a concurrent
   * transaction wrote one of these events or payments first, so the transaction must be retried.
   */
  async applyEvents(trx: Knex.Transaction, candidates: readonly CandidateEvent[], options: ApplyOptions = {}): Promise<ApplyOutcome[]> {
    if (candidates.length === 0) return [];
    const nowText = toMysqlDateTime((options.now ?? new Date()).toISOString());

    const locked = options.locked ?? new LockedPayments();
    const uncovered = uniquePaymentKeys(candidates.map((candidate) => candidate.event)).filter((key) => !locked.covers(key));
    await this.#lockInto(trx, locked, uncovered);

    const ledgerEventIds = candidates
      .filter((candidate) => options.readWholeLedger === true || locked.get(candidate.event) !== undefined)
      .map((candidate) => candidate.event.eventId);
    const ledgerHashes = await this.#readLedger(trx, ledgerEventIds);

    const outcomes: ApplyOutcome[] = new Array(candidates.length);
    const newByPayment = new Map<string, Array<{ index: number; candidate: CandidateEvent; event: PaymentEvent }>>();
    candidates.forEach((candidate, index) => {
      const existingHash = ledgerHashes.get(candidate.event.eventId);
      if (existingHash !== undefined) {
        outcomes[index] = existingHash === candidate.hash ? 'duplicate' : { ledgerHash: existingHash };
        return;
      }
      const key = paymentKeyOf(candidate.event);
      const group = newByPayment.get(key);
      const item = { index, candidate, event: candidate.event };
      if (group === undefined) newByPayment.set(key, [item]);
      else group.push(item);
    });

    const ledgerRows: SqlLiteralValue[][] = [];
    const insertedPayments: PlannedPayment[] = [];
    const updatedPayments: PlannedPayment[] = [];
    for (const group of newByPayment.values()) {
      const current = locked.get(group[0]!.event);
      const plan = planPayment(current, group);
      group.forEach((item, position) => {
        const outcome = plan.outcomes[position] ?? 'stale';
        outcomes[item.index] = outcome;
        ledgerRows.push(ledgerRow(item.candidate, outcome, nowText));
      });
      const { winner, amountSource } = plan;
      if (winner === undefined) continue;
      const key = { provider: winner.event.provider, paymentId: winner.event.paymentId };
      if (current === undefined) {
        // A new row: the fold already chose the amount, so one row carries the final state.
        insertedPayments.push({ key, row: paymentRow(winner.event, plan.appliedCount, nowText, amountSource?.event) });
      } else {
        // MySQL applies each row of a multi-row upsert to the row the previous one updated, so
        // the steps replay the fold. They include the amount source, because the upsert keeps
        // a stored amount for a refund that follows it.
        for (const step of plan.upsertSteps) {
          updatedPayments.push({ key, row: paymentRow(step.item.event, step.appliedEvents, nowText) });
        }
      }
    }

    if (ledgerRows.length > 0) {
      ledgerRows.sort((left, right) => (String(left[0]) < String(right[0]) ? -1 : 1));
      await this.#query(trx, INSERT_LEDGER + rowsLiteral(ledgerRows));
    }

    // Rows absent at the locking read are inserted without ON DUPLICATE KEY UPDATE, so a row
    // that a concurrent transaction inserted meanwhile fails the statement instead of being
    // merged into a state the plan did not see.
    if (insertedPayments.length > 0) {
      insertedPayments.sort((left, right) => comparePaymentKeys(left.key, right.key));
      await this.#query(trx, INSERT_PAYMENTS + rowsLiteral(insertedPayments.map((entry) => entry.row)));
    }

    // These rows are locked since the locking read, so the plan saw their current state. The
    // sort is stable, so the rows of one payment keep their order.
    if (updatedPayments.length > 0) {
      updatedPayments.sort((left, right) => comparePaymentKeys(left.key, right.key));
      await this.#query(trx, INSERT_PAYMENTS + rowsLiteral(updatedPayments.map((entry) => entry.row)) + UPSERT_PAYMENTS_SUFFIX);
    }

    return outcomes;
  }

  async #readLedger(trx: Knex.Transaction, eventIds: readonly string[]): Promise<Map<string, string>> {
    if (eventIds.length === 0) return new Map();
    const rows = await this.#query<{ event_id: string; payload_hash: string }>(
      trx,
      `SELECT event_id, payload_hash FROM processed_events WHERE event_id IN (${listLiteral(eventIds)})`,
    );
    return new Map(rows.map((row) => [row.event_id, row.payload_hash]));
  }
}

function uniquePaymentKeys(events: readonly PaymentRowKey[]): PaymentRowKey[] {
  const keys = new Map<string, PaymentRowKey>();
  for (const event of events) keys.set(paymentKeyOf(event), { provider: event.provider, paymentId: event.paymentId });
  return [...keys.values()].sort(comparePaymentKeys);
}

function ledgerRow(candidate: CandidateEvent, outcome: 'applied' | 'stale', nowText: string): SqlLiteralValue[] {
  const { event, coordinates } = candidate;
  return [
    event.eventId,
    event.provider,
    event.paymentId,
    outcome,
    candidate.hash,
    event.amount,
    event.currency,
    coordinates.topic,
    coordinates.partition,
    String(coordinates.offset),
    nowText,
  ];
}

/** Builds a payments row from `event`, with the amount and currency of `amountFrom`. */
function paymentRow(event: PaymentEvent, appliedCount: number, nowText: string, amountFrom: PaymentEvent = event): SqlLiteralValue[] {
  const key = orderingKeyOf(event);
  return [
    event.provider,
    event.paymentId,
    event.status,
    key.statusRank,
    event.eventType,
    amountFrom.amount,
    amountFrom.currency,
    event.customerId,
    event.orderId,
    event.eventId,
    key.occurredAt,
    key.receivedAt,
    effectiveAtOf(key),
    appliedCount,
    nowText,
    nowText,
  ];
}
