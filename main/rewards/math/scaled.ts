// Exact numbers in scientific notation: r × 10^e with r a bounded BigInt rational and e an unbounded BigInt
// exponent. `10^{-99999999}` is {r: 1, e: -99999999}: it is never materialised, never rounded to zero, and
// compares unequal to 0 and to 10^{-99999998} by its exponent alone. Sums whose exponents are too far apart
// to add exactly are refused (TOO_BIG) instead of being rounded.
import * as Q from './rational.ts';
import type { Rational } from './rational.ts';

export type Scaled = { readonly r: Rational; readonly e: bigint };

/** An exact rational value exists but is too large to keep (the caller must not fall back to floats). */
export const TOO_BIG = Symbol('too big');
export type ScaledResult = Scaled | null | typeof TOO_BIG;

/** Exponent gaps up to this many decimal digits are aligned exactly (numbers of a few thousand digits). */
const MAX_ALIGN_DIGITS = 2000n;
/** Integer exponents (of a power) above this are refused unless the base is ±1 or a power of ten. */
const MAX_EXPONENT = 10n ** 15n;

export const ZERO: Scaled = { r: { num: 0n, den: 1n }, e: 0n };

export function fromRational(r: Rational): Scaled {
  return { r, e: 0n };
}

export function isZero(a: Scaled): boolean {
  return a.r.num === 0n;
}

/** Moves the factors of ten out of r into e: 1000 → 1 × 10^3, 1/100 → 1 × 10^-2 (canonical for equality). */
export function normalize(a: Scaled): Scaled {
  if (a.r.num === 0n) return ZERO;
  let { num, den } = a.r;
  let e = a.e;
  const tz = (x: bigint): number => {
    const s = (x < 0n ? -x : x).toString();
    let k = 0;
    while (k < s.length - 1 && s[s.length - 1 - k] === '0') k++;
    return k;
  };
  const zn = tz(num);
  if (zn > 0) {
    num /= 10n ** BigInt(zn);
    e += BigInt(zn);
  }
  const zd = tz(den);
  if (zd > 0) {
    den /= 10n ** BigInt(zd);
    e -= BigInt(zd);
  }
  return { r: { num, den }, e };
}

function shift(r: Rational, digits: bigint): Rational | null {
  return Q.rational(r.num * 10n ** digits, r.den);
}

function align(a: Scaled, b: Scaled): [Rational, Rational, bigint] | null {
  if (a.e === b.e) return [a.r, b.r, a.e];
  const [hi, lo] = a.e > b.e ? [a, b] : [b, a];
  const gap = hi.e - lo.e;
  if (gap > MAX_ALIGN_DIGITS) return null;
  const shifted = shift(hi.r, gap);
  if (!shifted) return null;
  return a.e > b.e ? [shifted, b.r, lo.e] : [a.r, shifted, lo.e];
}

function additive(a: Scaled, b: Scaled, sign: 1n | -1n): ScaledResult {
  if (isZero(b)) return a;
  if (isZero(a)) return sign === 1n ? b : neg(b);
  const x = normalize(a);
  const y = normalize(b);
  const aligned = align(x, y);
  if (!aligned) return TOO_BIG;
  const r = sign === 1n ? Q.add(aligned[0], aligned[1]) : Q.sub(aligned[0], aligned[1]);
  return r ? { r, e: aligned[2] } : TOO_BIG;
}

export const add = (a: Scaled, b: Scaled) => additive(a, b, 1n);
export const sub = (a: Scaled, b: Scaled) => additive(a, b, -1n);

export function neg(a: Scaled): Scaled {
  return { r: Q.neg(a.r), e: a.e };
}

export function mul(a: Scaled, b: Scaled): ScaledResult {
  const r = Q.mul(a.r, b.r);
  if (r) return { r, e: a.e + b.e };
  const x = normalize(a);
  const y = normalize(b);
  const rn = Q.mul(x.r, y.r);
  return rn ? { r: rn, e: x.e + y.e } : TOO_BIG;
}

