/**
 * The HTTP side of a webhook request: the provider from the path, case-insensitive header
 * lookup, the raw body bytes, the Content-Type rule and the JSON responses.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { InvalidPayloadError, UnsupportedMediaTypeError } from './errors.js';
import type { HeaderLookup } from './schemes/scheme.js';

/** Path of the old sender, which always uses the legacy scheme. */
export const LEGACY_PATH = '/api/webhooks/payment-updates';

/**
 * Returns the provider named by the request path: `legacy` for LEGACY_PATH, otherwise the
 * `{provider}` path parameter. Returns undefined when neither is present.
 */
export function providerFromPath(event: Pick<APIGatewayProxyEvent, 'resource' | 'path' | 'pathParameters'>): string | undefined {
  if (event.resource === LEGACY_PATH || event.path === LEGACY_PATH || event.path?.endsWith(LEGACY_PATH)) return 'legacy';
  return event.pathParameters?.provider ?? undefined;
}

/** Builds a lookup that matches header names without regard to case. The last duplicate wins. */
export function headerLookup(headers: APIGatewayProxyEvent['headers'] | null | undefined): HeaderLookup {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) byName.set(name.toLowerCase(), value);
  }
  return (name) => byName.get(name.toLowerCase());
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Returns the body bytes exactly as the sender sent them. API Gateway and serverless-offline
 * base64-encode bodies of binary media types and set isBase64Encoded. Other bodies arrive as
 * text, and encoding that text as UTF-8 gives back the original bytes when they were valid UTF-8.
 */
export function rawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  const body = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.from(body, 'utf8');

  if (body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new InvalidPayloadError('invalid_encoding', 'The request is flagged as base64-encoded but its body is not valid base64; send the body as JSON with Content-Type application/json.');
  }
  return Buffer.from(body, 'base64');
}

/**
 * Accepts JSON in UTF-8: `application/json` or any `application/<name>+json`, with no charset
 * or charset=utf-8. A request without Content-Type is accepted, because the old sender may omit
 * the header; its body must still parse as JSON.
 */
export function checkContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '') return;

  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(mediaType);
  if (!isJson) {
    throw new UnsupportedMediaTypeError(
      `Content-Type ${JSON.stringify(contentType)} is not supported; send the body as application/json.`,
    );
  }

  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=', 2).map((part) => part.trim());
    if (name === 'charset' && value.replace(/^"|"$/g, '') !== 'utf-8') {
      throw new UnsupportedMediaTypeError(`Charset ${JSON.stringify(value)} is not supported; send JSON encoded as UTF-8.`);
    }
  }
}

export function jsonResponse(statusCode: number, body: object, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** Builds the JSON error body of every non-2xx response: a stable code and a message for the sender. */
export function errorResponse(statusCode: number, code: string, message: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error: code, message }, headers);
}
