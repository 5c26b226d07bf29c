/**
 * Currency codes and exact decimal amounts. Amounts stay strings from the request body to the
 * Kafka record: they are parsed and rescaled with string and BigInt arithmetic, never through a
 * binary float, so `12345678901234.56` and `0.10` arrive unchanged.
 */

/** Largest number of digits before the decimal point that an amount may have. */
export const MAX_INTEGER_DIGITS = 18;

const ZERO_DECIMAL = ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const THREE_DECIMAL = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
const FOUR_DECIMAL = ['CLF', 'UYW'];
const TWO_DECIMAL = [
  'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BMD', 'BND',
  'BOB', 'BOV', 'BRL', 'BSD', 'BTN', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHE', 'CHF', 'CHW', 'CNY', 'COP', 'COU',
  'CRC', 'CUP', 'CVE', 'CZK', 'DKK', 'DOP', 'DZD', 'EGP', 'ERN', 'ETB', 'EUR', 'FJD', 'FKP', 'GBP', 'GEL', 'GHS',
  'GIP', 'GMD', 'GTQ', 'GYD', 'HKD', 'HNL', 'HTG', 'HUF', 'IDR', 'ILS', 'INR', 'IRR', 'JMD', 'KES', 'KGS', 'KHR',
  'KPW', 'KYD', 'KZT', 'LAK', 'LBP', 'LKR', 'LRD', 'LSL', 'MAD', 'MDL', 'MGA', 'MKD', 'MMK', 'MNT', 'MOP', 'MRU',
  'MUR', 'MVR', 'MWK', 'MXN', 'MXV', 'MYR', 'MZN', 'NAD', 'NGN', 'NIO', 'NOK', 'NPR', 'NZD', 'PAB', 'PEN', 'PGK',
  'PHP', 'PKR', 'PLN', 'QAR', 'RON', 'RSD', 'RUB', 'SAR', 'SBD', 'SCR', 'SDG', 'SEK', 'SGD', 'SHP', 'SLE', 'SOS',
  'SRD', 'SSP', 'STN', 'SVC', 'SYP', 'SZL', 'THB', 'TJS', 'TMT', 'TOP', 'TRY', 'TTD', 'TWD', 'TZS', 'UAH', 'USD',
  'USN', 'UYU', 'UZS', 'VED', 'VES', 'WST', 'XCD', 'XCG', 'YER', 'ZAR', 'ZMW', 'ZWG',
];

/**
 * ISO 4217 minor units (digits after the decimal point) of every accepted currency code.
 * NOTE: the list is maintained by hand; a new ISO code is rejected until it is added here.
 */
export const MINOR_UNITS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMAL.map((code) => [code, 0] as const),
  ...TWO_DECIMAL.map((code) => [code, 2] as const),
  ...THREE_DECIMAL.map((code) => [code, 3] as const),
  ...FOUR_DECIMAL.map((code) => [code, 4] as const),
]);

/** Raised for an invalid amount or currency. The caller adds the field name to the message. */
export class AmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmountError';
  }
}

/** Returns the upper-case ISO 4217 code, or throws AmountError for an unknown code. */
export function normalizeCurrency(code: string): string {
  const upper = code.trim().toUpperCase();
  if (!MINOR_UNITS.has(upper)) {
    throw new AmountError(`${JSON.stringify(code)} is not a known ISO 4217 currency code (for example INR, USD, EUR, JPY)`);
  }
  return upper;
}

export function minorUnitsOf(currency: string): number {
  const units = MINOR_UNITS.get(currency);
  if (units === undefined) throw new AmountError(`${JSON.stringify(currency)} is not a known ISO 4217 currency code`);
  return units;
}

