/** Every provider the ingest function supports, by the name used in the path and in WEBHOOK_PROVIDERS. */
import type { Provider } from '../../paymentEvent.js';
import { githubProvider } from './github.js';
import { legacyProvider } from './legacy.js';
import { phonepeProvider } from './phonepe.js';
import type { ProviderDefinition } from './provider.js';
import { razorpayProvider } from './razorpay.js';
import { shopifyProvider } from './shopify.js';
import { standardProvider } from './standard.js';
import { stripeProvider } from './stripe.js';

export { isIgnoredDelivery, type IgnoredDelivery, type MappedEvent, type MappingContext, type MappingResult, type ProviderDefinition } from './provider.js';

export const PROVIDER_DEFINITIONS: Readonly<Record<Provider, ProviderDefinition>> = {
  legacy: legacyProvider,
  standard: standardProvider,
  stripe: stripeProvider,
  github: githubProvider,
  razorpay: razorpayProvider,
  shopify: shopifyProvider,
  phonepe: phonepeProvider,
};
