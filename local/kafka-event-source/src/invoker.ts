/**
 * Invokes a function through serverless-offline's emulation of the Lambda Invoke API
 * (POST /2015-03-31/functions/<name>/invocations on `lambdaPort`, 3002 by default).
 *
 * Going through serverless-offline runs the function exactly as `sls offline` does for HTTP
 * events: the esbuild bundle, the function's environment and its timeout. serverless-offline
 * 14.8 returns HTTP 200 for every invocation that ran, and a function that threw or timed out is marked
 * with the header `X-Amz-Function-Error: Unhandled` and an `{ errorMessage, errorType, trace }`
 * payload. An unknown function name is answered 404 with `x-amzn-ErrorType`.
 */
import { FunctionInvocationError, InvokeTransportError } from './errors.js';

export interface Invoker {
  /** Resolves with the function's return value. Rejects with FunctionInvocationError or InvokeTransportError. */
  invoke(functionName: string, event: unknown): Promise<unknown>;
}

export class OfflineLambdaInvoker implements Invoker {
  readonly #endpoint: string;

  constructor(endpoint: string) {
    this.#endpoint = endpoint.replace(/\/+$/, '');
  }

  async invoke(functionName: string, event: unknown): Promise<unknown> {
    const url = `${this.#endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
        body: JSON.stringify(event),
      });
      text = await response.text();
    } catch (error) {
      throw new InvokeTransportError(`Invoke request to ${url} failed: ${(error as Error).message}. Is sls offline running?`, { cause: error });
    }

    const serviceError = response.headers.get('x-amzn-errortype');
    if (response.status !== 200 || serviceError !== null) {
      throw new InvokeTransportError(
        `Invoke of ${functionName} was rejected with HTTP ${response.status}${serviceError === null ? '' : ` (${serviceError})`}: ${text.slice(0, 300)}`,
      );
    }

    const payload = parsePayload(text);
    if (response.headers.get('x-amz-function-error') !== null) {
      const details = (payload ?? {}) as { errorMessage?: unknown; errorType?: unknown };
      throw new FunctionInvocationError(
        typeof details.errorMessage === 'string' ? details.errorMessage : text.slice(0, 300),
        typeof details.errorType === 'string' ? details.errorType : 'Unhandled',
      );
    }
    return payload;
  }
}

function parsePayload(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Resolves once the endpoint returns any HTTP response; rejects after `timeoutMs`. */
export async function waitForEndpoint(endpoint: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(endpoint, { method: 'GET', ...(signal === undefined ? {} : { signal }) });
      return;
    } catch (error) {
      if (signal?.aborted) throw error;
      if (Date.now() > deadline) {
        throw new InvokeTransportError(`serverless-offline's Lambda endpoint ${endpoint} did not respond within ${timeoutMs} ms. Check that sls offline started without errors.`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
