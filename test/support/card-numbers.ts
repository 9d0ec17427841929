/**
 * Test card numbers written the ways a careless storefront or a hostile client writes them, for property
 * tests of the card-number guard: any separators between any digits (ASCII and Unicode spaces and dashes,
 * dots, slashes, underscores, zero-width characters), digits full-width or from another script.
 */
import fc from 'fast-check';

/** Stripe's published test card numbers, one or more per network and length. */
export const TEST_CARD_NUMBERS = [
  '4242424242424242', // Visa
  '4000056655665556', // Visa debit
  '4000000000000077', // Visa
  '4222222222222', // Visa, 13 digits
  '5555555555554444', // Mastercard
  '2223003122003222', // Mastercard 2-series
  '5200828282828210', // Mastercard debit
  '378282246310005', // American Express
  '371449635398431', // American Express
  '6011111111111117', // Discover
  '6011000990139424', // Discover
  '3056930009020004', // Diners Club
  '36227206271667', // Diners Club, 14 digits
  '3566002020360505', // JCB
  '6200000000000005', // UnionPay
  '6205500000000000004', // UnionPay, 19 digits
] as const;

/** What may stand between two digits. */
export const SEPARATORS = [
  ' ',
  '  ',
  '-',
  '.',
  '/',
  '_',
  '\t',
  '\n',
  '\u00a0', // no-break space
  '\u2007', // figure space
  '\u202f', // narrow no-break space
  '\u3000', // ideographic space
  '\u2010', // hyphen
  '\u2011', // non-breaking hyphen
  '\u2013', // en dash
  '\u2014', // em dash
  '\u2212', // minus sign
  '\uff0d', // full-width hyphen-minus
  '\u200b', // zero-width space
  '\u200c', // zero-width non-joiner
  '\u200d', // zero-width joiner
  '\u2060', // word joiner
  '\ufeff', // BOM
  '\u00ad', // soft hyphen
  ' - ',
  '\u200b \u200b',
] as const;

/** How a digit is spelled: ASCII, full-width, Arabic-Indic, Devanagari, mathematical bold. */
const SCRIPTS: readonly ((digit: number) => string)[] = [
  (d) => String(d),
  (d) => String.fromCodePoint(0xff10 + d),
  (d) => String.fromCodePoint(0x0660 + d),
  (d) => String.fromCodePoint(0x0966 + d),
  (d) => String.fromCodePoint(0x1d7ce + d),
];

/** A test card number with random separators between random digits and some digits in other scripts. */
export const disguisedCardNumber: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...TEST_CARD_NUMBERS),
    fc.array(fc.option(fc.constantFrom(...SEPARATORS), { freq: 2 }), { minLength: 19, maxLength: 19 }),
    fc.array(fc.nat({ max: SCRIPTS.length - 1 }), { minLength: 19, maxLength: 19 }),
    fc.boolean(),
  )
  .map(([number, separators, scripts, mixScripts]) =>
    [...number]
      .map((digit, i) => {
        const spell = SCRIPTS[mixScripts ? (scripts[i] ?? 0) : 0] as (d: number) => string;
        const separator = i < number.length - 1 ? (separators[i] ?? '') : '';
        return `${spell(Number(digit))}${separator}`;
      })
      .join(''),
  );

/** Text around the number in a field: nothing, or words that end in neither a digit nor a letter. */
export const surroundings: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.constantFrom('', 'card ', 'po_', 'x-', 'pay with: ', '#'),
  fc.constantFrom('', ' thanks', '_1', '.', ' ok'),
);

/** The same, with ASCII separators only (what an HTTP header can carry). */
export const asciiDisguisedCardNumber: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...TEST_CARD_NUMBERS),
    fc.array(fc.option(fc.constantFrom(' ', '-', '.', '/', '_', '  ', ' - ', ':'), { freq: 2 }), {
      minLength: 19,
      maxLength: 19,
    }),
  )
  .map(([number, separators]) =>
    [...number].map((digit, i) => `${digit}${i < number.length - 1 ? (separators[i] ?? '') : ''}`).join(''),
  );
