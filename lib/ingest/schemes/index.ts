/** The signature scheme of each provider. */
import type { Provider } from '../../paymentEvent.js';
import { githubScheme } from './github.js';
import { legacyScheme } from './legacy.js';
import { phonepeScheme } from './phonepe.js';
import { razorpayScheme } from './razorpay.js';
import type { SignatureScheme } from './scheme.js';
import { shopifyScheme } from './shopify.js';
import { standardScheme } from './standard.js';
import { stripeScheme } from './stripe.js';

export type { HeaderLookup, SignatureScheme, SignedRequest, SigningKey, VerifiedRequest, VerifyOptions } from './scheme.js';

export const SCHEMES: Readonly<Record<Provider, SignatureScheme>> = {
  legacy: legacyScheme,
  standard: standardScheme,
  stripe: stripeScheme,
  github: githubScheme,
  razorpay: razorpayScheme,
  shopify: shopifyScheme,
  phonepe: phonepeScheme,
};
