/**
 * The middy-wrapped ingest handler. handlers/ingest.ts builds it once per container with the
 * configuration and the shared producer; tests build it with their own topic and secrets.
 *
 * One middleware, requestLog, writes exactly one JSON line per request (request id, provider,
 * event id, outcome, status, latency, Kafka coordinates) and turns an unexpected error into a
 * generic 500. It never logs the secret, the signature or, above debug level, the body.
 */
import { randomUUID } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describeError, type LogFields, type Logger } from '../logger.js';
import { errorResponse } from './http.js';
import { ingestWebhook, type IngestRuntime } from './pipeline.js';

/** The Lambda context plus the log fields the handler hands to requestLog. */
export type IngestContext = Context & { ingestLog?: LogFields };

type Internal = { startedAt: number; requestId: string };

export function requestIdOf(event: Partial<APIGatewayProxyEvent>, context: Partial<Context>): string {
  return context.awsRequestId || event.requestContext?.requestId || randomUUID();
}

/** Logs one line per request with its latency, and returns a 500 with a generic body for an unexpected error. */
export function requestLog(logger: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, IngestContext, Internal> {
  const write = (startedAt: number, requestId: string, statusCode: number, fields: LogFields): void => {
    const line = { requestId, ...fields, statusCode, latencyMs: Math.round((performance.now() - startedAt) * 100) / 100 };
    if (statusCode >= 500) logger.error('Webhook request failed', line);
    else if (statusCode >= 400) logger.warn('Webhook request rejected', line);
    else if (fields.outcome === 'ignored') logger.info('Webhook request ignored', line);
    else logger.info('Webhook request accepted', line);
  };

  return {
    name: 'requestLog',
    before(request) {
      request.internal.startedAt = performance.now();
      request.internal.requestId = requestIdOf(request.event, request.context);
    },
    after(request) {
      const statusCode = request.response?.statusCode ?? 0;
      write(request.internal.startedAt, request.internal.requestId, statusCode, request.context.ingestLog ?? {});
    },
    onError(request) {
      request.response = errorResponse(500, 'internal_error', 'The webhook could not be processed because of an internal error. Retry later.');
      write(request.internal.startedAt ?? performance.now(), request.internal.requestId ?? requestIdOf(request.event, request.context), 500, {
        ...request.context.ingestLog,
        outcome: 'error',
        errorCode: 'internal_error',
        ...describeError(request.error),
      });
    },
  };
}

export function createIngestHandler(runtime: IngestRuntime) {
  // The produce timeout (KAFKA_PRODUCE_TIMEOUT_MS) already bounds a request well inside the
  // Lambda timeout, so middy's early-timeout abort is switched off.
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, IngestContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog(runtime.logger))
    .handler(async (event, context) => {
      const result = await ingestWebhook(event, requestIdOf(event, context), runtime);
      context.ingestLog = result.log;
      return result.response;
    });
}
