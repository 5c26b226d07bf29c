/**
 * Errors that reject a webhook request with a 4xx status. Each carries the HTTP status and a
 * stable machine-readable code for the JSON error body. The message names what is wrong and
 * what the sender should change. Broker failures are not here: they come from lib/kafka.ts
 * (ProduceTimeoutError, ProduceFailedError) and become 503.
 */

/** Base class of every rejection; the handler turns it into `{"error": code, "message": message}`. */
export class WebhookRejectedError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookRejectedError';
  }
}

/** 401: the signature header is missing, malformed, does not match, or its timestamp is too old or too new. */
export class SignatureVerificationError extends WebhookRejectedError {
  constructor(code: 'missing_signature' | 'invalid_signature' | 'timestamp_outside_tolerance', message: string) {
    super(401, code, message);
    this.name = 'SignatureVerificationError';
  }
}

/** 400: the body is not valid JSON, not an object, or a field is missing or invalid. */
export class InvalidPayloadError extends WebhookRejectedError {
  constructor(
    code: 'invalid_encoding' | 'invalid_json' | 'invalid_body' | 'missing_field' | 'invalid_field',
    message: string,
    readonly field?: string,
  ) {
    super(400, code, message);
    this.name = 'InvalidPayloadError';
  }
}

/** 404: the path names a provider that is unknown or not enabled in WEBHOOK_PROVIDERS. */
export class ProviderNotFoundError extends WebhookRejectedError {
  constructor(message: string) {
    super(404, 'unknown_provider', message);
    this.name = 'ProviderNotFoundError';
  }
}

/** 413: the body is larger than WEBHOOK_MAX_BODY_BYTES. */
export class PayloadTooLargeError extends WebhookRejectedError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
    this.name = 'PayloadTooLargeError';
  }
}

/** 415: the Content-Type is present and is not JSON in UTF-8. */
export class UnsupportedMediaTypeError extends WebhookRejectedError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
    this.name = 'UnsupportedMediaTypeError';
  }
}
