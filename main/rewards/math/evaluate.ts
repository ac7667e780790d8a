// Two evaluators over the same expression tree:
//  - exact: BigInt rationals in scientific notation (scaled.ts), for answers made only of rational
//    arithmetic (and perfect roots), so 0.125 = 1/8 = \frac{2}{16} is decided without rounding and
//    10^{-99999999} stays a tiny non-zero number;
//  - numeric: float64 with variables bound, for radicals, pi and algebraic expressions, compared at
//    several pseudo-random points.
import type { Expr } from './expression.ts';
import * as Q from './rational.ts';
import * as S from './scaled.ts';
import { TOO_BIG, type ScaledResult } from './scaled.ts';

/**
 * The exact value: a Scaled number; null when the expression is not rational (variables, pi, irrational
 * roots) or undefined (1/0); TOO_BIG when it is rational but too large to keep exact (the caller must then
 * not trust a float comparison).
 */
export function evaluateExact(e: Expr): ScaledResult {
  switch (e.kind) {
    case 'num':
      return S.fromRational(e.value);
    case 'var':
    case 'const':
    case 'fn':
      return null;
    case 'neg': {
      const a = evaluateExact(e.arg);
      return a === null || a === TOO_BIG ? a : S.neg(a);
    }
    case 'fact': {
      const a = evaluateExact(e.arg);
      if (a === null || a === TOO_BIG) return a;
      const n = S.toBigInt(a);
      if (n === null || n < 0n) return null;
      if (n > 300n) return TOO_BIG;
      let r = 1n;
      for (let k = 2n; k <= n; k++) r *= k;
      return S.fromRational(Q.rational(r)!);
    }
    case 'root': {
      const a = evaluateExact(e.arg);
      if (a === null || a === TOO_BIG) return a;
      const kv = e.index ? evaluateExact(e.index) : S.fromRational({ num: 2n, den: 1n });
      if (kv === null || kv === TOO_BIG) return null;
      const k = S.toBigInt(kv);
      if (k === null || k < 1n || k > 64n) return null;
      if (a.r.num < 0n && k % 2n === 0n) return null;
      return S.rootExact(a, Number(k));
    }
    case 'bin': {
      const a = evaluateExact(e.left);
      if (a === null) return null;
      const b = evaluateExact(e.right);
      if (b === null) return null;
      if (a === TOO_BIG || b === TOO_BIG) return TOO_BIG;
      switch (e.op) {
        case '+':
          return S.add(a, b);
        case '-':
          return S.sub(a, b);
        case '*':
          return S.mul(a, b);
        case '/':
          return S.div(a, b);
        case '^':
          return exactPower(a, b);
      }
    }
  }
}

function exactPower(a: S.Scaled, b: S.Scaled): ScaledResult {
  const nb = S.normalize(b);
  if (S.isInteger(nb)) {
    if (nb.e > 15n) return S.isZero(a) ? S.ZERO : TOO_BIG;
    return S.powInt(a, nb.r.num * 10n ** nb.e);
  }
  // a^(p/q) is exact when the q-th root of a is.
  const q = Q.rational(nb.r.num, nb.r.den * (nb.e < 0n ? 10n ** -nb.e : 1n));
  if (!q || q.den > 64n) return null;
  if (a.r.num < 0n && q.den % 2n === 0n) return null;
  const root = S.rootExact(a, Number(q.den));
  if (root === null || root === TOO_BIG) return root;
  return S.powInt(root, q.num);
}

const FUNCTIONS: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sec: (x) => 1 / Math.cos(x),
  csc: (x) => 1 / Math.sin(x),
  cot: (x) => 1 / Math.tan(x),
  ln: Math.log,
  log: Math.log10,
  exp: Math.exp,
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
};

/** Float64 value with variables bound; NaN where undefined (e.g. the root of a negative number). */
export function evaluateNumeric(e: Expr, vars: ReadonlyMap<string, number>): number {
  switch (e.kind) {
    case 'num':
      return Q.toNumber(e.value);
    case 'var':
      return vars.get(e.name) ?? NaN;
    case 'const':
      return e.name === 'pi' ? Math.PI : Infinity;
    case 'neg':
      return -evaluateNumeric(e.arg, vars);
    case 'fact': {
      const a = evaluateNumeric(e.arg, vars);
      if (!Number.isInteger(a) || a < 0 || a > 170) return NaN;
      let r = 1;
      for (let k = 2; k <= a; k++) r *= k;
      return r;
    }
    case 'root': {
      const a = evaluateNumeric(e.arg, vars);
      const k = e.index ? evaluateNumeric(e.index, vars) : 2;
      if (!Number.isInteger(k) || k < 1) return NaN;
      if (a < 0) return k % 2 === 1 ? -Math.pow(-a, 1 / k) : NaN;
      return Math.pow(a, 1 / k);
    }
    case 'fn':
      return FUNCTIONS[e.name](evaluateNumeric(e.arg, vars));
    case 'bin': {
      const a = evaluateNumeric(e.left, vars);
      const b = evaluateNumeric(e.right, vars);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '^':
          return Math.pow(a, b);
      }
    }
  }
}
