/**
 * Raw card data must never reach us (the storefront sends the PSP's token instead): this finds what looks like
 * a card number or card fields in a request, so it is refused before anything stores or logs it. A card number
 * here is a run of 13 to 19 digits, optionally grouped by single spaces or dashes, that passes the Luhn check;
 * card fields are keys such as `card_number`, `number`, `cvc`, `cvv`, `exp_month`. What was found is never
 * returned: only whether something was.
 */

/** The Luhn (mod 10) checksum of a string of digits. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let total = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    total += digit;
    double = !double;
  }
  return total % 10 === 0;
}

// Maximal runs of digits in which single spaces or dashes may separate groups.
const DIGIT_RUNS = /\d(?:[ -]?\d)*/g;

/** Whether a text contains something shaped like a card number (13-19 digits passing Luhn). */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUNS)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) return true;
  }
  return false;
}

// Compared without case, underscores, dashes or spaces: `card_number`, `cardNumber`, `Card-Number`.
const CARD_FIELDS = new Set([
  'cardnumber',
  'ccnumber',
  'creditcardnumber',
  'number',
  'pan',
  'primaryaccountnumber',
  'cvc',
  'cvc2',
  'cvv',
  'cvv2',
  'cid',
  'securitycode',
  'expmonth',
  'expyear',
  'expiry',
  'expirydate',
  'expiration',
  'expirationdate',
  'expdate',
]);

export function isCardFieldName(key: string): boolean {
  return CARD_FIELDS.has(key.toLowerCase().replace(/[_\-\s]/g, ''));
}

/** Whether a parsed JSON value holds a card-field key or a card number anywhere (keys and values). */
export function containsCardData(value: unknown): boolean {
  // Iterative, so a hostile nesting depth cannot exhaust the stack.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (containsCardNumber(item)) return true;
    } else if (typeof item === 'number' || typeof item === 'bigint') {
      if (containsCardNumber(String(item))) return true;
    } else if (Array.isArray(item)) {
      pending.push(...item);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (isCardFieldName(key) || containsCardNumber(key)) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
