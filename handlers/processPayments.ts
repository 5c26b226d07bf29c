/**
 * processPayments: the Lambda behind the MSK event-source mapping on payment-events. It hands
 * the batch to the BatchProcessor and shapes the response; all logic is in lib/processing.
 */
import middy from '@middy/core';
import type { Context, MSKEvent } from 'aws-lambda';
import type { KafkaItemIdentifier } from '../lib/processing/batchProcessor.js';
import { processingRuntime } from '../lib/processing/runtime.js';

/**
 * The ReportBatchItemFailures response of a Kafka event source. Unlike SQS and Kinesis, the
 * identifier is an object: the "<topic>-<partition>" key of the event's `records` map and the
 * offset to resume that partition from. Source: AWS Lambda Developer Guide, "Configuring error
 * handling controls for Kafka event sources"
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html), as modelled by
 * Powertools for AWS Lambda (Python), whose KafkaItemIdentifier has `partition` and `offset`.
 * NOTE: the guide's own response example could not be read here; check it before turning
 * PARTIAL_BATCH_RESPONSE on in a deployment.
 */
export interface KafkaBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: KafkaItemIdentifier }>;
}

async function processPayments(event: MSKEvent, context: Context): Promise<KafkaBatchResponse | void> {
  const { processor, config } = await processingRuntime();
  const result = await processor.process(event, {
    requestId: context.awsRequestId,
    remainingTimeMs: typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined,
  });

  // The Serverless `msk` event cannot enable ReportBatchItemFailures, so by default the handler
  // returns nothing and a deferred event fails the whole invocation instead.
  if (!config.partialBatchResponse) return;
  return { batchItemFailures: result.batchItemFailures.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy<MSKEvent, KafkaBatchResponse | void, Error, Context>().handler(processPayments);
