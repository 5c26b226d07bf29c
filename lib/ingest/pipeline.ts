/**
 * One webhook request, from API Gateway event to HTTP response:
 *
 *   provider from path (404) -> body size (413) -> Content-Type (415) -> signature (401)
 *   -> JSON and fields (400) -> Kafka with acks = all (503 on timeout or failure) -> 200
 *
 * A verified delivery that the provider mapping ignores (GitHub's ping) gets 200
 * `{"status":"ignored"}` and produces nothing.
 *
 * The 200 is returned only after the broker acknowledged the record, so an event that is not
 * in Kafka never gets a 2xx. A 503 does not prove the record is absent: the broker may still
 * write a request that timed out. The sender retries, and the processor drops the duplicate.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ProduceFailedError, ProduceTimeoutError, type ReliableProducer } from '../kafka.js';
import type { LogFields, Logger } from '../logger.js';
import { HEADER, PAYMENT_EVENT_SCHEMA_VERSION, partitionKey, serializePaymentEvent, type PaymentEvent, type Provider } from '../paymentEvent.js';
import type { IngestConfig } from './config.js';
import { PayloadTooLargeError, ProviderNotFoundError, WebhookRejectedError } from './errors.js';
import { checkContentType, errorResponse, headerLookup, jsonResponse, providerFromPath, rawBody } from './http.js';
import { isIgnoredDelivery } from './providers/index.js';
import { parseJsonObject } from './validation.js';

/** Dependencies of a request besides the event: configuration, the shared producer, a logger and a clock. */
export interface IngestRuntime {
  config: IngestConfig;
  producer: Pick<ReliableProducer, 'send'>;
  logger: Logger;
  now?: () => number;
}

export interface IngestResult {
  response: APIGatewayProxyResult;
  /** Fields for the request's log line: provider, eventId, outcome, reason, errorCode, Kafka coordinates. */
  log: LogFields;
}

/**
 * Verifies, validates and produces one webhook, and returns the HTTP response. Rejections,
 * broker failures and unexpected errors all become responses (4xx, 503, 500), never exceptions.
 */
export async function ingestWebhook(event: APIGatewayProxyEvent, requestId: string, runtime: IngestRuntime): Promise<IngestResult> {
  const { config } = runtime;
  const nowMs = (runtime.now ?? Date.now)();
  const log: LogFields = {};

  try {
    const providerName = providerFromPath(event);
    log.provider = providerName;
    const enabled = providerName === undefined ? undefined : config.providers.get(providerName as Provider);
    if (enabled === undefined) {
      throw new ProviderNotFoundError(
        `No webhook provider ${JSON.stringify(providerName ?? '')} is enabled here; post to /api/webhooks/{provider} with one of: ${[...config.providers.keys()].join(', ')}.`,
      );
    }

    const header = headerLookup(event.headers);
    const body = rawBody(event);
    if (body.length > config.maxBodyBytes) {
      throw new PayloadTooLargeError(`The body has ${body.length} bytes, more than the limit of ${config.maxBodyBytes} bytes; send a smaller body.`);
    }
    checkContentType(header('content-type'));

    const verified = enabled.scheme.verify({ body, header }, enabled.keys, { nowMs, toleranceSeconds: config.toleranceSeconds });
    if (runtime.logger.isLevelEnabled('debug')) {
      runtime.logger.debug('Webhook payload', { requestId, provider: providerName, payload: verified.payload.toString('utf8') });
    }

    const payload = parseJsonObject(verified.payload, enabled.definition.name === 'phonepe' ? 'the decoded response' : 'the request body');
    const mapped = enabled.definition.map(payload, { header, legacyDefaultCurrency: config.legacyDefaultCurrency, nowMs });
    if (isIgnoredDelivery(mapped)) {
      log.outcome = 'ignored';
      log.reason = mapped.reason;
      return { response: jsonResponse(200, { status: 'ignored', reason: mapped.reason }), log };
    }
    log.eventId = mapped.eventId;

    const receivedAt = new Date(nowMs).toISOString();
    const paymentEvent: PaymentEvent = {
      schemaVersion: PAYMENT_EVENT_SCHEMA_VERSION,
      provider: enabled.definition.name,
      ...mapped,
      receivedAt,
    };
    const [metadata] = await runtime.producer.send(config.kafka.paymentEventsTopic, [
      {
        key: partitionKey(paymentEvent),
        value: serializePaymentEvent(paymentEvent),
        headers: {
          [HEADER.provider]: paymentEvent.provider,
          [HEADER.eventId]: paymentEvent.eventId,
          [HEADER.receivedAt]: receivedAt,
          [HEADER.requestId]: requestId,
          [HEADER.schemaVersion]: String(PAYMENT_EVENT_SCHEMA_VERSION),
        },
      },
    ], config.kafka.produceTimeoutMs);

    log.outcome = 'accepted';
    log.topic = config.kafka.paymentEventsTopic;
    log.partition = metadata?.partition;
    log.offset = metadata?.baseOffset;
    return { response: jsonResponse(200, { status: 'accepted', eventId: paymentEvent.eventId }), log };
  } catch (error) {
    return { response: responseForError(error, config, log), log };
  }
}

function responseForError(error: unknown, config: IngestConfig, log: LogFields): APIGatewayProxyResult {
  if (error instanceof WebhookRejectedError) {
    log.outcome = 'rejected';
    log.errorCode = error.code;
    log.errorMessage = error.message;
    return errorResponse(error.statusCode, error.code, error.message);
  }

  if (error instanceof ProduceTimeoutError || error instanceof ProduceFailedError) {
    log.outcome = 'unavailable';
    log.errorCode = 'broker_unavailable';
    log.errorMessage = error.message;
    return errorResponse(
      503,
      'broker_unavailable',
      'The event could not be stored because Kafka did not acknowledge it in time. Retry the same request later.',
      { 'Retry-After': String(config.retryAfterSeconds) },
    );
  }

  // Anything else is a bug: details go to the log, the sender gets a generic body.
  log.outcome = 'error';
  log.errorCode = 'internal_error';
  log.errorName = error instanceof Error ? error.name : typeof error;
  log.errorMessage = error instanceof Error ? error.message : String(error);
  log.errorStack = error instanceof Error ? error.stack : undefined;
  return errorResponse(500, 'internal_error', 'The webhook could not be processed because of an internal error. Retry later.');
}
