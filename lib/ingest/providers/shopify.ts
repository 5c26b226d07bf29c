/** Shopify-signed deliveries of the generic payment payload; the event id is X-Shopify-Webhook-Id. */
import { genericProvider } from './generic.js';

export const shopifyProvider = genericProvider('shopify', 'X-Shopify-Webhook-Id');
