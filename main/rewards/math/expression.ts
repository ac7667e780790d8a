// A small, bounded parser for the scalar part of math answers: numbers, variables, + - * / ^, implicit
// multiplication, parentheses and LaTeX groups, \frac, \sqrt[n]{}, \pi, \infty, factorial and a few named
// functions. It never evaluates anything itself (see evaluate.ts) and refuses oversized or deeply nested
// input instead of recursing without limit.
import { parseDecimal, type Rational } from './rational.ts';

export type Expr =
  | { kind: 'num'; value: Rational; text: string }
  | { kind: 'var'; name: string }
  | { kind: 'const'; name: 'pi' | 'inf' }
  | { kind: 'neg'; arg: Expr }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/' | '^'; left: Expr; right: Expr }
  | { kind: 'root'; arg: Expr; index: Expr | null }
  | { kind: 'fn'; name: string; arg: Expr }
  | { kind: 'fact'; arg: Expr };

export const MAX_EXPRESSION_TOKENS = 400;
export const MAX_EXPRESSION_DEPTH = 64;

type Token =
  | { t: 'num'; text: string }
  | { t: 'id'; name: string }
  | { t: 'cmd'; name: string }
  | { t: 'op'; op: string };

/** Named functions accepted with or without a backslash. */
const FUNCTIONS = new Set(['sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'ln', 'log', 'exp', 'arcsin', 'arccos', 'arctan']);
const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'theta', 'lambda', 'mu', 'phi', 'varphi', 'omega', 'sigma', 'rho', 'tau',
]);

