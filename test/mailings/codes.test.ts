import t from 'tap';
import { CODE_LENGTH, codeHash, groupedCode, newCode, newCodes, normaliseCode } from '../../src/mailings/codes.js';

t.test('codes are 10 characters of Crockford base32: 50 random bits, no I, L, O or U', async (t) => {
  t.equal(CODE_LENGTH * Math.log2(32), 50);
  const codes = newCodes(2000);
  t.equal(new Set(codes).size, 2000);
  for (const code of codes.slice(0, 200)) t.match(code, /^[0-9A-HJKMNP-TV-Z]{10}$/);
  // Every one of the 32 characters turns up, in every position (a generator stuck on part of the alphabet fails).
  for (let position = 0; position < CODE_LENGTH; position++) t.equal(new Set(codes.map((c) => c[position])).size, 32, `position ${position}`);
  t.equal(groupedCode('7KQ4MZX2PD'), '7KQ4M-ZX2PD');
  t.not(newCode(), newCode());
});

t.test('a typed code is read as Crockford does; anything else is no code', async (t) => {
  t.equal(normaliseCode('7KQ4M-ZX2PD'), '7KQ4MZX2PD');
  t.equal(normaliseCode(' 7kq4m zx2pd '), '7KQ4MZX2PD');
  t.equal(normaliseCode('OOIIL-lo1i0'), '0011110110', 'O as 0, I and L as 1');
  t.equal(normaliseCode('7KQ4M-ZX2P'), null, 'too short');
  t.equal(normaliseCode('7KQ4M-ZX2PDD'), null, 'too long');
  t.equal(normaliseCode('7KQ4M-ZX2PU'), null, 'U is not in the alphabet');
  t.equal(normaliseCode('7KQ4M_ZX2PD'), null);
  t.equal(normaliseCode(''), null);
});

t.test('what is stored of a code is its SHA-256', async (t) => {
  // FIPS 180-2's test vector.
  t.equal(codeHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
