/**
 * Calendar checks for the UTC times of payment events, without a round trip through Date,
 * which rolls an impossible date such as 2024-02-30 over into March instead of rejecting it.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/**
 * True when the fields name a real date of the proleptic Gregorian calendar (the one Date and
 * ISO 8601 use) and a time of day from 00:00:00 to 23:59:59.
 */
export function isCalendarTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;

  let daysInMonth = DAYS_IN_MONTH[month - 1] as number;
  if (month === 2 && isLeapYear(year)) daysInMonth = 29;
  return day <= daysInMonth;
}