export class ExpressionError extends Error {}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    if (tokens.length > MAX_EXPRESSION_TOKENS) throw new ExpressionError('expression too long');
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    if ((c >= 48 && c <= 57) || (c === 46 && i + 1 < n && src.charCodeAt(i + 1) >= 48 && src.charCodeAt(i + 1) <= 57)) {
      let j = i;
      while (j < n && src.charCodeAt(j) >= 48 && src.charCodeAt(j) <= 57) j++;
      if (j < n && src[j] === '.') {
        j++;
        while (j < n && src.charCodeAt(j) >= 48 && src.charCodeAt(j) <= 57) j++;
      }
      if (j - i > 200) throw new ExpressionError('number literal too long');
      tokens.push({ t: 'num', text: src.slice(i, j) });
      i = j;
      continue;
    }
    if (c === 92 /* \ */) {
      let j = i + 1;
      while (j < n && /[a-zA-Z]/.test(src[j])) j++;
      if (j === i + 1) {
        // \{ \} and other escaped symbols.
        const sym = src[i + 1] ?? '';
        if (sym === '{' || sym === '}') tokens.push({ t: 'op', op: sym === '{' ? '(' : ')' });
        else throw new ExpressionError(`unsupported symbol \\${sym}`);
        i += 2;
        continue;
      }
      tokens.push({ t: 'cmd', name: src.slice(i + 1, j) });
      i = j;
      continue;
    }
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      let j = i;
      while (j < n && /[a-zA-Z]/.test(src[j])) j++;
      const word = src.slice(i, j);
      i = j;
      if (FUNCTIONS.has(word) || word === 'sqrt' || word === 'pi') {
        tokens.push({ t: 'cmd', name: word });
        continue;
      }
      // Short letter runs are products of single-letter variables ("2ab"); longer runs are words, and a
      // word means the answer is text, not an expression.
      if (word.length > 3) throw new ExpressionError(`unknown word "${word}"`);
      for (let k = 0; k < word.length; k++) {
        let name = word[k];
        // Subscripts bind to the last letter: x_1, a_{n}.
        if (k === word.length - 1 && src[i] === '_') {
          const m = /^_(\{[a-zA-Z0-9]{1,8}\}|[a-zA-Z0-9])/.exec(src.slice(i, i + 12));
          if (m) {
            name += '_' + m[1].replace(/[{}]/g, '');
            i += m[0].length;
          }
        }
        tokens.push({ t: 'id', name });
      }
      continue;
    }
    const ch = src[i];
    if ('+-*/^()[]{}!'.includes(ch)) {
      tokens.push({ t: 'op', op: ch === '[' ? '(' : ch === ']' ? ')' : ch === '{' ? '{' : ch === '}' ? '}' : ch });
      i++;
      continue;
    }
    throw new ExpressionError(`unexpected character "${ch}"`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    if (this.tokens.length === 0) throw new ExpressionError('empty expression');
    const e = this.expr();
    if (this.pos < this.tokens.length) throw new ExpressionError('unexpected trailing input');
    return e;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isOp(op: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.t === 'op' && t.op === op;
  }

  private expect(op: string): void {
    if (!this.isOp(op)) throw new ExpressionError(`expected "${op}"`);
    this.pos++;
  }

  private enter(): void {
    if (++this.depth > MAX_EXPRESSION_DEPTH) throw new ExpressionError('expression nested too deeply');
  }

  private expr(): Expr {
    this.enter();
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.tokens[this.pos++] as { op: '+' | '-' }).op;
      left = { kind: 'bin', op, left, right: this.term() };
    }
    this.depth--;
    return left;
  }

  private startsFactor(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.t === 'num' || t.t === 'id') return true;
    if (t.t === 'cmd') return t.name !== 'cdot' && t.name !== 'times' && t.name !== 'div';
    return t.op === '(' || t.op === '{';
  }

  private term(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t && ((t.t === 'op' && (t.op === '*' || t.op === '/')) || (t.t === 'cmd' && (t.name === 'cdot' || t.name === 'times' || t.name === 'div')))) {
        this.pos++;
        const op = t.t === 'op' ? (t.op as '*' | '/') : t.name === 'div' ? '/' : '*';
        left = { kind: 'bin', op, left, right: this.unary() };
      } else if (this.startsFactor()) {
        // Implicit multiplication: 2x, 2\sqrt{3}, (a)(b). Two bare numbers in a row are not a product.
        if (t!.t === 'num' && endsWithNumber(left)) throw new ExpressionError('two numbers in a row');
        left = { kind: 'bin', op: '*', left, right: this.power() };
      } else return left;
    }
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      this.pos++;
      this.enter();
      const arg = this.unary();
      this.depth--;
      return { kind: 'neg', arg };
    }
    if (this.isOp('+')) {
      this.pos++;
      return this.unary();
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.postfix();
    if (this.isOp('^')) {
      this.pos++;
      this.enter();
      const exponent = this.unaryExponent();
      this.depth--;
      return { kind: 'bin', op: '^', left: base, right: exponent };
    }
    return base;
  }

  /** Exponents: `2^{10}`, `2^-1`, `x^2`; a bare `2^10` takes one digit like LaTeX does only inside braces. */
  private unaryExponent(): Expr {
    if (this.isOp('-')) {
      this.pos++;
      return { kind: 'neg', arg: this.unaryExponent() };
    }
    return this.power();
  }

  private postfix(): Expr {
    let e = this.primary();
    while (this.isOp('!')) {
      this.pos++;
      e = { kind: 'fact', arg: e };
    }
    return e;
  }

  /** A LaTeX argument: `{...}`, or a single token such as `\sqrt2` or `\frac ab`. */
  private argument(): Expr {
    if (this.isOp('{')) return this.primary();
    const t = this.peek();
    if (!t) throw new ExpressionError('missing argument');
    if (t.t === 'num') {
      this.pos++;
      // \frac12 is \frac{1}{2}: a LaTeX argument without braces is one character.
      return { kind: 'num', value: parseDecimal(t.text[0])!, text: t.text[0] };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new ExpressionError('unexpected end of expression');
    this.pos++;
    this.enter();
    try {
      switch (t.t) {
        case 'num': {
          const value = parseDecimal(t.text);
          if (!value) throw new ExpressionError(`bad number ${t.text}`);
          return { kind: 'num', value, text: t.text };
        }
        case 'id':
          return { kind: 'var', name: t.name };
        case 'cmd':
          return this.command(t.name);
        case 'op': {
          if (t.op === '(' || t.op === '{') {
            const close = t.op === '(' ? ')' : '}';
            const e = this.expr();
            this.expect(close);
            return e;
          }
          throw new ExpressionError(`unexpected "${t.op}"`);
        }
      }
    } finally {
      this.depth--;
    }
  }

  private command(name: string): Expr {
    if (name === 'frac') {
      // The bare-digit form \frac12 arrives as one number token "12": split it.
      const t = this.peek();
      if (t && t.t === 'num' && t.text.length === 2 && /^\d\d$/.test(t.text)) {
        this.pos++;
        return {
          kind: 'bin',
          op: '/',
          left: { kind: 'num', value: parseDecimal(t.text[0])!, text: t.text[0] },
          right: { kind: 'num', value: parseDecimal(t.text[1])!, text: t.text[1] },
        };
      }
      const num = this.argument();
      const den = this.argument();
      return { kind: 'bin', op: '/', left: num, right: den };
    }
    if (name === 'sqrt') {
      let index: Expr | null = null;
      if (this.isOp('(') && this.tokens[this.pos - 1] && this.peekBracketIndex()) {
        this.pos++;
        index = this.expr();
        this.expect(')');
      }
      return { kind: 'root', arg: this.argument(), index };
    }
    if (name === 'pi') return { kind: 'const', name: 'pi' };
    if (name === 'infty' || name === 'infin') return { kind: 'const', name: 'inf' };
    if (GREEK.has(name)) return { kind: 'var', name };
    if (FUNCTIONS.has(name)) {
      // `\sin^2 x`, `\sec^{2}(y)`: the power applies to the value; `\sin^{-1}` is the inverse function.
      let power: Expr | null = null;
      if (this.isOp('^')) {
        this.pos++;
        power = this.argument();
      }
      const inverse = power !== null && power.kind === 'neg' && power.arg.kind === 'num' && power.arg.text === '1' && FUNCTIONS.has('arc' + name);
      const arg = this.isOp('(') || this.isOp('{') ? this.primary() : this.power();
      if (inverse) return { kind: 'fn', name: 'arc' + name, arg };
      const call: Expr = { kind: 'fn', name, arg };
      return power ? { kind: 'bin', op: '^', left: call, right: power } : call;
    }
    throw new ExpressionError(`unsupported command \\${name}`);
  }

  /** `\sqrt[3]{x}`: the tokenizer maps `[` to `(`, so an index is a paren group directly followed by `{`. */
  private peekBracketIndex(): boolean {
    let depth = 0;
    for (let k = this.pos; k < this.tokens.length; k++) {
      const t = this.tokens[k];
      if (t.t !== 'op') continue;
      if (t.op === '(') depth++;
      else if (t.op === ')') {
        depth--;
        if (depth === 0) {
          const next = this.tokens[k + 1];
          return next !== undefined && next.t === 'op' && next.op === '{';
        }
      }
    }
    return false;
  }
}

function endsWithNumber(e: Expr): boolean {
  if (e.kind === 'num') return true;
  if (e.kind === 'bin' && e.op !== '^') return endsWithNumber(e.right);
  return false;
}

/** Parses an already-normalized scalar answer. Throws ExpressionError for anything it does not understand. */
export function parseExpression(text: string): Expr {
  return new Parser(tokenize(text)).parse();
}

/** Names of the free variables, sorted. */
export function variablesOf(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'var':
      out.add(e.name);
      break;
    case 'neg':
    case 'fact':
    case 'fn':
      variablesOf(e.arg, out);
      break;
    case 'root':
      variablesOf(e.arg, out);
      if (e.index) variablesOf(e.index, out);
      break;
    case 'bin':
      variablesOf(e.left, out);
      variablesOf(e.right, out);
      break;
  }
  return out;
}
