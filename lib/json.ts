/**
 * A strict JSON parser (RFC 8259) that keeps every number as its source text.
 *
 * `JSON.parse` turns `12345678901234.56` into the nearest binary double and, on Node 20, offers
 * no access to the source text of a number, so amounts would lose digits. This parser returns
 * numbers as `JsonNumber` objects that carry the exact lexeme, and callers decide how to read them.
 *
 * Beyond RFC 8259 it rejects duplicate object keys (an attacker could otherwise make two readers
 * see different values), nesting deeper than `maxDepth`, and unpaired UTF-16 surrogates, escaped
 * (`"\ud800"`) or raw. RFC 8259 allows an unpaired surrogate escape, but it is no Unicode
 * character: UTF-8 cannot encode it, so storing the string would replace it with U+FFFD and
 * change the text. Objects have a null prototype, so a key such as `__proto__` is plain data.
 *
 * @example
 *   const value = parseJson('{"amount": 500.00}');
 *   // value.amount is a JsonNumber whose source is "500.00"
 */

/** A JSON number, kept as the text it was written with (for example "500.00" or "1e3"). */
export class JsonNumber {
  constructor(readonly source: string) {}

  toString(): string {
    return this.source;
  }

  /** Serializes back to the original text when the owner is passed to JSON.stringify. */
  toJSON(): string {
    return this.source;
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Raised for text that is not valid JSON; `position` is the offset (in UTF-16 code units) of the problem. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`Invalid JSON at position ${position}: ${reason}`);
    this.name = 'JsonSyntaxError';
  }
}

export interface ParseJsonOptions {
  /** Maximum nesting of arrays and objects; deeper input is rejected to bound recursion. Default 64. */
  maxDepth?: number;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

/** Parses one JSON text. Whitespace around the value is allowed; anything else after it is an error. */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? 64);
  return parser.parseDocument();
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

