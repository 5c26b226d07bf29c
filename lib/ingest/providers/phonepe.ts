/**
 * PhonePe server-to-server callbacks, after the scheme decoded the base64 `response`:
 *
 *   { "success": true, "code": "PAYMENT_SUCCESS", "message": "...",
 *     "data": { "merchantId": "M1", "merchantTransactionId": "MT7850590068188104",
 *               "transactionId": "T2111221437456190170379", "amount": 10000, "state": "COMPLETED" } }
 *
 * PhonePe sends no event id, so the id is `<merchantTransactionId>:<code>`: a repeated
 * callback for the same payment and outcome gets the same id. The payment id is the
 * merchantTransactionId; amounts are paise and the currency is always INR. The callback
 * carries no event time, so occurredAt is null.
 */
import type { PaymentStatus } from '../../paymentEvent.js';
import type { ProviderDefinition } from './provider.js';
import { mapStatus, requireMinorUnitAmount, requireObject, requireString } from '../validation.js';

export const PHONEPE_CODES: Readonly<Record<string, PaymentStatus>> = {
  PAYMENT_PENDING: 'PENDING',
  PAYMENT_SUCCESS: 'SUCCESS',
  PAYMENT_ERROR: 'FAILED',
  PAYMENT_DECLINED: 'FAILED',
  TIMED_OUT: 'FAILED',
};

export const phonepeProvider: ProviderDefinition = {
  name: 'phonepe',
  map(payload) {
    const code = requireString(payload, 'code', 'code');
    const status = mapStatus(PHONEPE_CODES, code, 'code');
    const data = requireObject(payload, 'data', 'data');
    const merchantTransactionId = requireString(data, 'merchantTransactionId', 'data.merchantTransactionId');
    const currency = 'INR';

    return {
      eventId: `${merchantTransactionId}:${code}`,
      eventType: code,
      status,
      paymentId: merchantTransactionId,
      amount: requireMinorUnitAmount(data, 'amount', 'data.amount', currency),
      currency,
      customerId: null,
      orderId: null,
      occurredAt: null,
    };
  },
};
