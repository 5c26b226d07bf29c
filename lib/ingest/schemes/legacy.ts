/**
 * The legacy scheme of the old Spring Boot sender: `X-Signature` is the HMAC-SHA256 of the
 * raw body, in base64 (what the sender uses) or hex.
 */
import { hmacSha256 } from '../signing.js';
import { decodeBase64Digest, decodeHexDigest, digestsEqual, malformed, mismatch, requireHeader, textSecrets, type SignatureScheme } from './scheme.js';

const HEADER = 'X-Signature';
const CONTENT = 'the HMAC-SHA256 of the body, in base64 or hex';

export const legacyScheme: SignatureScheme = {
  name: 'legacy',
  headers: [HEADER],
  parseSecrets: textSecrets,
  verify(request, keys) {
    const value = requireHeader(request, HEADER, CONTENT);
    const received = decodeHexDigest(value) ?? decodeBase64Digest(value);
    if (received === undefined) throw malformed(HEADER, CONTENT);

    for (const { key } of keys) {
      if (digestsEqual(hmacSha256(key, request.body), received)) return { payload: request.body };
    }
    throw mismatch(HEADER, keys.length);
  },
};
