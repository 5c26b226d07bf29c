/** Razorpay's scheme: `X-Razorpay-Signature` is the hex HMAC-SHA256 of the body. */
import { hmacSha256 } from '../signing.js';
import { decodeHexDigest, digestsEqual, malformed, mismatch, requireHeader, textSecrets, type SignatureScheme } from './scheme.js';

const HEADER = 'X-Razorpay-Signature';
const CONTENT = 'the hex HMAC-SHA256 of the body (64 hex digits)';

export const razorpayScheme: SignatureScheme = {
  name: 'razorpay',
  headers: [HEADER],
  parseSecrets: textSecrets,
  verify(request, keys) {
    const received = decodeHexDigest(requireHeader(request, HEADER, CONTENT));
    if (received === undefined) throw malformed(HEADER, CONTENT);

    for (const { key } of keys) {
      if (digestsEqual(hmacSha256(key, request.body), received)) return { payload: request.body };
    }
    throw mismatch(HEADER, keys.length);
  },
};
