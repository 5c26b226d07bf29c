/**
 * Positive and negative vectors for every signature scheme. Expected signatures come from the
 * providers' published examples (GitHub, Standard Webhooks) or from node:crypto called directly
 * in this file, never from lib/ingest/signing.ts, so a wrong definition there cannot hide here.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureVerificationError, WebhookRejectedError } from '../../lib/ingest/errors.js';
import { headerLookup } from '../../lib/ingest/http.js';
import { SCHEMES } from '../../lib/ingest/schemes/index.js';
import type { SigningKey } from '../../lib/ingest/schemes/scheme.js';
import { signGithub, signLegacy, signPhonePe, signStandard, signStripe, signWebhook, phonePeBody } from '../../lib/ingest/signing.js';
import type { Provider } from '../../lib/paymentEvent.js';

const NOW_SECONDS = 1_700_000_000;
const OPTIONS = { nowMs: NOW_SECONDS * 1000, toleranceSeconds: 300 };

function hmac(key: string | Buffer, data: string | Buffer, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', key).update(data).digest(encoding);
}

function keysFor(provider: Provider, secrets: string[]): SigningKey[] {
  return SCHEMES[provider].parseSecrets(secrets);
}

function verify(provider: Provider, secrets: string[], body: string | Buffer, headers: Record<string, string>, options = OPTIONS) {
  const request = { body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), header: headerLookup(headers) };
  return SCHEMES[provider].verify(request, keysFor(provider, secrets), options);
}

function rejection(action: () => unknown): { status: number; code: string; message: string } {
  try {
    action();
  } catch (error) {
    if (error instanceof WebhookRejectedError) return { status: error.statusCode, code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the verification to fail, but it passed');
}

const BODY = '{\n  "eventId": "evt_NEW_004",\n  "eventType": "PAYMENT_SUCCESS",\n  "amount": 500.00,\n  "customerId": "cust_vip_02"\n}';
const UNICODE_BODY = '{"eventId":"evt_ü_1","eventType":"PAYMENT_SUCCESS","amount":"10.00","customerId":"José ₹ 🚀"}';

describe('github scheme', () => {
  it('accepts the documented GitHub test vector', () => {
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const verified = verify('github', ["It's a Secret to Everybody"], 'Hello, World!', { 'X-Hub-Signature-256': header });
    expect(verified.payload.toString()).toBe('Hello, World!');
  });

  it('signing helper reproduces the documented vector', () => {
    expect(signGithub("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('rejects the documented vector with another secret', () => {
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const result = rejection(() => verify('github', ['another secret'], 'Hello, World!', { 'x-hub-signature-256': header }));
    expect(result.code).toBe('invalid_signature');
  });

  it('accepts an upper-case hex digest', () => {
    const header = `sha256=${hmac('s', BODY, 'hex').toUpperCase()}`;
    expect(verify('github', ['s'], BODY, { 'X-Hub-Signature-256': header }).payload.toString()).toBe(BODY);
  });

  it('rejects a signature without the sha256= prefix', () => {
    const digest = hmac('s', BODY, 'hex');
    expect(rejection(() => verify('github', ['s'], BODY, { 'X-Hub-Signature-256': digest })).code).toBe('invalid_signature');
  });
});

describe('standard scheme', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const payload = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const atSigningTime = { nowMs: timestamp * 1000, toleranceSeconds: 300 };

  it('accepts the Standard Webhooks reference vector', () => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    expect(verify('standard', [secret], payload, headers, atSigningTime).payload.toString()).toBe(payload);
  });

  it('signing helper reproduces the reference vector', () => {
    expect(signStandard(secret, id, timestamp, payload)).toBe(signature);
  });

  it('accepts the signature among several entries of other versions', () => {
    const headers = {
      'Webhook-Id': id,
      'Webhook-Timestamp': String(timestamp),
      'Webhook-Signature': `v1a,AAAA v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${signature}`,
    };
    expect(verify('standard', [secret], payload, headers, atSigningTime).payload.toString()).toBe(payload);
  });

  it('rejects the vector when the id changes', () => {
    const headers = { 'webhook-id': 'msg_other', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    expect(rejection(() => verify('standard', [secret], payload, headers, atSigningTime)).code).toBe('invalid_signature');
  });

  it('rejects a timestamp older than the tolerance', () => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    const result = rejection(() => verify('standard', [secret], payload, headers, { nowMs: (timestamp + 301) * 1000, toleranceSeconds: 300 }));
    expect(result.status).toBe(401);
    expect(result.code).toBe('timestamp_outside_tolerance');
    expect(result.message).toContain('outside the tolerance');
  });

  it('rejects a timestamp newer than the tolerance', () => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    const result = rejection(() => verify('standard', [secret], payload, headers, { nowMs: (timestamp - 301) * 1000, toleranceSeconds: 300 }));
    expect(result.code).toBe('timestamp_outside_tolerance');
  });

  it('rejects a missing webhook-id', () => {
    const headers = { 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    const result = rejection(() => verify('standard', [secret], payload, headers, atSigningTime));
    expect(result.code).toBe('missing_signature');
    expect(result.message).toBe('Missing header webhook-id; send it with the message id that the signature covers.');
  });

  it('rejects a missing webhook-signature naming its content', () => {
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
    expect(rejection(() => verify('standard', [secret], payload, headers, atSigningTime)).message).toBe(
      'Missing header webhook-signature; send it with space-separated v1,<base64 HMAC-SHA256> entries.',
    );
  });

  it('rejects a secret that is not base64 at configuration time', () => {
    expect(() => keysFor('standard', ['whsec_not base64!'])).toThrow(/base64/);
  });
});

describe('legacy scheme', () => {
  it('accepts a base64 signature computed independently', () => {
    const headers = { 'X-Signature': hmac('local-webhook-secret', BODY, 'base64') };
    expect(verify('legacy', ['local-webhook-secret'], BODY, headers).payload.toString()).toBe(BODY);
  });

  it('accepts a hex signature computed independently', () => {
    const headers = { 'x-signature': hmac('local-webhook-secret', BODY, 'hex') };
    expect(verify('legacy', ['local-webhook-secret'], BODY, headers).payload.toString()).toBe(BODY);
  });

  it('accepts an upper-case hex signature', () => {
    const headers = { 'X-SIGNATURE': hmac('local-webhook-secret', BODY, 'hex').toUpperCase() };
    expect(verify('legacy', ['local-webhook-secret'], BODY, headers).payload.toString()).toBe(BODY);
  });

  it('signing helper matches the independent computation', () => {
    expect(signLegacy('k', BODY)).toBe(hmac('k', BODY, 'base64'));
    expect(signLegacy('k', BODY, 'hex')).toBe(hmac('k', BODY, 'hex'));
  });

  it('verifies unicode bodies over their UTF-8 bytes', () => {
    const bytes = Buffer.from(UNICODE_BODY, 'utf8');
    const headers = { 'X-Signature': hmac('k', bytes, 'base64') };
    expect(verify('legacy', ['k'], bytes, headers).payload.equals(bytes)).toBe(true);
  });

  it('rejects a missing header', () => {
    const result = rejection(() => verify('legacy', ['k'], BODY, {}));
    expect(result.status).toBe(401);
    expect(result.code).toBe('missing_signature');
    expect(result.message).toBe('Missing header X-Signature; send it with the HMAC-SHA256 of the body, in base64 or hex.');
  });

  it('accepts a mixed-case hex signature', () => {
    const hex = hmac('k', BODY, 'hex');
    const mixed = [...hex].map((char, index) => (index % 2 === 0 ? char.toUpperCase() : char)).join('');
    expect(verify('legacy', ['k'], BODY, { 'X-Signature': mixed }).payload.toString()).toBe(BODY);
  });

  it('mismatch message counts one secret in the singular', () => {
    const result = rejection(() => verify('legacy', ['k'], BODY, { 'X-Signature': hmac('other', BODY, 'base64') }));
    expect(result.message).toMatch(/^The X-Signature signature does not match the body with the configured secret\. /);
  });

  it('mismatch message counts several secrets in the plural', () => {
    const result = rejection(() => verify('legacy', ['k', 'l'], BODY, { 'X-Signature': hmac('other', BODY, 'base64') }));
    expect(result.message).toContain('with any of the 2 configured secrets.');
  });

  it('rejects a truncated signature', () => {
    const headers = { 'X-Signature': hmac('k', BODY, 'base64').slice(0, 20) };
    expect(rejection(() => verify('legacy', ['k'], BODY, headers)).code).toBe('invalid_signature');
  });
});

describe('stripe scheme', () => {
  const secret = 'whsec_stripe_test_secret';
  const stripeHeader = (timestamp: number, body: string, key = secret) => `t=${timestamp},v1=${hmac(key, `${timestamp}.${body}`, 'hex')}`;

  it('accepts a signature computed independently', () => {
    expect(verify('stripe', [secret], BODY, { 'Stripe-Signature': stripeHeader(NOW_SECONDS, BODY) }).payload.toString()).toBe(BODY);
  });

  it('signing helper matches the independent computation', () => {
    expect(signStripe(secret, NOW_SECONDS, BODY)).toBe(stripeHeader(NOW_SECONDS, BODY));
  });

  it('accepts any of several v1 entries and ignores v0', () => {
    const good = hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex');
    const header = `t=${NOW_SECONDS},v0=${'0'.repeat(64)},v1=${'1'.repeat(64)},v1=${good}`;
    expect(verify('stripe', [secret], BODY, { 'stripe-signature': header }).payload.toString()).toBe(BODY);
  });

  it('rejects a stale timestamp with the tolerance message', () => {
    const stale = NOW_SECONDS - 301;
    const result = rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': stripeHeader(stale, BODY) }));
    expect(result.code).toBe('timestamp_outside_tolerance');
    expect(result.message).toContain('outside the tolerance of 300 s');
  });

  it('rejects a future timestamp', () => {
    const future = NOW_SECONDS + 301;
    expect(rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': stripeHeader(future, BODY) })).code).toBe(
      'timestamp_outside_tolerance',
    );
  });

  it('accepts a timestamp at the edge of the tolerance', () => {
    const edge = NOW_SECONDS - 300;
    expect(verify('stripe', [secret], BODY, { 'Stripe-Signature': stripeHeader(edge, BODY) }).payload.toString()).toBe(BODY);
  });

  it('accepts a valid v1 after a v1 that is not 64 hex digits', () => {
    const good = hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex');
    const header = `t=${NOW_SECONDS},v1=deadbeef,v1=${good}`;
    expect(verify('stripe', [secret], BODY, { 'Stripe-Signature': header }).payload.toString()).toBe(BODY);
  });

  it('accepts a valid v1 before a v1 that is not hex', () => {
    const good = hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex');
    const header = `t=${NOW_SECONDS},v1=${good},v1=${'z'.repeat(64)},v1=`;
    expect(verify('stripe', [secret], BODY, { 'Stripe-Signature': header }).payload.toString()).toBe(BODY);
  });

  it('skips items without a name', () => {
    const good = hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex');
    const header = `t=${NOW_SECONDS},garbage,=x,v1=${good}`;
    expect(verify('stripe', [secret], BODY, { 'Stripe-Signature': header }).payload.toString()).toBe(BODY);
  });

  it('accepts an upper-case v1 signature', () => {
    const header = `t=${NOW_SECONDS},v1=${hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex').toUpperCase()}`;
    expect(verify('stripe', [secret], BODY, { 'Stripe-Signature': header }).payload.toString()).toBe(BODY);
  });

  it('rejects a header whose only v1 is short as a mismatch', () => {
    const result = rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': `t=${NOW_SECONDS},v1=deadbeef` }));
    expect(result.code).toBe('invalid_signature');
    expect(result.message).toContain('does not match the body');
  });

  it('rejects a header without a v1 entry as malformed', () => {
    const result = rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': `t=${NOW_SECONDS},v0=${'0'.repeat(64)}` }));
    expect(result.code).toBe('invalid_signature');
    expect(result.message).toBe('Header Stripe-Signature is malformed; send t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">.');
  });

  it('rejects a header with two timestamps as malformed', () => {
    const good = hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex');
    const result = rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': `t=${NOW_SECONDS},t=1,v1=${good}` }));
    expect(result.message).toContain('is malformed');
  });

  it('rejects a header without a timestamp', () => {
    const header = `v1=${hmac(secret, `${NOW_SECONDS}.${BODY}`, 'hex')}`;
    const result = rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': header }));
    expect(result.code).toBe('invalid_signature');
    expect(result.message).toContain('is malformed');
  });

  it('rejects a signature made over the body alone', () => {
    const header = `t=${NOW_SECONDS},v1=${hmac(secret, BODY, 'hex')}`;
    expect(rejection(() => verify('stripe', [secret], BODY, { 'Stripe-Signature': header })).code).toBe('invalid_signature');
  });
});

describe('razorpay scheme', () => {
  it('accepts a hex signature computed independently', () => {
    const headers = { 'X-Razorpay-Signature': hmac('rzp_secret', BODY, 'hex') };
    expect(verify('razorpay', ['rzp_secret'], BODY, headers).payload.toString()).toBe(BODY);
  });

  it('accepts an upper-case hex signature', () => {
    const headers = { 'X-Razorpay-Signature': hmac('rzp_secret', BODY, 'hex').toUpperCase() };
    expect(verify('razorpay', ['rzp_secret'], BODY, headers).payload.toString()).toBe(BODY);
  });

  it('rejects a base64 signature', () => {
    const headers = { 'X-Razorpay-Signature': hmac('rzp_secret', BODY, 'base64') };
    expect(rejection(() => verify('razorpay', ['rzp_secret'], BODY, headers)).code).toBe('invalid_signature');
  });
});

describe('shopify scheme', () => {
  it('accepts a base64 signature computed independently', () => {
    const headers = { 'x-shopify-hmac-sha256': hmac('shpss_secret', BODY, 'base64') };
    expect(verify('shopify', ['shpss_secret'], BODY, headers).payload.toString()).toBe(BODY);
  });

  it('rejects a hex signature', () => {
    const headers = { 'X-Shopify-Hmac-Sha256': hmac('shpss_secret', BODY, 'hex') };
    expect(rejection(() => verify('shopify', ['shpss_secret'], BODY, headers)).code).toBe('invalid_signature');
  });
});

describe('phonepe scheme', () => {
  const saltKey = '099eb0cd-02cf-4e2a-8aca-3e6c6aff0399';
  const response = { success: true, code: 'PAYMENT_SUCCESS', data: { merchantTransactionId: 'MT1', amount: 10000 } };
  const responseBase64 = Buffer.from(JSON.stringify(response)).toString('base64');
  const body = JSON.stringify({ response: responseBase64 });
  const checksum = (base64: string, key: string, index: string) => `${createHash('sha256').update(base64 + key).digest('hex')}###${index}`;

  it('returns the decoded response for a valid checksum', () => {
    const verified = verify('phonepe', [`1:${saltKey}`], body, { 'X-VERIFY': checksum(responseBase64, saltKey, '1') });
    expect(JSON.parse(verified.payload.toString())).toEqual(response);
  });

  it('signing helpers match the independent computation', () => {
    expect(signPhonePe(saltKey, '1', responseBase64)).toBe(checksum(responseBase64, saltKey, '1'));
    expect(phonePeBody(response).body).toBe(body);
  });

  it('accepts an upper-case hex checksum', () => {
    const header = checksum(responseBase64, saltKey, '1').toUpperCase();
    expect(JSON.parse(verify('phonepe', [`1:${saltKey}`], body, { 'X-VERIFY': header }).payload.toString())).toEqual(response);
  });

  it('selects the salt key by the index in the header', () => {
    const secrets = [`1:${saltKey}`, '2:second-salt'];
    const verified = verify('phonepe', secrets, body, { 'x-verify': checksum(responseBase64, 'second-salt', '2') });
    expect(verified.payload.toString()).toBe(JSON.stringify(response));
  });

  it('rejects a checksum made with the right key but the wrong index', () => {
    const secrets = [`1:${saltKey}`, '2:second-salt'];
    expect(rejection(() => verify('phonepe', secrets, body, { 'X-VERIFY': checksum(responseBase64, saltKey, '2') })).code).toBe(
      'invalid_signature',
    );
  });

  it('rejects an unknown salt index', () => {
    expect(rejection(() => verify('phonepe', [`1:${saltKey}`], body, { 'X-VERIFY': checksum(responseBase64, saltKey, '7') })).message).toContain(
      'salt index 7',
    );
  });

  it('rejects a header without the salt index', () => {
    const header = createHash('sha256').update(responseBase64 + saltKey).digest('hex');
    expect(rejection(() => verify('phonepe', [`1:${saltKey}`], body, { 'X-VERIFY': header })).code).toBe('invalid_signature');
  });

  it('rejects whitespace added inside the signed response', () => {
    const tampered = JSON.stringify({ response: ` ${responseBase64}` });
    expect(rejection(() => verify('phonepe', [`1:${saltKey}`], tampered, { 'X-VERIFY': checksum(responseBase64, saltKey, '1') })).code).toBe(
      'invalid_signature',
    );
  });

  it('rejects salt keys configured without an index', () => {
    expect(() => keysFor('phonepe', [saltKey])).toThrow(/<salt index>:<salt key>/);
  });
});

// Every scheme: rotation and a body changed after signing, through the shared signing helper
// for the header set and an independent check of what the helper produced above.
const ROTATION_CASES: { provider: Provider; oldSecret: string; newSecret: string; body: string }[] = [
  { provider: 'legacy', oldSecret: 'old-legacy', newSecret: 'new-legacy', body: BODY },
  { provider: 'standard', oldSecret: 'whsec_b2xkLXN0YW5kYXJkLXNlY3JldC1rZXk=', newSecret: 'whsec_bmV3LXN0YW5kYXJkLXNlY3JldC1rZXk=', body: BODY },
  { provider: 'stripe', oldSecret: 'whsec_old', newSecret: 'whsec_new', body: BODY },
  { provider: 'github', oldSecret: 'old-gh', newSecret: 'new-gh', body: BODY },
  { provider: 'razorpay', oldSecret: 'old-rzp', newSecret: 'new-rzp', body: BODY },
  { provider: 'shopify', oldSecret: 'old-shop', newSecret: 'new-shop', body: BODY },
  { provider: 'phonepe', oldSecret: '1:old-salt', newSecret: '2:new-salt', body: phonePeBody({ code: 'PAYMENT_SUCCESS' }).body },
];

describe.each(ROTATION_CASES)('$provider rotation and tampering', ({ provider, oldSecret, newSecret, body }) => {
  const sign = (secret: string, signedBody = body) =>
    signWebhook(provider, { secret, body: signedBody, eventId: 'evt_rotation', timestampSeconds: NOW_SECONDS });

  it('accepts a request signed with the old secret', () => {
    expect(verify(provider, [oldSecret, newSecret], body, sign(oldSecret)).payload.length).toBeGreaterThan(0);
  });

  it('accepts a request signed with the new secret', () => {
    expect(verify(provider, [oldSecret, newSecret], body, sign(newSecret)).payload.length).toBeGreaterThan(0);
  });

  it('rejects the old secret once it is removed', () => {
    expect(rejection(() => verify(provider, [newSecret], body, sign(oldSecret))).code).toBe('invalid_signature');
  });

  it('rejects a body with whitespace added after signing', () => {
    // For PhonePe the checksum covers the response field, so the space goes inside it.
    const tampered = provider === 'phonepe' ? body.replace('":"', '":" ') : `${body} `;
    const result = rejection(() => verify(provider, [oldSecret, newSecret], tampered, sign(newSecret)));
    expect(result.status).toBe(401);
    expect(result.code).toBe('invalid_signature');
  });
});

it('signature errors are status 401', () => {
  expect(new SignatureVerificationError('invalid_signature', 'x').statusCode).toBe(401);
});
