// Exact rational numbers on BigInt, so `0.125` and `\frac{1}{8}` compare equal without float rounding.
// Every value is kept reduced with a positive denominator. Sizes are bounded by the callers (see
// MAX_RATIONAL_BITS) so a hostile `10^{99999999}` cannot make an answer check slow.

export type Rational = { readonly num: bigint; readonly den: bigint };

/** Results larger than this many bits are refused (the caller falls back to floating point). */
export const MAX_RATIONAL_BITS = 4096;

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bitLength(x: bigint): number {
  return abs(x).toString(16).length * 4;
}

/** Builds a reduced rational; returns null for a zero denominator or a value over the size bound. */
export function rational(num: bigint, den: bigint = 1n): Rational | null {
  if (den === 0n) return null;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  if (g > 1n) {
    num /= g;
    den /= g;
  }
  if (bitLength(num) > MAX_RATIONAL_BITS || bitLength(den) > MAX_RATIONAL_BITS) return null;
  return { num, den };
}

/** Parses a plain decimal literal ("12", "007", "3.50", ".5", "1e-3" is not accepted). */
export function parseDecimal(text: string): Rational | null {
  const dot = text.indexOf('.');
  if (dot < 0) return /^\d+$/.test(text) ? rational(BigInt(text)) : null;
  const whole = text.slice(0, dot);
  const frac = text.slice(dot + 1);
  if (!/^\d*$/.test(whole) || !/^\d*$/.test(frac) || whole.length + frac.length === 0) return null;
  return rational(BigInt((whole || '0') + frac), 10n ** BigInt(frac.length));
}

export const add = (a: Rational, b: Rational) => rational(a.num * b.den + b.num * a.den, a.den * b.den);
export const sub = (a: Rational, b: Rational) => rational(a.num * b.den - b.num * a.den, a.den * b.den);
export const mul = (a: Rational, b: Rational) => rational(a.num * b.num, a.den * b.den);
export const div = (a: Rational, b: Rational) => (b.num === 0n ? null : rational(a.num * b.den, a.den * b.num));
export const neg = (a: Rational): Rational => ({ num: -a.num, den: a.den });
export const equals = (a: Rational, b: Rational) => a.num === b.num && a.den === b.den;
export const isInteger = (a: Rational) => a.den === 1n;

/** a^k for an integer k, refusing results whose size would exceed the bound before computing them. */
export function powInt(a: Rational, k: bigint): Rational | null {
  if (k === 0n) return a.num === 0n ? null : { num: 1n, den: 1n };
  const base = k < 0n ? div({ num: 1n, den: 1n }, a) : a;
  if (!base) return null;
  const e = abs(k);
  const bits = Math.max(bitLength(base.num), bitLength(base.den));
  if (bits > 1 && BigInt(bits) * e > BigInt(MAX_RATIONAL_BITS) * 2n) return null;
  if (e > 100000n) return null;
  return rational(base.num ** e, base.den ** e);
}

/** Exact integer k-th root of a rational when it exists (used for \sqrt{16/9} = 4/3). */
export function rootExact(a: Rational, k: number): Rational | null {
  if (k < 1 || !Number.isInteger(k)) return null;
  if (a.num < 0n && k % 2 === 0) return null;
  const n = intRoot(abs(a.num), k);
  const d = intRoot(a.den, k);
  if (n === null || d === null) return null;
  return rational(a.num < 0n ? -n : n, d);
}

function intRoot(x: bigint, k: number): bigint | null {
  if (x < 2n) return x;
  // Newton's method on BigInt, seeded from the float estimate.
  const K = BigInt(k);
  let r = BigInt(Math.floor(Math.pow(Number(x), 1 / k))) + 1n;
  if (r < 1n) r = 1n;
  for (let i = 0; i < 200; i++) {
    const next = ((K - 1n) * r + x / r ** (K - 1n)) / K;
    if (next >= r) break;
    r = next;
  }
  while (r ** K > x) r -= 1n;
  while ((r + 1n) ** K <= x) r += 1n;
  return r ** K === x ? r : null;
}

export function toNumber(a: Rational): number {
  const n = Number(a.num);
  const d = Number(a.den);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  // Very large parts: scale both down by the same power of two before dividing.
  const shift = BigInt(Math.max(bitLength(a.num), bitLength(a.den)) - 1000);
  return Number(a.num >> shift) / Number(a.den >> shift);
}

export function toString(a: Rational): string {
  return a.den === 1n ? a.num.toString() : `${a.num}/${a.den}`;
}
