/**
 * PhonePe's server-to-server callback: the body is `{"response":"<base64 JSON>"}` and
 * `X-VERIFY` is `<hex SHA-256 of (base64 response + salt key)>###<salt index>`. The salt index
 * selects the salt key, so keys are configured with their index (`1:<salt key>,2:<salt key>`).
 * The verified payload is the decoded response, not the outer body.
 */
import { createHash } from 'node:crypto';
import { InvalidPayloadError, SignatureVerificationError } from '../errors.js';
import { parseJsonObject } from '../validation.js';
import { decodeHexDigest, digestsEqual, malformed, requireHeader, type SignatureScheme } from './scheme.js';

const HEADER = 'X-VERIFY';
const CONTENT = '<hex SHA-256 of the base64 response and the salt key>###<salt index>';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const phonepeScheme: SignatureScheme = {
  name: 'phonepe',
  headers: [HEADER],
  parseSecrets(secrets) {
    const labels = new Set<string>();
    return secrets.map((secret, index) => {
      const separator = secret.indexOf(':');
      const label = secret.slice(0, Math.max(separator, 0));
      if (separator < 1 || !/^[0-9]+$/.test(label) || separator === secret.length - 1) {
        throw new Error(`entry ${index + 1} must have the form <salt index>:<salt key>, for example 1:<key>`);
      }
      if (labels.has(label)) throw new Error(`salt index ${label} appears more than once`);
      labels.add(label);
      return { label, key: Buffer.from(secret.slice(separator + 1), 'utf8') };
    });
  },
  verify(request, keys) {
    const value = requireHeader(request, HEADER, CONTENT);
    const separator = value.lastIndexOf('###');
    const received = separator < 0 ? undefined : decodeHexDigest(value.slice(0, separator));
    const saltIndex = value.slice(separator + 3);
    if (received === undefined || !/^[0-9]+$/.test(saltIndex)) throw malformed(HEADER, CONTENT);

    const key = keys.find((candidate) => candidate.label === saltIndex);
    if (key === undefined) {
      throw new SignatureVerificationError(
        'invalid_signature',
        `Header ${HEADER} names salt index ${saltIndex}, which is not configured; sign with one of the configured salt indexes: ${keys.map((k) => k.label).join(', ')}.`,
      );
    }

    // The checksum covers the base64 text of the response field, so the outer JSON is read first.
    const outer = parseJsonObject(request.body);
    const response = outer.response;
    if (typeof response !== 'string' || response === '') {
      throw new InvalidPayloadError('missing_field', 'Missing required field response; send the body as {"response":"<base64 of the callback JSON>"}.', 'response');
    }

    const expected = createHash('sha256').update(response).update(key.key).digest();
    if (!digestsEqual(expected, received)) {
      throw new SignatureVerificationError(
        'invalid_signature',
        `The ${HEADER} checksum does not match the response field with the salt key of index ${saltIndex}. ` +
          'Compute it over the exact base64 text of response followed by the salt key.',
      );
    }

    if (!BASE64.test(response) || response.length % 4 !== 0) {
      throw new InvalidPayloadError('invalid_encoding', 'Field response is not valid base64; send the callback JSON base64-encoded.', 'response');
    }
    return { payload: Buffer.from(response, 'base64') };
  },
};
