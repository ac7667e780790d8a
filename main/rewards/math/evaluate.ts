// Two evaluators over the same expression tree:
//  - exact: BigInt rationals, for answers made only of rational arithmetic (and perfect roots), so
//    0.125 = 1/8 = \frac{2}{16} is decided without rounding;
//  - numeric: float64 with variables bound, for radicals, pi and algebraic expressions, compared at
//    several pseudo-random points.
import type { Expr } from './expression.ts';
import * as Q from './rational.ts';
import type { Rational } from './rational.ts';

/** The exact rational value, or null when the expression is not rational (or too large to keep exact). */
export function evaluateExact(e: Expr): Rational | null {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'var':
    case 'const':
    case 'fn':
      return null;
    case 'neg': {
      const a = evaluateExact(e.arg);
      return a && Q.neg(a);
    }
    case 'fact': {
      const a = evaluateExact(e.arg);
      if (!a || !Q.isInteger(a) || a.num < 0n || a.num > 300n) return null;
      let r = 1n;
      for (let k = 2n; k <= a.num; k++) r *= k;
      return Q.rational(r);
    }
    case 'root': {
      const a = evaluateExact(e.arg);
      const k = e.index ? evaluateExact(e.index) : Q.rational(2n);
      if (!a || !k || !Q.isInteger(k) || k.num > 64n) return null;
      return Q.rootExact(a, Number(k.num));
    }
    case 'bin': {
      const a = evaluateExact(e.left);
      if (!a) return null;
      const b = evaluateExact(e.right);
      if (!b) return null;
      switch (e.op) {
        case '+':
          return Q.add(a, b);
        case '-':
          return Q.sub(a, b);
        case '*':
          return Q.mul(a, b);
        case '/':
          return Q.div(a, b);
        case '^': {
          if (Q.isInteger(b)) return Q.powInt(a, b.num);
          // a^(p/q) is exact when the q-th root of a is.
          if (b.den > 64n) return null;
          const root = Q.rootExact(a, Number(b.den));
          return root && Q.powInt(root, b.num);
        }
      }
    }
  }
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