// The number grammar of RFC 8259, anchored at the current position by the sticky flag.
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Parser {
  readonly #text: string;
  readonly #maxDepth: number;
  #pos = 0;

  constructor(text: string, maxDepth: number) {
    this.#text = text;
    this.#maxDepth = maxDepth;
  }

  parseDocument(): JsonValue {
    this.#skipWhitespace();
    const value = this.#parseValue(0);
    this.#skipWhitespace();
    if (this.#pos < this.#text.length) this.#fail('unexpected data after the JSON value');
    return value;
  }

  #fail(reason: string, position = this.#pos): never {
    throw new JsonSyntaxError(reason, position);
  }

  #skipWhitespace(): void {
    const text = this.#text;
    while (this.#pos < text.length) {
      const code = text.charCodeAt(this.#pos);
      // Only space, tab, line feed and carriage return are JSON whitespace.
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) break;
      this.#pos++;
    }
  }

  #parseValue(depth: number): JsonValue {
    if (this.#pos >= this.#text.length) this.#fail('unexpected end of input');
    const char = this.#text[this.#pos];
    switch (char) {
      case '{':
        return this.#parseObject(depth + 1);
      case '[':
        return this.#parseArray(depth + 1);
      case '"':
        return this.#parseString();
      case 't':
        return this.#parseLiteral('true', true);
      case 'f':
        return this.#parseLiteral('false', false);
      case 'n':
        return this.#parseLiteral('null', null);
      default:
        return this.#parseNumber();
    }
  }

  #parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.#text.startsWith(word, this.#pos)) this.#fail(`unexpected character ${JSON.stringify(this.#text[this.#pos])}`);
    this.#pos += word.length;
    return value;
  }

  #parseNumber(): JsonNumber {
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.#text);
    if (match === null) this.#fail(`unexpected character ${JSON.stringify(this.#text[this.#pos])}`);
    this.#pos += match[0].length;
    return new JsonNumber(match[0]);
  }

  #parseString(): string {
    const text = this.#text;
    const start = this.#pos;
    this.#pos++;
    let result = '';
    let chunkStart = this.#pos;
    while (true) {
      if (this.#pos >= text.length) this.#fail('unterminated string', start);
      const code = text.charCodeAt(this.#pos);
      if (code === 0x22) {
        result += text.slice(chunkStart, this.#pos);
        this.#pos++;
        return result;
      }
      if (code < 0x20) this.#fail('control character in string; escape it as \\u00XX');
      if (code >= 0xd800 && code <= 0xdfff) {
        // Decoded UTF-8 always gives pairs, so an unpaired raw surrogate can only come from a caller's JavaScript string.
        const next = text.charCodeAt(this.#pos + 1);
        if (!isHighSurrogate(code) || !isLowSurrogate(next)) this.#fail(`unpaired surrogate ${codeUnit(code)} in string`);
        this.#pos += 2;
        continue;
      }
      if (code === 0x5c) {
        result += text.slice(chunkStart, this.#pos);
        result += this.#parseEscape();
        chunkStart = this.#pos;
        continue;
      }
      this.#pos++;
    }
  }

  #parseEscape(): string {
    const text = this.#text;
    const kind = text[this.#pos + 1];
    if (kind === undefined) this.#fail('unterminated escape sequence');
    if (kind === 'u') {
      const start = this.#pos;
      const code = this.#readUnicodeEscape();
      if (isLowSurrogate(code)) this.#fail(unpairedEscape(code), start);
      if (!isHighSurrogate(code)) return String.fromCharCode(code);

      // A high surrogate is only valid when a low surrogate escape follows at once.
      const low = text.startsWith('\\u', this.#pos) ? this.#readUnicodeEscape() : undefined;
      if (low === undefined || !isLowSurrogate(low)) this.#fail(unpairedEscape(code), start);
      return String.fromCharCode(code, low);
    }
    const replacement = ESCAPES[kind];
    if (replacement === undefined) this.#fail(`invalid escape \\${kind}`);
    this.#pos += 2;
    return replacement;
  }

  /** Reads the `\uXXXX` escape at the current position and returns its UTF-16 code unit. */
  #readUnicodeEscape(): number {
    const hex = this.#text.slice(this.#pos + 2, this.#pos + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('invalid \\u escape; expected four hex digits');
    this.#pos += 6;
    return parseInt(hex, 16);
  }

  #parseArray(depth: number): JsonValue[] {
    if (depth > this.#maxDepth) this.#fail(`nesting deeper than ${this.#maxDepth} levels`);
    this.#pos++;
    const items: JsonValue[] = [];
    this.#skipWhitespace();
    if (this.#text[this.#pos] === ']') {
      this.#pos++;
      return items;
    }
    while (true) {
      this.#skipWhitespace();
      items.push(this.#parseValue(depth));
      this.#skipWhitespace();
      const char = this.#text[this.#pos];
      if (char === ',') {
        this.#pos++;
        continue;
      }
      if (char === ']') {
        this.#pos++;
        return items;
      }
      this.#fail(char === undefined ? 'unexpected end of input in array' : "expected ',' or ']' in array");
    }
  }

  #parseObject(depth: number): JsonObject {
    if (depth > this.#maxDepth) this.#fail(`nesting deeper than ${this.#maxDepth} levels`);
    this.#pos++;
    const object = Object.create(null) as JsonObject;
    this.#skipWhitespace();
    if (this.#text[this.#pos] === '}') {
      this.#pos++;
      return object;
    }
    while (true) {
      this.#skipWhitespace();
      if (this.#text[this.#pos] !== '"') this.#fail('expected a double-quoted property name');
      const keyPosition = this.#pos;
      const key = this.#parseString();
      if (Object.hasOwn(object, key)) this.#fail(`duplicate property ${JSON.stringify(key)}`, keyPosition);

      this.#skipWhitespace();
      if (this.#text[this.#pos] !== ':') this.#fail("expected ':' after the property name");
      this.#pos++;
      this.#skipWhitespace();
      object[key] = this.#parseValue(depth);

      this.#skipWhitespace();
      const char = this.#text[this.#pos];
      if (char === ',') {
        this.#pos++;
        continue;
      }
      if (char === '}') {
        this.#pos++;
        return object;
      }
      this.#fail(char === undefined ? 'unexpected end of input in object' : "expected ',' or '}' in object");
    }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function codeUnit(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function unpairedEscape(code: number): string {
  return (
    `unpaired surrogate escape \\u${code.toString(16).toUpperCase()}; ` +
    'write a character above U+FFFF as a high and low surrogate pair such as \\uD83D\\uDE80, or as the character itself'
  );
}
