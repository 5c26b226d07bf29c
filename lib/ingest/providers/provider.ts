/** The contract of a provider: its signature scheme and the mapping of its payload to a PaymentEvent. */
import type { JsonObject } from '../../json.js';
import type { PaymentEvent, PaymentStatus, Provider } from '../../paymentEvent.js';
import type { HeaderLookup } from '../schemes/scheme.js';

/** The PaymentEvent fields a provider mapping fills in; ingest adds the rest. */
export type MappedEvent = Omit<PaymentEvent, 'schemaVersion' | 'provider' | 'receivedAt'>;

/**
 * A verified delivery that carries no payment event, such as GitHub's `ping`. Ingest returns 200 for
 * it and produces nothing to Kafka, so the sender does not mark the webhook as failing.
 */
export interface IgnoredDelivery {
  readonly ignored: true;
  /** Machine-readable reason, returned in the response body and logged ("ping"). */
  readonly reason: string;
}

export type MappingResult = MappedEvent | IgnoredDelivery;

export function isIgnoredDelivery(result: MappingResult): result is IgnoredDelivery {
  return 'ignored' in result;
}

export interface MappingContext {
  header: HeaderLookup;
  /** Currency of legacy events that carry none (LEGACY_DEFAULT_CURRENCY). */
  legacyDefaultCurrency: string;
  /**
   * When ingest received the request, in Unix milliseconds. Event times more than
   * MAX_EVENT_TIME_AHEAD_MS after it are rejected.
   */
  nowMs: number;
}

export interface ProviderDefinition {
  readonly name: Provider;
  /**
   * Maps a verified payload to the event, or returns an IgnoredDelivery for a delivery that is
   * not about a payment. Must be deterministic: the same body and headers always give the same
   * fields, because the processor treats the same event id with different fields as a
   * conflicting duplicate. `context.nowMs` only decides whether an event time is accepted,
   * never a mapped value.
   */
  map(payload: JsonObject, context: MappingContext): MappingResult;
}

/**
 * Event types of the legacy sender and of the generic shape, and the status each one sets.
 */
export const PAYMENT_EVENT_TYPES: Readonly<Record<string, PaymentStatus>> = {
  PAYMENT_CREATED: 'CREATED',
  PAYMENT_INITIATED: 'CREATED',
  PAYMENT_PENDING: 'PENDING',
  PAYMENT_AUTHORIZED: 'AUTHORIZED',
  PAYMENT_SUCCESS: 'SUCCESS',
  PAYMENT_FAILED: 'FAILED',
  PAYMENT_CANCELLED: 'CANCELLED',
  PAYMENT_REFUNDED: 'REFUNDED',
  REFUND_SUCCESS: 'REFUNDED',
};
