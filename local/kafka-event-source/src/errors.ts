/**
 * Errors raised by the local Kafka event-source emulator. Callers branch on the class, never on
 * the message text.
 */

/** An `msk`/`kafka` event or a `custom.kafkaEventSource` setting is invalid; raised at start-up. */
export class EventSourceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventSourceConfigError';
  }
}

/** The function ran and failed: it threw, timed out, or returned an unusable partial batch response. */
export class FunctionInvocationError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
    this.name = 'FunctionInvocationError';
  }
}

/**
 * The invocation never reached the function: the serverless-offline Lambda endpoint is not up,
 * the function name is unknown, or the connection dropped. Retried without counting as an attempt.
 */
export class InvokeTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvokeTransportError';
  }
}
