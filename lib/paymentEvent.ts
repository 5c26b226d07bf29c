/**
 * The internal payment event: what `ingest` writes to Kafka as the record value (JSON, UTF-8)
 * after verifying and mapping a provider's webhook, and what `processPayments` reads back.
 *
 * Amounts travel as decimal strings ("500.00", "12345678901234.56") and are never converted
 * to a binary float anywhere in the pipeline.
 */

export const PROVIDERS = ['legacy', 'standard', 'stripe', 'github', 'razorpay', 'shopify', 'phonepe'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * Payment statuses in the order a payment moves through them. A stored status is only
 * replaced by one of equal or higher rank that is not older (lib/processing/statusRules.ts).
 */
export const PAYMENT_STATUSES = ['CREATED', 'PENDING', 'AUTHORIZED', 'SUCCESS', 'FAILED', 'CANCELLED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * Rank of each status for the status rules. SUCCESS ranks above FAILED and CANCELLED, so a late
 * or retried failed attempt never replaces a succeeded payment, while a SUCCESS after a FAILED
 * (the customer paid again) applies. payments.status_rank stores these values, so changing one
 * needs a migration that recomputes the stored ranks.
 */
export const STATUS_RANK: Record<PaymentStatus, number> = {
  CREATED: 0,
  PENDING: 1,
  AUTHORIZED: 2,
  FAILED: 3,
  CANCELLED: 3,
  SUCCESS: 4,
  REFUNDED: 5,
};

/** Version of the record value layout, in the `schemaVersion` field. */
export const PAYMENT_EVENT_SCHEMA_VERSION = 1;

export interface PaymentEvent {
  schemaVersion: typeof PAYMENT_EVENT_SCHEMA_VERSION;
  /** The provider's event id; unique across providers (it is the idempotency key). */
  eventId: string;
  provider: Provider;
  /** The provider's event type as sent, for example PAYMENT_SUCCESS or payment.captured. */
  eventType: string;
  status: PaymentStatus;
  /** The payment whose state this event changes: the state table's key together with provider. */
  paymentId: string;
  /** Decimal string with at most the currency's minor-unit digits. */
  amount: string;
  /** ISO 4217 code, upper case. */
  currency: string;
  customerId: string | null;
  orderId: string | null;
  /** Time the event happened according to the provider (ISO 8601 UTC, millisecond precision), or null when the webhook has none. */
  occurredAt: string | null;
  /** When ingest received the webhook (ISO 8601 UTC, millisecond precision). */
  receivedAt: string;
}

/** Kafka record header names written by ingest. */
export const HEADER = {
  provider: 'provider',
  eventId: 'event-id',
  receivedAt: 'received-at',
  requestId: 'request-id',
  schemaVersion: 'schema-version',
} as const;

/** Returns the partition key, so all events of one order (or, without an order, one customer or payment) share a partition. */
export function partitionKey(event: Pick<PaymentEvent, 'provider' | 'orderId' | 'customerId' | 'paymentId'>): string {
  if (event.orderId !== null) return `${event.provider}:order:${event.orderId}`;
  if (event.customerId !== null) return `${event.provider}:customer:${event.customerId}`;
  return `${event.provider}:payment:${event.paymentId}`;
}

/** Serializes the record value. Field order is fixed so equal events give equal bytes (and equal hashes). */
export function serializePaymentEvent(event: PaymentEvent): string {
  return JSON.stringify({
    schemaVersion: event.schemaVersion,
    eventId: event.eventId,
    provider: event.provider,
    eventType: event.eventType,
    status: event.status,
    paymentId: event.paymentId,
    amount: event.amount,
    currency: event.currency,
    customerId: event.customerId,
    orderId: event.orderId,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
  });
}
