/** GitHub's scheme: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. */
import { hmacSha256 } from '../signing.js';
import { decodeHexDigest, digestsEqual, malformed, mismatch, requireHeader, textSecrets, type SignatureScheme } from './scheme.js';

const HEADER = 'X-Hub-Signature-256';
const CONTENT = 'sha256=<hex HMAC-SHA256 of the body>';

export const githubScheme: SignatureScheme = {
  name: 'github',
  headers: [HEADER],
  parseSecrets: textSecrets,
  verify(request, keys) {
    const value = requireHeader(request, HEADER, CONTENT);
    const received = value.startsWith('sha256=') ? decodeHexDigest(value.slice('sha256='.length)) : undefined;
    if (received === undefined) throw malformed(HEADER, CONTENT);

    for (const { key } of keys) {
      if (digestsEqual(hmacSha256(key, request.body), received)) return { payload: request.body };
    }
    throw mismatch(HEADER, keys.length);
  },
};
