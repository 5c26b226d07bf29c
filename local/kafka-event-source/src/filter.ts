/**
 * Lambda event filtering for Kafka records, as documented in "Control which events Lambda sends
 * to your function" and "Filtering events from Amazon MSK and self-managed Apache Kafka event
 * sources" (AWS Lambda Developer Guide).
 *
 * A record is delivered when it matches any of the patterns (at most 5 per event source mapping
 * in AWS; not enforced here). Inside one pattern every key must match (AND); inside one leaf
 * array any entry may match (OR). The record `value` is decoded from base64 and parsed as JSON;
 * a value that is not valid JSON is matched as a plain string. Records that match no pattern are
 * dropped without an invocation and their offsets are committed, as in AWS.
 *
 * Supported leaf matchers: exact value (string, number, boolean, null), `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (a value, a list, or `{ prefix }`), `numeric`
 * (`<`, `<=`, `=`, `>`, `>=`, one or two comparisons) and `exists`.
 */
import { EventSourceConfigError } from './errors.js';
import type { KafkaEventRecord } from './event.js';

export type FilterPattern = Record<string, unknown>;

type Scalar = string | number | boolean | null;

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);
const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>', '>=']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * Checks a pattern's shape and operators. Throws EventSourceConfigError naming the JSON path of
 * the first invalid part, so a typo fails at start-up instead of silently filtering everything.
 */
export function validateFilterPattern(pattern: unknown, path: string): asserts pattern is FilterPattern {
  if (!isPlainObject(pattern)) {
    throw new EventSourceConfigError(`Invalid ${path}: expected an object such as { value: { eventType: ["PAYMENT_SUCCESS"] } }.`);
  }
  for (const [key, node] of Object.entries(pattern)) {
    const nodePath = `${path}.${key}`;
    if (Array.isArray(node)) {
      node.forEach((matcher, index) => validateMatcher(matcher, `${nodePath}[${index}]`));
    } else if (isPlainObject(node)) {
      validateFilterPattern(node, nodePath);
    } else {
      throw new EventSourceConfigError(`Invalid ${nodePath}: expected an array of matchers or a nested object, got ${JSON.stringify(node)}.`);
    }
  }
}

function validateMatcher(matcher: unknown, path: string): void {
  if (isScalar(matcher)) return;
  if (!isPlainObject(matcher)) {
    throw new EventSourceConfigError(`Invalid ${path}: expected a value or an operator object, got ${JSON.stringify(matcher)}.`);
  }
  const keys = Object.keys(matcher);
  const operator = keys[0];
  if (keys.length !== 1 || operator === undefined || !OPERATORS.has(operator)) {
    throw new EventSourceConfigError(
      `Invalid ${path}: expected exactly one operator of ${[...OPERATORS].join(', ')}, got ${JSON.stringify(matcher)}.`,
    );
  }
  const operand = matcher[operator];
  const fail = (expected: string): never => {
    throw new EventSourceConfigError(`Invalid ${path}.${operator}: expected ${expected}, got ${JSON.stringify(operand)}.`);
  };

  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof operand !== 'string') fail('a string');
      return;
    case 'exists':
      if (typeof operand !== 'boolean') fail('true or false');
      return;
    case 'anything-but':
      if (isScalar(operand)) return;
      if (Array.isArray(operand) && operand.every(isScalar)) return;
      if (isPlainObject(operand) && Object.keys(operand).length === 1 && typeof operand.prefix === 'string') return;
      fail('a value, a list of values, or { prefix: "..." }');
      return;
    case 'numeric':
      if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) fail('[op, number] or [op, number, op, number]');
      for (let i = 0; i < (operand as unknown[]).length; i += 2) {
        const op = (operand as unknown[])[i];
        const bound = (operand as unknown[])[i + 1];
        if (typeof op !== 'string' || !NUMERIC_OPERATORS.has(op) || typeof bound !== 'number') {
          fail('comparisons from <, <=, =, >, >= each followed by a number');
        }
      }
      return;
  }
}

/** Returns true when the record matches at least one pattern, or when there are no patterns. */
export function matchesAnyPattern(patterns: readonly FilterPattern[], record: KafkaEventRecord): boolean {
  if (patterns.length === 0) return true;
  const subject = filterSubject(record);
  return patterns.some((pattern) => matchesPattern(pattern, subject));
}

/**
 * Builds the object that patterns are matched against: the record metadata plus the decoded value.
 * A tombstone (null value) has no `value` key, so `{ value: [{ exists: false }] }` selects it.
 */
export function filterSubject(record: KafkaEventRecord): Record<string, unknown> {
  const subject: Record<string, unknown> = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
  };
  if (record.key !== undefined) subject.key = record.key;
  if (record.value !== undefined) subject.value = decodeValue(record.value);
  return subject;
}

function decodeValue(base64: string): unknown {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function matchesPattern(pattern: FilterPattern, subject: Record<string, unknown>): boolean {
  for (const [key, node] of Object.entries(pattern)) {
    const present = Object.hasOwn(subject, key) && subject[key] !== undefined;
    const field = subject[key];

    if (Array.isArray(node)) {
      if (!matchesLeaf(node, field, present)) return false;
      continue;
    }

    // A nested pattern descends into an object field; a missing or scalar field only satisfies
    // nested `exists: false` matchers.
    const nested = isPlainObject(field) ? field : {};
    if (!matchesPattern(node as FilterPattern, nested)) return false;
  }
  return true;
}

function matchesLeaf(matchers: readonly unknown[], field: unknown, present: boolean): boolean {
  const candidates: unknown[] = Array.isArray(field) ? field : [field];
  return matchers.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in matcher) return matcher.exists === present;
    if (!present) return false;
    return candidates.some((candidate) => matchesValue(matcher, candidate));
  });
}

function matchesValue(matcher: unknown, candidate: unknown): boolean {
  if (isScalar(matcher)) return candidate === matcher;

  const operator = Object.keys(matcher as object)[0];
  const operand = (matcher as Record<string, unknown>)[operator as string];
  switch (operator) {
    case 'prefix':
      return typeof candidate === 'string' && candidate.startsWith(operand as string);
    case 'suffix':
      return typeof candidate === 'string' && candidate.endsWith(operand as string);
    case 'equals-ignore-case':
      return typeof candidate === 'string' && candidate.toLowerCase() === (operand as string).toLowerCase();
    case 'anything-but':
      return matchesAnythingBut(operand, candidate);
    case 'numeric':
      return typeof candidate === 'number' && matchesNumeric(operand as unknown[], candidate);
    default:
      return false;
  }
}

function matchesAnythingBut(operand: unknown, candidate: unknown): boolean {
  if (Array.isArray(operand)) return !operand.includes(candidate);
  if (isPlainObject(operand)) return !(typeof candidate === 'string' && candidate.startsWith(operand.prefix as string));
  return candidate !== operand;
}

function matchesNumeric(comparisons: readonly unknown[], candidate: number): boolean {
  for (let i = 0; i < comparisons.length; i += 2) {
    const bound = comparisons[i + 1] as number;
    switch (comparisons[i]) {
      case '<':
        if (!(candidate < bound)) return false;
        break;
      case '<=':
        if (!(candidate <= bound)) return false;
        break;
      case '=':
        if (candidate !== bound) return false;
        break;
      case '>':
        if (!(candidate > bound)) return false;
        break;
      case '>=':
        if (!(candidate >= bound)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
