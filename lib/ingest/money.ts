/**
 * Currency codes and exact decimal amounts. Amounts stay strings from the request body to the
 * Kafka record: they are parsed and rescaled with string arithmetic, never through a binary
 * float, so `12345678901234.56` and `0.10` arrive unchanged.
 *
 * Every amount leaves this module in one canonical form: no leading zeros and exactly the
 * currency's minor-unit digits after the point ("10.00" INR, "500" JPY, "8.165" KWD). The same
 * payment sent as `10.0`, `10` or `"10.00"` therefore gives the same record and the same hash.
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

/**
 * Raised for an invalid amount or currency. The message is a predicate that the caller puts
 * after the subject, as in `Field amount ${message}.`, for example "is zero; send a positive amount".
 */
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
    throw new AmountError(`has the unknown currency code ${JSON.stringify(code)}; use an ISO 4217 code such as INR, USD, EUR or JPY`);
  }
  return upper;
}

export function minorUnitsOf(currency: string): number {
  const units = MINOR_UNITS.get(currency);
  if (units === undefined) throw new AmountError(`has the unknown currency code ${JSON.stringify(currency)}; use an ISO 4217 code such as INR, USD, EUR or JPY`);
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
 * as in `5.5E2`). The result has no leading zeros and exactly the currency's minor-unit digits
 * after the point, whatever scale the sender wrote:
 *
 *   "10", 10.0, "10.00", 1e1      INR -> "10.00"
 *   "500.00", 500                 JPY -> "500"
 *   8.165                         KWD -> "8.165"
 *   "10.000"                      INR -> "10.00"  (zeros beyond the minor unit are dropped)
 *   "10.001"                      INR -> rejected (a non-zero digit beyond the minor unit)
 *
 * Rejects zero, negative amounts, more integer digits than MAX_INTEGER_DIGITS and any non-zero
 * digit beyond the currency's minor units, because dropping it would change the amount.
 */
export function normalizeDecimalAmount(text: string, currency: string, fromJsonNumber: boolean): string {
  let negative = false;
  let integerDigits: string;
  let fractionDigits: string;

  if (fromJsonNumber) {
    const match = JSON_NUMBER.exec(text);
    if (match === null) throw new AmountError(`is not a JSON number: ${text}; send a decimal amount such as 500.00`);
    negative = match[1] === '-';
    [integerDigits, fractionDigits] = applyExponent(match[2] ?? '', match[3] ?? '', match[4]);
  } else {
    const match = DECIMAL_STRING.exec(text);
    if (match === null) {
      throw new AmountError(
        `has the invalid value ${JSON.stringify(text)}; write the amount as digits with an optional point, such as "500.00" (no sign, exponent, spaces or separators)`,
      );
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
  if (match === null) {
    throw new AmountError(`must be a whole number of minor units (for example 50000 for 500.00 INR), got ${text}`);
  }
  const negative = match[1] === '-';
  const digits = stripLeadingZeros(match[2] ?? '');
  const scale = minorUnitsOf(currency);
  const padded = digits.padStart(scale + 1, '0');
  const integerDigits = padded.slice(0, padded.length - scale);
  const fractionDigits = padded.slice(padded.length - scale);
  return checkAmount(integerDigits, fractionDigits, negative, currency);
}

/** Checks sign, size and scale, and returns the canonical form with exactly the currency's minor-unit digits. */
function checkAmount(integerDigits: string, fractionDigits: string, negative: boolean, currency: string): string {
  const integerPart = stripLeadingZeros(integerDigits);
  const isZero = /^0*$/.test(integerPart) && /^0*$/.test(fractionDigits);
  if (negative && !isZero) throw new AmountError('is negative; send the amount as a positive number');
  if (isZero) throw new AmountError('is zero; send a positive amount');
  if (integerPart.length > MAX_INTEGER_DIGITS) {
    throw new AmountError(
      `has ${integerPart.length} digits before the decimal point, but at most ${MAX_INTEGER_DIGITS} are accepted; check the amount and its unit`,
    );
  }

  const scale = minorUnitsOf(currency);
  const excess = fractionDigits.slice(scale);
  if (/[1-9]/.test(excess)) {
    const significant = fractionDigits.replace(/0+$/, '').length;
    throw new AmountError(
      `has ${countOf(significant, 'digit')} after the decimal point, but ${currency} allows ${scale === 0 ? 'none' : `at most ${scale}`}; ` +
        `send the amount in ${currency} ${scale === 0 ? 'as a whole number' : `with at most ${countOf(scale, 'decimal place')}`}`,
    );
  }

  const fraction = fractionDigits.slice(0, scale).padEnd(scale, '0');
  return scale === 0 ? integerPart : `${integerPart}.${fraction}`;
}

/** Formats a count with its noun, singular for 1: "1 digit", "3 digits". */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Shifts the decimal point of `integer.fraction` by `exponent` places, as digit strings. */
function applyExponent(integer: string, fraction: string, exponentText: string | undefined): [string, string] {
  if (exponentText === undefined) return [integer, fraction];

  // An exponent far outside the amount range would only build huge strings before rejection.
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 64) {
    throw new AmountError(`has the exponent ${exponentText}, which is out of range; write the amount without an exponent, such as 500.00`);
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
