/**
 * The contract every signature scheme implements, and the helpers they share: header lookup
 * without regard to case, strict hex and base64 decoding, constant-time comparison and the
 * timestamp tolerance check.
 */
import { timingSafeEqual } from 'node:crypto';
import { SignatureVerificationError } from '../errors.js';

/** Returns the value of a request header, matched without regard to case, or undefined. */
export type HeaderLookup = (name: string) => string | undefined;

/** One configured secret, ready for the HMAC. `label` identifies it: the PhonePe salt index, or its position in the list. */
export interface SigningKey {
  label: string;
  key: Buffer;
}

export interface SignedRequest {
  /** The body exactly as received, after base64 decoding when API Gateway flagged it. */
  body: Buffer;
  header: HeaderLookup;
}

export interface VerifyOptions {
  nowMs: number;
  /** Largest allowed difference between a signed timestamp and now, in either direction. */
  toleranceSeconds: number;
}

export interface VerifiedRequest {
  /** The bytes that carry the event: the body itself, or the decoded PhonePe response. */
  payload: Buffer;
}

export interface SignatureScheme {
  readonly name: string;
  /** Header names this scheme reads, for error messages and documentation. */
  readonly headers: readonly string[];
  /**
   * Turns the configured secrets into keys. Throws Error with a message that names what is
   * wrong with an entry (never the entry itself, which may be a secret).
   */
  parseSecrets(secrets: readonly string[]): SigningKey[];
  /** Returns the verified payload, or throws SignatureVerificationError. Any configured key may match. */
  verify(request: SignedRequest, keys: readonly SigningKey[], options: VerifyOptions): VerifiedRequest;
}

/** Secrets used as UTF-8 HMAC keys (every scheme except standard and phonepe). */
export function textSecrets(secrets: readonly string[]): SigningKey[] {
  return secrets.map((secret, index) => ({ label: String(index + 1), key: Buffer.from(secret, 'utf8') }));
}

/**
 * Compares two digests in constant time. Buffers of different length never match; their
 * lengths are public (the digest size), so checking them first leaks nothing secret.
 */
export function digestsEqual(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes a hex SHA-256 digest, or returns undefined when the text is not exactly 64 hex digits. */
export function decodeHexDigest(text: string): Buffer | undefined {
  return SHA256_HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Decodes a base64 SHA-256 digest, or returns undefined unless it is valid base64 of 32 bytes. */
export function decodeBase64Digest(text: string): Buffer | undefined {
  if (text.length !== 44 || !BASE64.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === 32 ? decoded : undefined;
}

/**
 * Returns the trimmed value of a header the scheme needs, or throws `missing_signature`.
 * `content` is what the header must contain, for example "the HMAC-SHA256 of the body".
 */
export function requireHeader(request: SignedRequest, name: string, content: string): string {
  const value = request.header(name);
  if (value === undefined || value.trim() === '') {
    throw new SignatureVerificationError('missing_signature', `Missing header ${name}; send it with ${content}.`);
  }
  return value.trim();
}

export function mismatch(header: string, keyCount: number): SignatureVerificationError {
  const secrets = keyCount === 1 ? 'the configured secret' : `any of the ${keyCount} configured secrets`;
  return new SignatureVerificationError(
    'invalid_signature',
    `The ${header} signature does not match the body with ${secrets}. ` +
      'Sign the exact bytes sent (no re-serialized JSON, no added whitespace) with the current secret.',
  );
}

export function malformed(header: string, expected: string): SignatureVerificationError {
  return new SignatureVerificationError('invalid_signature', `Header ${header} is malformed; send ${expected}.`);
}

/** Parses Unix seconds and rejects values outside the tolerance window, in the past or the future. */
export function checkTimestamp(header: string, text: string, options: VerifyOptions): number {
  if (!/^[0-9]{1,12}$/.test(text)) throw malformed(header, 'a timestamp in Unix seconds');
  const seconds = Number(text);
  const skew = Math.abs(options.nowMs / 1000 - seconds);
  if (skew > options.toleranceSeconds) {
    throw new SignatureVerificationError(
      'timestamp_outside_tolerance',
      `The signed timestamp ${seconds} is outside the tolerance of ${options.toleranceSeconds} s ` +
        `(it differs from the server clock by ${Math.round(skew)} s). Re-sign the request with the current time.`,
    );
  }
  return seconds;
}
