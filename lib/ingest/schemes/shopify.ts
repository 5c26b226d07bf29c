/** Shopify's scheme: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the body. */
import { hmacSha256 } from '../signing.js';
import { decodeBase64Digest, digestsEqual, malformed, mismatch, requireHeader, textSecrets, type SignatureScheme } from './scheme.js';

const HEADER = 'X-Shopify-Hmac-Sha256';
const CONTENT = 'the base64 HMAC-SHA256 of the body (44 characters)';

export const shopifyScheme: SignatureScheme = {
  name: 'shopify',
  headers: [HEADER],
  parseSecrets: textSecrets,
  verify(request, keys) {
    const received = decodeBase64Digest(requireHeader(request, HEADER, CONTENT));
    if (received === undefined) throw malformed(HEADER, CONTENT);

    for (const { key } of keys) {
      if (digestsEqual(hmacSha256(key, request.body), received)) return { payload: request.body };
    }
    throw mismatch(HEADER, keys.length);
  },
};
