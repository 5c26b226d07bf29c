/**
 * Structured JSON logger: one line per call on stdout, which CloudWatch Logs and
 * serverless-offline both pass through unchanged.
 *
 * Callers pass fields (requestId, eventId, topic, partition, offset...) instead of
 * formatting them into the message, so logs can be filtered by field.
 * Never pass a secret, a signature or a whole payload above debug level.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

function parseLevel(value: string | undefined): LogLevel {
  const normalized = (value ?? '').trim().toLowerCase();
  return normalized in LEVEL_RANK ? (normalized as LogLevel) : 'info';
}

/** Converts an Error to plain fields; other values pass through. */
export function describeError(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { errorName: error.name, errorMessage: error.message, ...(code === undefined ? {} : { errorCode: code }) };
  }
  return { errorMessage: String(error) };
}

type Sink = (line: string) => void;

class JsonLogger implements Logger {
  readonly #namespace: string;
  readonly #fields: LogFields;
  readonly #minRank: number;
  readonly #sink: Sink;

  constructor(namespace: string, fields: LogFields, minRank: number, sink: Sink) {
    this.#namespace = namespace;
    this.#fields = fields;
    this.#minRank = minRank;
    this.#sink = sink;
  }

  #write(level: LogLevel, message: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < this.#minRank) return;
    const record = {
      time: new Date().toISOString(),
      level,
      logger: this.#namespace,
      message,
      ...this.#fields,
      ...fields,
    };
    this.#sink(JSON.stringify(record, jsonReplacer));
  }

  debug(message: string, fields?: LogFields): void {
    this.#write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#write('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.#namespace, { ...this.#fields, ...fields }, this.#minRank, this.#sink);
  }
  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#minRank;
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return describeError(value);
  return value;
}

const defaultSink: Sink = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Creates a logger for one component. LOG_LEVEL (debug, info, warn, error; default info)
 * is read when the logger is created.
 */
export function createLogger(namespace: string, fields: LogFields = {}, sink: Sink = defaultSink): Logger {
  return new JsonLogger(namespace, fields, LEVEL_RANK[parseLevel(process.env.LOG_LEVEL)], sink);
}
