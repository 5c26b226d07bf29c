/**
 * Standard Webhooks (the scheme Svix signs with): headers `webhook-id`, `webhook-timestamp`
 * (Unix seconds) and `webhook-signature`, a space-separated list of `v1,<base64>` entries, each
 * the HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the base64-decoded `whsec_` secret.
 * Entries of other versions (v1a, asymmetric) are ignored. The timestamp must be within the
 * tolerance window.
 */
import { hmacSha256, standardSecretKey } from '../signing.js';
import { checkTimestamp, decodeBase64Digest, digestsEqual, malformed, mismatch, requireHeader, type SignatureScheme } from './scheme.js';

const ID = 'webhook-id';
const TIMESTAMP = 'webhook-timestamp';
const SIGNATURE = 'webhook-signature';

export const standardScheme: SignatureScheme = {
  name: 'standard',
  headers: [ID, TIMESTAMP, SIGNATURE],
  parseSecrets(secrets) {
    return secrets.map((secret, index) => {
      try {
        return { label: String(index + 1), key: standardSecretKey(secret) };
      } catch (error) {
        throw new Error(`entry ${index + 1} is not valid: ${(error as Error).message}`);
      }
    });
  },
  verify(request, keys, options) {
    const id = requireHeader(request, ID, 'the message id that the signature covers');
    const timestamp = requireHeader(request, TIMESTAMP, 'the signing time in Unix seconds');
    const value = requireHeader(request, SIGNATURE, 'space-separated v1,<base64 HMAC-SHA256> entries');
    if (!/^[0-9]{1,12}$/.test(timestamp)) throw malformed(TIMESTAMP, 'a timestamp in Unix seconds');

    const signatures: Buffer[] = [];
    for (const entry of value.split(' ')) {
      if (entry === '') continue;
      const [version, encoded] = entry.split(',', 2);
      if (version !== 'v1' || encoded === undefined) continue;
      const digest = decodeBase64Digest(encoded);
      if (digest !== undefined) signatures.push(digest);
    }
    if (signatures.length === 0) throw malformed(SIGNATURE, 'space-separated v1,<base64 HMAC-SHA256> entries');

    const matched = keys.some(({ key }) => {
      const expected = hmacSha256(key, `${id}.${timestamp}.`, request.body);
      return signatures.some((received) => digestsEqual(expected, received));
    });
    if (!matched) throw mismatch(SIGNATURE, keys.length);

    checkTimestamp(TIMESTAMP, timestamp, options);
    return { payload: request.body };
  },
};
