/** Standard Webhooks deliveries of the generic payment payload; the event id is webhook-id. */
import { genericProvider } from './generic.js';

export const standardProvider = genericProvider('standard', 'webhook-id');
