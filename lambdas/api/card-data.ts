/**
 * Raw card data must never reach us (the storefront sends the PSP's token instead): this finds what looks like
 * a card number or card fields in a request, so it is refused before anything stores or logs it. A card number
 * here is a run of 13 to 19 digits, optionally grouped by single spaces or dashes, that starts like a card of a
 * card network (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro) and passes the Luhn check —
 * the network prefix keeps long numeric ids (timestamps, order numbers) from being refused one time in ten;
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

/** Card networks' leading digits (IIN ranges) and the lengths their cards have. */
const NETWORKS: readonly { readonly prefix: RegExp; readonly lengths: readonly number[] }[] = [
  { prefix: /^4/, lengths: [13, 16, 19] }, // Visa
  { prefix: /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] }, // Mastercard
  { prefix: /^3[47]/, lengths: [15] }, // American Express
  { prefix: /^(6011|64[4-9]|65)/, lengths: [16, 17, 18, 19] }, // Discover
  { prefix: /^35(2[89]|[3-8]\d)/, lengths: [16, 17, 18, 19] }, // JCB
  { prefix: /^(30[0-5]|3[689])/, lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { prefix: /^62/, lengths: [16, 17, 18, 19] }, // UnionPay
  { prefix: /^(50|5[6-9]|6)/, lengths: [13, 14, 15, 16, 17, 18, 19] }, // Maestro and other debit
];

/** Whether a digit string is shaped like a card a network issues: its prefix, its length, and Luhn. */
export function looksLikeCardNumber(digits: string): boolean {
  return (
    NETWORKS.some((network) => network.prefix.test(digits) && network.lengths.includes(digits.length)) &&
    passesLuhn(digits)
  );
}

// Maximal runs of digits in which single spaces or dashes may separate groups.
const DIGIT_RUNS = /\d(?:[ -]?\d)*/g;

/** Whether a text contains something shaped like a card number (see looksLikeCardNumber). */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUNS)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (looksLikeCardNumber(digits)) return true;
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
