/**
 * Builders shared by the ingest integration tests: API Gateway events as serverless-offline
 * passes them, a Lambda context, and a log sink that keeps the handler's lines.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createIngestHandler, type IngestContext } from '../../lib/ingest/handler.js';
import type { IngestRuntime } from '../../lib/ingest/pipeline.js';
import { createLogger, type Logger } from '../../lib/logger.js';

export interface WebhookCall {
  /** Provider path segment; `legacy-path` posts to /api/webhooks/payment-updates. */
  provider: string;
  headers?: Record<string, string>;
  body?: string | Buffer | null;
  /** Send the body base64-encoded with isBase64Encoded, as API Gateway does for binary media types. */
  base64?: boolean;
  /** Send this text as the body with isBase64Encoded set, without encoding it (for invalid base64). */
  rawBase64Body?: string;
}

export function apiGatewayEvent(call: WebhookCall): APIGatewayProxyEvent {
  const legacyPath = call.provider === 'legacy-path';
  const path = legacyPath ? '/api/webhooks/payment-updates' : `/api/webhooks/${call.provider}`;
  const rawBody = call.body ?? null;
  let body: string | null = null;
  if (call.rawBase64Body !== undefined) body = call.rawBase64Body;
  else if (rawBody !== null && call.base64 === true) body = Buffer.from(rawBody).toString('base64');
  else if (rawBody !== null) body = rawBody.toString();
  return {
    resource: legacyPath ? '/api/webhooks/payment-updates' : '/api/webhooks/{provider}',
    path,
    httpMethod: 'POST',
    headers: call.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: legacyPath ? null : { provider: call.provider },
    stageVariables: null,
    requestContext: { requestId: randomUUID() } as APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded: call.base64 === true || call.rawBase64Body !== undefined,
  };
}

export function lambdaContext(): IngestContext {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ingest',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ingest',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Creates a logger that keeps its JSON lines in `lines` instead of writing them to stdout. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('ingest-test', {}, (line) => lines.push(line)), lines };
}

export interface WebhookAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Builds the real middy handler and returns a function that posts one webhook through it. */
export function webhookClient(runtime: IngestRuntime): (call: WebhookCall) => Promise<WebhookAnswer> {
  const handler = createIngestHandler(runtime);
  return async (call) => {
    const result = (await handler(apiGatewayEvent(call), lambdaContext())) as APIGatewayProxyResult;
    return {
      statusCode: result.statusCode,
      headers: (result.headers ?? {}) as Record<string, string>,
      body: JSON.parse(result.body) as Record<string, unknown>,
    };
  };
}
