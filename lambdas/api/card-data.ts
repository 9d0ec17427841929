/**
 * Raw card data must never reach us (the storefront sends the PSP's token instead): this finds what looks like
 * a card number or card fields in a request, so it is refused before anything stores or logs it. A card number
 * here is 13 to 19 digits, however grouped and spelled (any separators between groups, full-width or other
 * Unicode digits, zero-width characters: see normaliseForScan and containsCardNumber), that starts like a card of a
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

/**
 * Text as the detector reads it: NFKC (full-width and other compatibility digits and spaces become ASCII),
 * every other Unicode decimal digit (Arabic-Indic, Devanagari, ...) as its ASCII digit, and invisible format
 * characters (zero-width spaces and joiners, the soft hyphen, the BOM, bidi marks) removed, so that none of them
 * can hide a card number.
 */
export function normaliseForScan(text: string): string {
  let out = '';
  for (const char of text.normalize('NFKC')) {
    if (FORMAT_CHAR.test(char)) continue;
    out += DECIMAL_DIGIT.test(char) && (char < '0' || char > '9') ? digitValue(char) : char;
  }
  return out;
}

const FORMAT_CHAR = /^\p{Cf}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** A Unicode decimal digit's value: digits come in runs that start at zero (0-9, or 0-9 repeated). */
function digitValue(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  let start = code;
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return String((code - start) % 10);
}

/**
 * What may stand between the groups of a written card number: whitespace (any Unicode space), dashes (any
 * Unicode dash), math symbols (the minus sign, +, =), and the punctuation people and programs put there (. / \ _ , : ; | + * ~ ' " ` and brackets).
 * Letters end a number. At most MAX_SEPARATOR_RUN of them in a row, so that "4242 - 4242" is one number and
 * two figures in different sentences are not.
 */
const SEPARATOR = /^[\p{Z}\s\p{Pd}\p{Sm}./\\_,:;|+*~'"`()[\]{}<>=#]$/u;
const MAX_SEPARATOR_RUN = 3;
const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;

/**
 * Whether a text contains something shaped like a card number (see looksLikeCardNumber), however its digits are
 * grouped or spelled. The digit groups of the normalised text that are joined by short runs of separators form a
 * chain; every run of consecutive groups of a chain is a candidate (so "order 17 / 4242 4242 4242 4242" is
 * found), but a group is never split (so a 20-digit id is not read as the card number inside it).
 */
export function containsCardNumber(text: string): boolean {
  const normalised = normaliseForScan(text);
  let groups: string[] = [];
  let digits = '';
  let separators = 0;
  const endChain = (): boolean => {
    if (digits !== '') groups.push(digits);
    const found = chainHasCard(groups);
    groups = [];
    digits = '';
    separators = 0;
    return found;
  };
  for (const char of normalised) {
    if (char >= '0' && char <= '9') {
      digits += char;
      separators = 0;
    } else if (SEPARATOR.test(char)) {
      if (digits !== '') {
        groups.push(digits);
        digits = '';
      }
      separators++;
      if (separators > MAX_SEPARATOR_RUN && endChain()) return true;
    } else if (endChain()) {
      return true;
    }
  }
  return endChain();
}

/** Whether consecutive groups of a chain join into a card number. */
function chainHasCard(groups: readonly string[]): boolean {
  for (let first = 0; first < groups.length; first++) {
    let joined = '';
    for (let last = first; last < groups.length; last++) {
      joined += groups[last];
      if (joined.length > MAX_CARD_DIGITS) break;
      if (joined.length >= MIN_CARD_DIGITS && looksLikeCardNumber(joined)) return true;
    }
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

/**
 * Whether a parsed JSON value holds a card-field key or a card number anywhere (keys and values). Without
 * `fieldNames` only card numbers count (for headers and query strings, where a key named `number` is not a
 * card field).
 */
export function containsCardData(value: unknown, options: { readonly fieldNames?: boolean } = {}): boolean {
  const fieldNames = options.fieldNames ?? true;
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
        if ((fieldNames && isCardFieldName(key)) || containsCardNumber(key)) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
