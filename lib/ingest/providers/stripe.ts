/**
 * Stripe event objects:
 *
 *   { "id": "evt_...", "object": "event", "type": "payment_intent.succeeded", "created": 1700000000,
 *     "data": { "object": { "id": "pi_...", "amount": 50000, "currency": "inr",
 *                           "customer": "cus_..." | null, "metadata": { "order_id": "..." } } } }
 *
 * For `charge.*` events the object is a charge with the same fields plus `payment_intent`.
 * Its payment id is that payment intent, or the charge id when there is none, so the charge
 * and payment intent events of one payment update the same state row. `amount` is an integer
 * in the currency's minor unit and is converted with string arithmetic using ISO 4217 minor
 * units. `created` (Unix seconds) is the occurred-at time.
 * NOTE: some Stripe API versions treat a few currencies (ISK, HUF, TWD, UGX) differently from
 * ISO 4217. Their amounts are still converted with the ISO minor units.
 * charge.refunded takes its amount from `amount_refunded` instead (see the mapping).
 * NOTE: a charge's `amount` is what was authorized. After a partial capture, charge.captured
 * still carries that amount, not `amount_captured`.
 */
import type { PaymentStatus } from '../../paymentEvent.js';
import type { ProviderDefinition } from './provider.js';
import {
  optionalEpochSeconds,
  optionalObject,
  optionalString,
  requireCurrency,
  requireEventType,
  requireMinorUnitAmount,
  requireObject,
  requireString,
} from '../validation.js';

export const STRIPE_EVENT_TYPES: Readonly<Record<string, PaymentStatus>> = {
  'payment_intent.created': 'CREATED',
  'payment_intent.processing': 'PENDING',
  'payment_intent.requires_action': 'PENDING',
  'payment_intent.amount_capturable_updated': 'AUTHORIZED',
  'payment_intent.succeeded': 'SUCCESS',
  'payment_intent.payment_failed': 'FAILED',
  'payment_intent.canceled': 'CANCELLED',
  'charge.pending': 'PENDING',
  'charge.succeeded': 'SUCCESS',
  'charge.captured': 'SUCCESS',
  'charge.failed': 'FAILED',
  'charge.refunded': 'REFUNDED',
};

export const stripeProvider: ProviderDefinition = {
  name: 'stripe',
  map(payload, context) {
    const eventId = requireString(payload, 'id', 'id');
    const { eventType, status } = requireEventType(STRIPE_EVENT_TYPES, payload, 'type', 'type');
    const occurredAt = optionalEpochSeconds(payload, 'created', 'created', context.nowMs);

    const data = requireObject(payload, 'data', 'data');
    const object = requireObject(data, 'object', 'data.object');
    const objectId = requireString(object, 'id', 'data.object.id');
    const paymentId = eventType.startsWith('charge.')
      ? (optionalString(object, 'payment_intent', 'data.object.payment_intent') ?? objectId)
      : objectId;

    const currency = requireCurrency(object, 'currency', 'data.object.currency');
    // For charge.refunded, `amount` is still the charge amount. The event amount is
    // `amount_refunded`, the cumulative amount refunded on the charge in minor units, so after
    // two partial refunds it is their sum, not the latest refund.
    const amountKey = eventType === 'charge.refunded' ? 'amount_refunded' : 'amount';
    const amount = requireMinorUnitAmount(object, amountKey, `data.object.${amountKey}`, currency);
    const customerId = optionalString(object, 'customer', 'data.object.customer');
    const metadata = optionalObject(object, 'metadata', 'data.object.metadata');
    const orderId = metadata === null ? null : optionalString(metadata, 'order_id', 'data.object.metadata.order_id');

    return { eventId, eventType, status, paymentId, amount, currency, customerId, orderId, occurredAt };
  },
};
