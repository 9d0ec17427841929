/**
 * Randomness. Fault decisions come from a seeded generator (same seed, same request sequence, same faults);
 * object ids come from the OS so that two runs never mint the same `pi_...` against a persistent ledger.
 */
import { randomBytes } from 'node:crypto';

export type Rng = () => number;

/** 32-bit FNV-1a of a string: turns "seed + label" into an integer seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for fault dice. Returns floats in [0, 1). */
export function seededRng(seed: string | number, label = ''): Rng {
  let state = hash32(`${seed}\u0000${label}`);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  // 62 does not divide 256; the bias is irrelevant for identifiers.
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** Stripe-looking identifiers: `pi_3P...` style, 24 characters after the prefix. */
export function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomToken(length)}`;
}
