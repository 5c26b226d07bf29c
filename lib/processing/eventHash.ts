import { createHash } from 'node:crypto';
import type { PaymentEvent } from '../paymentEvent.js';

/**
 * Hashes (SHA-256, hex) every PaymentEvent field except receivedAt, in a fixed order. A
 * provider's retry of the same event gets a new receivedAt but the same hash; the same event
 * id with any other field changed gets a different hash and is a conflicting duplicate.
 */
export function hashPaymentEvent(event: PaymentEvent): string {
  const canonical = JSON.stringify([
    event.schemaVersion,
    event.eventId,
    event.provider,
    event.eventType,
    event.status,
    event.paymentId,
    event.amount,
    event.currency,
    event.customerId,
    event.orderId,
    event.occurredAt,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
