import { describe, expect, it } from 'vitest';
import { isJsonObject, JsonNumber, JsonSyntaxError, parseJson, type JsonObject } from '../../lib/json.js';

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseJson', () => {
  it('keeps number lexemes exactly', () => {
    const value = parseJson('{"a": 500.00, "b": 12345678901234.56, "c": 0.10, "d": -1e-7, "e": 9007199254740993}') as JsonObject;
    expect((value.a as JsonNumber).source).toBe('500.00');
    expect((value.b as JsonNumber).source).toBe('12345678901234.56');
    expect((value.c as JsonNumber).source).toBe('0.10');
    expect((value.d as JsonNumber).source).toBe('-1e-7');
    expect((value.e as JsonNumber).source).toBe('9007199254740993');
  });

  it('parses the pretty-printed legacy payload', () => {
    const text = '{\n  "eventId": "evt_NEW_004",\n  "eventType": "PAYMENT_SUCCESS",\n  "amount": 500.00,\n  "customerId": "cust_vip_02"\n}';
    const value = parseJson(text) as JsonObject;
    expect(value.eventId).toBe('evt_NEW_004');
    expect(value.amount).toBeInstanceOf(JsonNumber);
  });

  it('decodes escapes and keeps unicode', () => {
    const value = parseJson('{"s": "\\u20b9 \\"q\\" \\\\ \\/ \\n ₹ José 🚀 \\ud83d\\ude80"}') as JsonObject;
    expect(value.s).toBe('₹ "q" \\ / \n ₹ José 🚀 🚀');
  });

  it('parses literals, arrays and nested objects', () => {
    expect(parseJson(' [true, false, null, {"x": []}] ')).toEqual([true, false, null, { x: [] }]);
  });

  it('treats __proto__ as a plain key', () => {
    const value = parseJson('{"__proto__": {"polluted": true}}') as JsonObject;
    expect(isJsonObject(value.__proto__)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('serializes numbers back to their source text', () => {
    expect(JSON.stringify(parseJson('{"a":500.00}'))).toBe('{"a":"500.00"}');
  });

  it.each([
    ['empty input', ''],
    ['trailing comma in object', '{"a":1,}'],
    ['trailing comma in array', '[1,]'],
    ['single quotes', "{'a':1}"],
    ['unquoted key', '{a:1}'],
    ['leading zero', '{"a":0123}'],
    ['leading plus', '{"a":+1}'],
    ['bare decimal point', '{"a":.5}'],
    ['trailing decimal point', '{"a":5.}'],
    ['NaN', '{"a":NaN}'],
    ['Infinity', '{"a":Infinity}'],
    ['hex number', '{"a":0x10}'],
    ['comment', '{"a":1 /* c */}'],
    ['raw control character in string', '{"a":"x\ny"}'],
    ['invalid escape', '{"a":"\\x41"}'],
    ['short unicode escape', '{"a":"\\u12"}'],
    ['unterminated string', '{"a":"abc'],
    ['truncated object', '{"a":1'],
    ['two values', '{} {}'],
    ['duplicate key', '{"a":1,"a":2}'],
    ['non-breaking space as whitespace', '{"a":1}\u00a0'],
  ])('rejects %s', (_name, text) => {
    expect(syntaxError(text)).toBeInstanceOf(JsonSyntaxError);
  });

  it.each([
    ['lone high surrogate escape', '{"c":"c\\ud800"}', 7],
    ['lone low surrogate escape', '{"c":"\\udc00x"}', 6],
    ['high surrogate escape before a plain character', '{"c":"\\uD83Dx"}', 6],
    ['high surrogate escape before a non-surrogate escape', '{"c":"\\ud83d\\u0041"}', 6],
    ['two high surrogate escapes', '{"c":"\\ud83d\\ud83d"}', 6],
    ['reversed surrogate pair', '{"c":"\\ude80\\ud83d"}', 6],
    ['lone surrogate escape in a key', '{"k\\ud800":1}', 3],
  ])('rejects a %s naming its position', (_name, text, position) => {
    const error = syntaxError(text);
    expect(error.reason).toMatch(/^unpaired surrogate escape \\u[0-9A-F]{4}; /);
    expect(error.position).toBe(position);
  });

  it('rejects a raw unpaired surrogate in a JavaScript string', () => {
    expect(syntaxError('{"c":"a\ud800b"}').reason).toBe('unpaired surrogate U+D800 in string');
    expect(syntaxError('{"c":"\udc00"}').position).toBe(6);
  });

  it('accepts surrogate pairs, escaped, upper-case or raw', () => {
    const value = parseJson('{"a":"\\uD83D\\uDE80","b":"\\ud83d\\ude80","c":"🚀","d":"x\\ud83d\\ude80y"}') as JsonObject;
    expect(value.a).toBe('🚀');
    expect(value.b).toBe('🚀');
    expect(value.c).toBe('🚀');
    expect(value.d).toBe('x🚀y');
  });

  it('keeps escaped text byte-exact through UTF-8', () => {
    const value = parseJson('{"s":"\\u00e9\\u20b9\\ud83d\\ude80"}') as JsonObject;
    expect(Buffer.from(value.s as string, 'utf8').toString('utf8')).toBe('é₹🚀');
  });

  it('reports the position of the problem', () => {
    expect(syntaxError('{"a":1,"a":2}').position).toBe(7);
  });

  it('rejects nesting deeper than the limit', () => {
    expect(syntaxError('['.repeat(65) + ']'.repeat(65)).reason).toContain('nesting deeper than 64');
    expect(parseJson('['.repeat(64) + ']'.repeat(64))).toBeInstanceOf(Array);
  });
});
