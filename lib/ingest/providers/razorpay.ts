/**
 * Razorpay webhook events. The event id is the X-Razorpay-Event-Id header.
 *
 *   { "entity": "event", "event": "payment.captured", "contains": ["payment"], "created_at": 1700000000,
 *     "payload": { "payment": { "entity": { "id": "pay_...", "amount": 50000, "currency": "INR",
 *                                           "order_id": "order_..." | null, "customer_id": "cust_..." } } } }
 *
 * For refund.processed the amount, currency and payment id come from payload.refund.entity
 * (`payment_id`), and the order id from payload.payment.entity when Razorpay includes it.
 * Amounts are integers in the minor unit (paise). `created_at` (Unix seconds) is the occurred-at time.
 */
import type { PaymentStatus } from '../../paymentEvent.js';
import type { ProviderDefinition } from './provider.js';
import {
  checkId,
  mapStatus,
  optionalEpochSeconds,
  optionalObject,
  optionalString,
  requireCurrency,
  requireMinorUnitAmount,
  requireObject,
  requireString,
} from '../validation.js';

const EVENT_ID_HEADER = 'X-Razorpay-Event-Id';

export const RAZORPAY_EVENT_TYPES: Readonly<Record<string, PaymentStatus>> = {
  'payment.authorized': 'AUTHORIZED',
  'payment.captured': 'SUCCESS',
  'payment.failed': 'FAILED',
  'order.paid': 'SUCCESS',
  'refund.processed': 'REFUNDED',
};

export const razorpayProvider: ProviderDefinition = {
  name: 'razorpay',
  map(payload, context) {
    const eventId = checkId(context.header(EVENT_ID_HEADER), EVENT_ID_HEADER);
    const eventType = requireString(payload, 'event', 'event');
    const status = mapStatus(RAZORPAY_EVENT_TYPES, eventType, 'event');
    const occurredAt = optionalEpochSeconds(payload, 'created_at', 'created_at', context.nowMs);
    const body = requireObject(payload, 'payload', 'payload');

    if (eventType === 'refund.processed') {
      const refund = requireObject(requireObject(body, 'refund', 'payload.refund'), 'entity', 'payload.refund.entity');
      const paymentWrapper = optionalObject(body, 'payment', 'payload.payment');
      const payment = paymentWrapper === null ? null : optionalObject(paymentWrapper, 'entity', 'payload.payment.entity');
      const currency = requireCurrency(refund, 'currency', 'payload.refund.entity.currency');
      return {
        eventId,
        eventType,
        status,
        paymentId: requireString(refund, 'payment_id', 'payload.refund.entity.payment_id'),
        amount: requireMinorUnitAmount(refund, 'amount', 'payload.refund.entity.amount', currency),
        currency,
        customerId: payment === null ? null : optionalString(payment, 'customer_id', 'payload.payment.entity.customer_id'),
        orderId: payment === null ? null : optionalString(payment, 'order_id', 'payload.payment.entity.order_id'),
        occurredAt,
      };
    }

    const payment = requireObject(requireObject(body, 'payment', 'payload.payment'), 'entity', 'payload.payment.entity');
    const currency = requireCurrency(payment, 'currency', 'payload.payment.entity.currency');
    return {
      eventId,
      eventType,
      status,
      paymentId: requireString(payment, 'id', 'payload.payment.entity.id'),
      amount: requireMinorUnitAmount(payment, 'amount', 'payload.payment.entity.amount', currency),
      currency,
      customerId: optionalString(payment, 'customer_id', 'payload.payment.entity.customer_id'),
      orderId: optionalString(payment, 'order_id', 'payload.payment.entity.order_id'),
      occurredAt,
    };
  },
};
