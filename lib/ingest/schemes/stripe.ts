/**
 * Stripe's scheme: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each v1 the
 * HMAC-SHA256 of `{t}.{body}`. Stripe sends several v1 entries while a secret is being rolled,
 * so the request verifies when any v1 entry matches any configured secret. Entries of other
 * schemes (v0), v1 entries that are not 64 hex digits and items without `=` are skipped. The
 * timestamp must be within the tolerance window.
 */
import { hmacSha256 } from '../signing.js';
import { checkTimestamp, decodeHexDigest, digestsEqual, malformed, mismatch, requireHeader, textSecrets, type SignatureScheme } from './scheme.js';

const HEADER = 'Stripe-Signature';
const EXPECTED = 't=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">';

export interface StripeSignature {
  timestamp: string;
  /** Decoded v1 digests; a v1 entry that is not 64 hex digits is left out. */
  signatures: Buffer[];
}

/**
 * Splits a Stripe-Signature value into its timestamp and v1 signatures. Returns undefined when
 * there is no `t`, more than one `t`, or no `v1` entry at all.
 */
export function parseStripeSignature(value: string): StripeSignature | undefined {
  let timestamp: string | undefined;
  let v1Count = 0;
  const signatures: Buffer[] = [];
  for (const item of value.split(',')) {
    const separator = item.indexOf('=');
    if (separator < 1) continue;
    const name = item.slice(0, separator).trim();
    const content = item.slice(separator + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined) return undefined;
      timestamp = content;
    } else if (name === 'v1') {
      v1Count++;
      const digest = decodeHexDigest(content);
      if (digest !== undefined) signatures.push(digest);
    }
  }
  if (timestamp === undefined || v1Count === 0) return undefined;
  return { timestamp, signatures };
}

export const stripeScheme: SignatureScheme = {
  name: 'stripe',
  headers: [HEADER],
  parseSecrets: textSecrets,
  verify(request, keys, options) {
    const parsed = parseStripeSignature(requireHeader(request, HEADER, EXPECTED));
    if (parsed === undefined || !/^[0-9]{1,12}$/.test(parsed.timestamp)) throw malformed(HEADER, EXPECTED);

    const matched = keys.some(({ key }) => {
      const expected = hmacSha256(key, `${parsed.timestamp}.`, request.body);
      return parsed.signatures.some((received) => digestsEqual(expected, received));
    });
    if (!matched) throw mismatch(HEADER, keys.length);

    // Checked after the signature, so the tolerance message is only shown for genuine, replayed requests.
    checkTimestamp(HEADER, parsed.timestamp, options);
    return { payload: request.body };
  },
};