/** null: division by zero (undefined, not too big). */
export function div(a: Scaled, b: Scaled): ScaledResult {
  if (isZero(b)) return null;
  const x = normalize(a);
  const y = normalize(b);
  const r = Q.div(x.r, y.r);
  return r ? { r, e: x.e - y.e } : TOO_BIG;
}

/** The exact integer value when it is one of reasonable size (an exponent, a factorial argument). */
export function toBigInt(a: Scaled): bigint | null {
  const n = normalize(a);
  if (n.r.den !== 1n) return null;
  if (n.e < 0n) return null;
  if (n.e > 18n) return null;
  return n.r.num * 10n ** n.e;
}

export function isInteger(a: Scaled): boolean {
  const n = normalize(a);
  return n.e >= 0n ? n.r.den === 1n : false;
}

/** a^k for an integer k; the exponent of ten multiplies, the bounded part must stay bounded. */
export function powInt(a: Scaled, k: bigint): ScaledResult {
  if (k === 0n) return isZero(a) ? null : fromRational({ num: 1n, den: 1n });
  if (isZero(a)) return k < 0n ? null : ZERO;
  const n = normalize(a);
  const absR = n.r.num < 0n ? -n.r.num : n.r.num;
  const unit = absR === 1n && n.r.den === 1n;
  if (!unit && (k > MAX_EXPONENT || k < -MAX_EXPONENT)) return TOO_BIG;
  let r: Rational | null;
  if (unit) r = { num: n.r.num < 0n && k % 2n !== 0n ? -1n : 1n, den: 1n };
  else {
    r = Q.powInt(n.r, k);
    if (!r) return TOO_BIG;
  }
  return { r, e: n.e * k };
}

/** Exact k-th root when it exists (sqrt of 10^{-6} is 10^{-3}); null when irrational. */
export function rootExact(a: Scaled, k: number): ScaledResult {
  const n = normalize(a);
  const K = BigInt(k);
  // Make the exponent a multiple of k by moving the remainder into r (at most k-1 digits).
  let rem = n.e % K;
  if (rem < 0n) rem += K;
  const r0 = rem === 0n ? n.r : shift(n.r, rem);
  if (!r0) return TOO_BIG;
  const root = Q.rootExact(r0, k);
  return root ? { r: root, e: (n.e - rem) / K } : null;
}

/** Exact equality, deciding by exponent when the exponents are far apart (r is bounded in size). */
export function equals(a: Scaled, b: Scaled): boolean {
  if (isZero(a) || isZero(b)) return isZero(a) && isZero(b);
  const x = normalize(a);
  const y = normalize(b);
  if ((x.r.num < 0n) !== (y.r.num < 0n)) return false;
  if (x.e === y.e) return Q.equals(x.r, y.r);
  const gap = x.e > y.e ? x.e - y.e : y.e - x.e;
  // |log10 r| is below ~2 × 1240 for bounded r, so a larger gap cannot be closed by r.
  if (gap > 5000n) return false;
  const [hi, lo] = x.e > y.e ? [x, y] : [y, x];
  return hi.r.num * 10n ** gap * lo.r.den === lo.r.num * hi.r.den;
}

/** Float value; ±0 or ±Infinity when out of double range (callers check inFloatRange first). */
export function toNumber(a: Scaled): number {
  const n = normalize(a);
  const m = Q.toNumber(n.r);
  if (n.e > 400n) return m === 0 ? 0 : m > 0 ? Infinity : -Infinity;
  if (n.e < -400n) return 0;
  return m * Math.pow(10, Number(n.e));
}

/** True when the value is zero or its magnitude is comfortably inside double range (1e-290 … 1e290). */
export function inFloatRange(a: Scaled): boolean {
  if (isZero(a)) return true;
  const n = normalize(a);
  if (n.e > 300n || n.e < -300n) return false;
  const v = Math.abs(toNumber(n));
  return v > 1e-290 && v < 1e290;
}
