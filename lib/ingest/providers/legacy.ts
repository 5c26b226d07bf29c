/**
 * The old Spring Boot sender's payload, accepted unchanged:
 *
 *   { "eventId": "evt_NEW_004", "eventType": "PAYMENT_SUCCESS", "amount": 500.00, "customerId": "cust_vip_02" }
 *
 * Required: eventId, eventType (see PAYMENT_EVENT_TYPES), amount (JSON number or decimal
 * string, major units), customerId. Optional: currency (default LEGACY_DEFAULT_CURRENCY),
 * paymentId (default orderId, then eventId), orderId, occurredAt or timestamp (ISO 8601).
 * Other fields are ignored.
 */
import type { ProviderDefinition } from './provider.js';
import { PAYMENT_EVENT_TYPES } from './provider.js';
import { optionalIsoTimestamp, optionalString, requireDecimalAmount, requireEventType, requireString, toCurrency } from '../validation.js';

export const legacyProvider: ProviderDefinition = {
  name: 'legacy',
  map(payload, context) {
    const eventId = requireString(payload, 'eventId', 'eventId');
    const { eventType, status } = requireEventType(PAYMENT_EVENT_TYPES, payload, 'eventType', 'eventType');
    const customerId = requireString(payload, 'customerId', 'customerId');

    const currencyText = optionalString(payload, 'currency', 'currency');
    const currency = currencyText === null ? context.legacyDefaultCurrency : toCurrency(currencyText, 'currency');
    const amount = requireDecimalAmount(payload, 'amount', 'amount', currency);

    const orderId = optionalString(payload, 'orderId', 'orderId');
    const paymentId = optionalString(payload, 'paymentId', 'paymentId') ?? orderId ?? eventId;
    const occurredAt = payload.occurredAt !== undefined && payload.occurredAt !== null
      ? optionalIsoTimestamp(payload, 'occurredAt', 'occurredAt', context.nowMs)
      : optionalIsoTimestamp(payload, 'timestamp', 'timestamp', context.nowMs);

    return { eventId, eventType, status, paymentId, amount, currency, customerId, orderId, occurredAt };
  },
};
