import { createHash, randomInt } from 'node:crypto';

// Crockford's base32: no I, L, O or U, so a code read off paper is never ambiguous.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters per code: 10 × 5 = 50 random bits. */
export const CODE_LENGTH = 10;
const CODE = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

/** A new random invitation code, as stored and linked: 10 characters of Crockford base32. */
export function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** `n` distinct new codes. */
export function newCodes(n: number): string[] {
  const codes = new Set<string>();
  while (codes.size < n) codes.add(newCode());
  return [...codes];
}

/** A code as printed on a letter: two groups of five, `7KQ4M-ZX2PD`. */
export const groupedCode = (code: string) => `${code.slice(0, 5)}-${code.slice(5)}`;

/**
 * A code as a resident typed it, read as Crockford does (any case, spaces and dashes ignored, O as 0, I and L as 1),
 * or null when it cannot be a code.
 */
export function normaliseCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return CODE.test(code) ? code : null;
}

/** What is stored of a code: its SHA-256, never the code. */
export const codeHash = (code: string) => createHash('sha256').update(code).digest('hex');
