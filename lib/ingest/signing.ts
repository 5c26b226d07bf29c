/**
 * Signature computation for every scheme the ingest function accepts. The verifiers in
 * lib/ingest/schemes/ use these functions, and so can senders (the simulator, other tests), so
 * everything that signs uses the same definition as the receiver that checks.
 *
 * Secrets are strings as configured in WEBHOOK_SECRETS_<PROVIDER>: UTF-8 text, except for the
 * standard scheme, whose `whsec_` secrets are base64 (see standardSecretKey).
 *
 * @example
 *   const headers = signWebhook('stripe', { secret: 'whsec_test', body });
 *   // { 'Stripe-Signature': 't=1700000000,v1=...' }
 */
import { createHash, createHmac } from 'node:crypto';
import type { Provider } from '../paymentEvent.js';

export type Bytes = Buffer | string;

export function hmacSha256(key: Bytes, ...parts: Bytes[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** `X-Signature` of the legacy scheme: base64 (default) or hex HMAC-SHA256 of the body. */
export function signLegacy(secret: string, body: Bytes, encoding: 'base64' | 'hex' = 'base64'): string {
  return hmacSha256(secret, body).toString(encoding);
}

/**
 * Decodes a Standard Webhooks secret: base64 key bytes after an optional `whsec_` prefix.
 * Throws when the rest is not base64.
 */
export function standardSecretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (encoded === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
    throw new Error('a Standard Webhooks secret must be base64, optionally prefixed with whsec_');
  }
  return Buffer.from(encoded, 'base64');
}

/** Computes one `v1,<base64>` entry of `webhook-signature`, over `{id}.{timestamp}.{body}`. */
export function signStandard(secret: string, webhookId: string, timestampSeconds: number, body: Bytes): string {
  const signature = hmacSha256(standardSecretKey(secret), `${webhookId}.${timestampSeconds}.`, body);
  return `v1,${signature.toString('base64')}`;
}

/** `Stripe-Signature` value `t=<ts>,v1=<hex>` over `{t}.{body}`. */
export function signStripe(secret: string, timestampSeconds: number, body: Bytes): string {
  return `t=${timestampSeconds},v1=${hmacSha256(secret, `${timestampSeconds}.`, body).toString('hex')}`;
}

/** `X-Hub-Signature-256` value `sha256=<hex>`. */
export function signGithub(secret: string, body: Bytes): string {
  return `sha256=${hmacSha256(secret, body).toString('hex')}`;
}

/** `X-Razorpay-Signature`: hex HMAC-SHA256 of the body. */
export function signRazorpay(secret: string, body: Bytes): string {
  return hmacSha256(secret, body).toString('hex');
}

/** `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the body. */
export function signShopify(secret: string, body: Bytes): string {
  return hmacSha256(secret, body).toString('base64');
}

/** `X-VERIFY` of a PhonePe callback: hex SHA-256 of (base64 response + salt key), then `###` and the salt index. */
export function signPhonePe(saltKey: string, saltIndex: string, responseBase64: string): string {
  const digest = createHash('sha256').update(responseBase64).update(saltKey).digest('hex');
  return `${digest}###${saltIndex}`;
}

/** Wraps a decoded PhonePe callback (object or JSON text) into the `{"response":"<base64>"}` body PhonePe posts. */
export function phonePeBody(response: object | string): { body: string; responseBase64: string } {
  const json = typeof response === 'string' ? response : JSON.stringify(response);
  const responseBase64 = Buffer.from(json, 'utf8').toString('base64');
  return { body: JSON.stringify({ response: responseBase64 }), responseBase64 };
}

export interface SignWebhookOptions {
  /**
   * The provider's secret as configured. PhonePe takes `<index>:<salt key>`, the same form as
   * one entry of WEBHOOK_SECRETS_PHONEPE.
   */
  secret: string;
  /** The exact body bytes that will be sent. For PhonePe, the `{"response":...}` body from phonePeBody. */
  body: Bytes;
  /** Event id for providers that carry it in a header (standard, github, razorpay, shopify). */
  eventId?: string;
  /** Signing time in Unix seconds for schemes with a timestamp (standard, stripe). Default: now. */
  timestampSeconds?: number;
}

/**
 * Returns the signature and id headers a provider sends with `body`, for simulators and tests.
 * The legacy scheme signs in base64, as the old sender does.
 */
export function signWebhook(provider: Provider, options: SignWebhookOptions): Record<string, string> {
  const { secret, body } = options;
  const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
  const eventId = options.eventId ?? `evt_${Date.now().toString(36)}`;

  switch (provider) {
    case 'legacy':
      return { 'X-Signature': signLegacy(secret, body) };
    case 'standard':
      return {
        'webhook-id': eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandard(secret, eventId, timestamp, body),
      };
    case 'stripe':
      return { 'Stripe-Signature': signStripe(secret, timestamp, body) };
    case 'github':
      return { 'X-Hub-Signature-256': signGithub(secret, body), 'X-GitHub-Delivery': eventId, 'X-GitHub-Event': 'payment' };
    case 'razorpay':
      return { 'X-Razorpay-Signature': signRazorpay(secret, body), 'X-Razorpay-Event-Id': eventId };
    case 'shopify':
      return { 'X-Shopify-Hmac-Sha256': signShopify(secret, body), 'X-Shopify-Webhook-Id': eventId };
    case 'phonepe': {
      const separator = secret.indexOf(':');
      const parsed = JSON.parse(body.toString()) as { response?: unknown };
      if (separator < 1 || typeof parsed.response !== 'string') {
        throw new Error('PhonePe signing needs secret "<index>:<salt key>" and a {"response":"<base64>"} body');
      }
      return { 'X-VERIFY': signPhonePe(secret.slice(separator + 1), secret.slice(0, separator), parsed.response) };
    }
  }
}
