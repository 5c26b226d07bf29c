/**
 * The generic payment payload that the github, shopify and standard providers accept. The event
 * id is not in the body but in the provider's delivery-id header (X-GitHub-Delivery,
 * X-Shopify-Webhook-Id, webhook-id), which the signature covers for standard only.
 *
 *   {
 *     "eventType": "PAYMENT_SUCCESS",        // see PAYMENT_EVENT_TYPES
 *     "paymentId": "pay_123",
 *     "amount": "500.00",                    // JSON number or decimal string, major units
 *     "currency": "INR",
 *     "customerId": "cust_1",                // optional
 *     "orderId": "order_9",                  // optional
 *     "occurredAt": "2024-03-01T10:15:30Z"   // optional, ISO 8601
 *   }
 */
import type { Provider } from '../../paymentEvent.js';
import type { ProviderDefinition } from './provider.js';
import { PAYMENT_EVENT_TYPES } from './provider.js';
import {
  checkId,
  optionalIsoTimestamp,
  optionalString,
  requireCurrency,
  requireDecimalAmount,
  requireEventType,
  requireString,
} from '../validation.js';

/** Builds the provider definition for a generic-payload provider whose event id comes from `idHeader`. */
export function genericProvider(name: Provider, idHeader: string): ProviderDefinition {
  return {
    name,
    map(payload, context) {
      const eventId = checkId(context.header(idHeader), idHeader);
      const { eventType, status } = requireEventType(PAYMENT_EVENT_TYPES, payload, 'eventType', 'eventType');
      const paymentId = requireString(payload, 'paymentId', 'paymentId');
      const currency = requireCurrency(payload, 'currency', 'currency');
      const amount = requireDecimalAmount(payload, 'amount', 'amount', currency);
      const customerId = optionalString(payload, 'customerId', 'customerId');
      const orderId = optionalString(payload, 'orderId', 'orderId');
      const occurredAt = optionalIsoTimestamp(payload, 'occurredAt', 'occurredAt', context.nowMs);

      return { eventId, eventType, status, paymentId, amount, currency, customerId, orderId, occurredAt };
    },
  };
}