// A decimal string as senders write it: digits, optionally a point and more digits. No sign,
// exponent, spaces or grouping separators.
const DECIMAL_STRING = /^([0-9]+)(?:\.([0-9]+))?$/;
// A JSON number lexeme, split into sign, integer digits, fraction digits and exponent.
const JSON_NUMBER = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * Normalizes a major-unit amount (for example "500.00") and checks it against the currency.
 *
 * `text` is a decimal string or the source text of a JSON number (which may carry an exponent,
 * as in `5.5E2`). The result keeps the scale the sender wrote, so "500.00" stays "500.00" and
 * "0.10" stays "0.10". Leading zeros of the integer part are dropped, and an exponent is
 * applied exactly ("5.5E2" becomes "550"). Rejects zero, negative amounts, more integer
 * digits than MAX_INTEGER_DIGITS and more fraction digits than the currency's minor units.
 */
export function normalizeDecimalAmount(text: string, currency: string, fromJsonNumber: boolean): string {
  let negative = false;
  let integerDigits: string;
  let fractionDigits: string;

  if (fromJsonNumber) {
    const match = JSON_NUMBER.exec(text);
    if (match === null) throw new AmountError(`${text} is not a decimal number`);
    negative = match[1] === '-';
    [integerDigits, fractionDigits] = applyExponent(match[2] ?? '', match[3] ?? '', match[4]);
  } else {
    const match = DECIMAL_STRING.exec(text);
    if (match === null) {
      throw new AmountError(`${JSON.stringify(text)} is not a decimal amount; write digits with an optional point, such as "500.00"`);
    }
    integerDigits = match[1] ?? '';
    fractionDigits = match[2] ?? '';
  }

  return checkAmount(integerDigits, fractionDigits, negative, currency);
}

/**
 * Converts an integer amount in the currency's minor unit (Stripe, Razorpay and PhonePe send
 * paise or cents, for example 50000 for 500.00 INR) to a major-unit decimal string with
 * exactly the currency's minor-unit digits.
 */
export function minorToDecimalAmount(text: string, currency: string): string {
  const match = /^(-?)([0-9]+)$/.exec(text);
  if (match === null) throw new AmountError(`${text} is not an integer amount in minor units`);
  const negative = match[1] === '-';
  const digits = stripLeadingZeros(match[2] ?? '');
  const scale = minorUnitsOf(currency);
  const padded = digits.padStart(scale + 1, '0');
  const integerDigits = padded.slice(0, padded.length - scale);
  const fractionDigits = padded.slice(padded.length - scale);
  return checkAmount(integerDigits, fractionDigits, negative, currency);
}

function checkAmount(integerDigits: string, fractionDigits: string, negative: boolean, currency: string): string {
  const integerPart = stripLeadingZeros(integerDigits);
  const isZero = /^0*$/.test(integerPart) && /^0*$/.test(fractionDigits);
  if (negative && !isZero) throw new AmountError('the amount is negative; send a positive amount');
  if (isZero) throw new AmountError('the amount is zero; send a positive amount');
  if (integerPart.length > MAX_INTEGER_DIGITS) {
    throw new AmountError(`the amount has ${integerPart.length} digits before the decimal point; the maximum is ${MAX_INTEGER_DIGITS}`);
  }

  const scale = minorUnitsOf(currency);
  if (fractionDigits.length > scale) {
    throw new AmountError(
      `the amount has ${fractionDigits.length} digits after the decimal point but ${currency} allows at most ${scale}`,
    );
  }
  return fractionDigits === '' ? integerPart : `${integerPart}.${fractionDigits}`;
}

/** Shifts the decimal point of `integer.fraction` by `exponent` places, as digit strings. */
function applyExponent(integer: string, fraction: string, exponentText: string | undefined): [string, string] {
  if (exponentText === undefined) return [integer, fraction];

  // An exponent far outside the amount range would only build huge strings before rejection.
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 64) {
    throw new AmountError(`the exponent ${exponentText} is out of range`);
  }

  const digits = integer + fraction;
  const pointIndex = integer.length + exponent;
  if (pointIndex <= 0) return ['0', '0'.repeat(-pointIndex) + digits];
  if (pointIndex >= digits.length) return [digits + '0'.repeat(pointIndex - digits.length), ''];
  return [digits.slice(0, pointIndex), digits.slice(pointIndex)];
}

function stripLeadingZeros(digits: string): string {
  const stripped = digits.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}
