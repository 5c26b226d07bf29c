import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ReliableProducer } from '../lib/kafka.js';
const p = new ReliableProducer();
export const handler = middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  await p.send('payment-events', [{ key: 'k', value: event.body }]);
  return { statusCode: 200, body: JSON.stringify({ ok: true, env: process.env.LEGACY }) };
});
