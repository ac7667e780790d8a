// The structured reading of a normalized answer: a scalar expression, an equation, a relation (inequality
// or ≠), a matrix, an ordered tuple, an unordered set (or a bare comma list of solutions), an interval or a
// union of intervals. Anything the parser does not understand is kept as text and compared as a string.
//
// Chains and approximations: `x = 5+5+1 = 7 = 11` is its last value (the worked steps before it do not
// count); `x = 1/3 \approx 0.33` is its exact side (what comes before the first \approx), and `x \approx 11`
// is 11.
import { bracketsWrapWhole, splitTopLevel } from '../text-scan.ts';
import { ExpressionError, parseExpression, variablesOf, type Expr } from './expression.ts';

export type AnswerValue =
  /** A value; `assigned` keeps the variable of `y = 2x + 1` so it can still be compared as an equation. */
  | { kind: 'scalar'; expr: Expr; text: string; assigned?: string; percent?: boolean }
  /** `lhs = rhs` that is not just `x = value`: kept as lhs - rhs. */
  | { kind: 'equation'; expr: Expr; text: string }
  | { kind: 'tuple'; open: string; close: string; items: AnswerValue[] }
  | { kind: 'set'; items: AnswerValue[] }
  /** A bare comma list ("1, 2"): the solutions of an equation, compared ignoring order. */
  | { kind: 'list'; items: AnswerValue[] }
  | { kind: 'union'; items: AnswerValue[] }
  /** `lhs op rhs` kept as `lhs - rhs op 0` with op one of < ≤ ≠ (> and ≥ are flipped); `interval` is the
   *  same set as an interval when the relation is `variable op value`. */
  | { kind: 'relation'; op: RelationOp; expr: Expr; text: string; interval: AnswerValue | null }
  /** pmatrix / bmatrix / array …: rows of cells, compared element-wise. */
  | { kind: 'matrix'; rows: AnswerValue[][] }
  | { kind: 'text'; text: string };

export type RelationOp = '<' | '<=' | '!=';

const MAX_ITEMS = 64;
const MAX_CELLS = 256;

/** `x =`, `x_1 =`, `y=` (a lone variable on the left of the only `=`). */
const LONE_VARIABLE = /^\s*(?:\\?[a-zA-Z]{1,6}(?:_\{?[a-zA-Z0-9]{1,4}\}?)?|\\theta)\s*$/;

/** `f(x)`, `g(x, y)`: a function named by one letter applied to variables. */
const FUNCTION_NAME = /^\s*[a-zA-Z](?:_\{?[a-zA-Z0-9]{1,4}\}?)?\((?:\s*[a-zA-Z]\s*,)*\s*[a-zA-Z]\s*\)\s*$/;
/** `(p, q)`: a tuple of variables, as in `(p, q) = (3, 2)`. */
const VARIABLE_TUPLE = /^\s*\((?:\s*\\?[a-zA-Z]{1,6}(?:_\{?[a-zA-Z0-9]{1,4}\}?)?\s*,)+\s*\\?[a-zA-Z]{1,6}(?:_\{?[a-zA-Z0-9]{1,4}\}?)?\s*\)\s*$/;

/** What may stand on the left of an answer's `=` and name it: `x`, `x_1`, `\theta`, `f(x)`, `(p, q)`. */
function isVariableName(text: string): boolean {
  if (text.trim().length > 24) return false;
  return (LONE_VARIABLE.test(text) && text.trim().length <= 12) || FUNCTION_NAME.test(text) || VARIABLE_TUPLE.test(text);
}

function toInequalityInterval(text: string): AnswerValue | null {
  // `x \ge 3`, `x > 3`, `3 < x`, `1 \le x < 5` become intervals.
  const ops = /\\le|\\ge|\\lt|\\gt|<|>/g;
  const parts: string[] = [];
  const rels: string[] = [];
  let last = 0;
  for (let m = ops.exec(text); m; m = ops.exec(text)) {
    parts.push(text.slice(last, m.index));
    rels.push(m[0]);
    last = m.index + m[0].length;
    if (rels.length > 2) return null;
  }
  parts.push(text.slice(last));
  if (rels.length === 0) return null;
  const strict = (r: string) => r === '<' || r === '>' || r === '\\lt' || r === '\\gt';
  const less = (r: string) => r === '<' || r === '\\le' || r === '\\lt';
  const make = (lo: string, loClosed: boolean, hi: string, hiClosed: boolean): AnswerValue =>
    parseAnswerValue(`${loClosed ? '[' : '('}${lo},${hi}${hiClosed ? ']' : ')'}`);
  if (rels.length === 1) {
    const [a, b] = parts;
    const r = rels[0];
    if (isVariableName(a)) return less(r) ? make('-\\infty', false, b, !strict(r)) : make(b, !strict(r), '\\infty', false);
    if (isVariableName(b)) return less(r) ? make(a, !strict(r), '\\infty', false) : make('-\\infty', false, a, !strict(r));
    return null;
  }
  const [a, x, b] = parts;
  if (!isVariableName(x) || less(rels[0]) !== less(rels[1])) return null;
  return less(rels[0]) ? make(a, !strict(rels[0]), b, !strict(rels[1])) : make(b, !strict(rels[1]), a, !strict(rels[0]));
}

function scalarOrText(text: string): AnswerValue {
  const t = text.trim();
  try {
    return { kind: 'scalar', expr: parseExpression(t), text: t };
  } catch (err) {
    if (err instanceof ExpressionError) return { kind: 'text', text: t };
    throw err;
  }
}

function items(parts: string[]): AnswerValue[] | null {
  if (parts.length > MAX_ITEMS) return null;
  return parts.map((p) => parseAnswerValue(p));
}

const RELATION_OPS = ['\\le', '\\ge', '\\ne', '<', '>', '='] as const;

/** Top-level relation symbols of a normalized answer, in order, with the text between them. */
function splitRelations(s: string): { parts: string[]; ops: string[] } {
  const parts: string[] = [];
  const ops: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (depth === 0 && (ch === '<' || ch === '>' || ch === '=')) {
      parts.push(s.slice(start, i));
      ops.push(ch);
      start = i + 1;
    } else if (ch === '\\') {
      if (depth === 0) {
        const op = RELATION_OPS.find((o) => o.length === 3 && s.startsWith(o, i) && !/[a-zA-Z]/.test(s[i + 3] ?? ''));
        if (op) {
          parts.push(s.slice(start, i));
          ops.push(op);
          start = i + 3;
          i += 2;
          continue;
        }
      }
      i++;
    }
  }
  parts.push(s.slice(start));
  return { parts, ops };
}

function asRelation(lhs: string, op: string, rhs: string, text: string): AnswerValue | null {
  const l = scalarOrText(lhs);
  const r = scalarOrText(rhs);
  if (l.kind !== 'scalar' || r.kind !== 'scalar') return null;
  // a > b is b - a < 0; a ≥ b is b - a ≤ 0.
  const flip = op === '>' || op === '\\ge';
  const norm: RelationOp = op === '\\ne' ? '!=' : op === '<' || op === '>' ? '<' : '<=';
  const expr: Expr = flip ? { kind: 'bin', op: '-', left: r.expr, right: l.expr } : { kind: 'bin', op: '-', left: l.expr, right: r.expr };
  return { kind: 'relation', op: norm, expr, text, interval: norm === '!=' ? null : toInequalityInterval(text) };
}

const MATRIX_ENVS = ['pmatrix', 'bmatrix', 'Bmatrix', 'vmatrix', 'Vmatrix', 'matrix', 'smallmatrix', 'array'];

/** `\begin{pmatrix}1 & 0 \cr 0 & 1\end{pmatrix}` (optionally inside one pair of brackets) as rows of cells. */
function parseMatrix(text: string): AnswerValue | null {
  let s = text.trim();
  if ((s.startsWith('(') || s.startsWith('[')) && bracketsWrapWhole(s)) s = s.slice(1, -1).trim();
  if (!s.startsWith('\\begin{')) return null;
  const close = s.indexOf('}');
  const env = s.slice(7, close);
  if (!MATRIX_ENVS.includes(env)) return null;
  const end = `\\end{${env}}`;
  if (!s.endsWith(end) || s.indexOf(end) !== s.length - end.length) return null;
  let body = s.slice(close + 1, s.length - end.length);
  // array's column spec: \begin{array}{cc}.
  if (env === 'array' && body.trimStart().startsWith('{')) {
    const b = body.trimStart();
    const specEnd = b.indexOf('}');
    body = b.slice(specEnd + 1);
  }
  const rowTexts = splitTopLevel(body, '\\cr').map((r) => r.trim());
  while (rowTexts.length > 0 && rowTexts[rowTexts.length - 1] === '') rowTexts.pop();
  if (rowTexts.length === 0) return null;
  const rows: AnswerValue[][] = [];
  let cells = 0;
  for (const row of rowTexts) {
    const cellTexts = splitTopLevel(row, '&');
    cells += cellTexts.length;
    if (cells > MAX_CELLS) return null;
    rows.push(cellTexts.map((c) => parseAnswerValue(c)));
  }
  return { kind: 'matrix', rows };
}

/** Reads a normalized answer into its structure. Never throws on malformed input. */
export function parseAnswerValue(normalized: string): AnswerValue {
  let s = normalized.trim();
  if (s.length === 0) return { kind: 'text', text: s };

  // 28\% (the normalizer's single spelling of a trailing percent): the number, flagged.
  if (s.endsWith('\\%') && s.length > 2) {
    const inner = parseAnswerValue(s.slice(0, -2));
    return inner.kind === 'scalar' ? { ...inner, percent: true } : { kind: 'text', text: s };
  }

  // `x \in [-2, 7]`: the set the variable belongs to.
  const member = /^\s*(\\?[a-zA-Z]{1,6}(?:_\{?[a-zA-Z0-9]{1,4}\}?)?)\s*\\in(?![a-zA-Z])/.exec(s);
  if (member && isVariableName(member[1])) return parseAnswerValue(s.slice(member[0].length));

  const matrix = s.includes('\\begin{') ? parseMatrix(s) : null;
  if (matrix) return matrix;

  // The exact side of an approximation: `x = 1/3 \approx 0.33` is `x = 1/3`, `x \approx 11` is `x = 11`.
  const approx = splitTopLevel(s, '\\approx');
  if (approx.length > 1) {
    const exact = approx[0].trim();
    if (exact === '' || isVariableName(exact)) s = `${exact}=${approx[approx.length - 1]}`.replace(/^=/, '');
    else s = exact;
  }

  const unionParts = splitTopLevel(s, '\\cup');
  if (unionParts.length > 1) {
    const parsed = items(unionParts);
    return parsed ? { kind: 'union', items: parsed } : { kind: 'text', text: s };
  }

  // `x = 5` is the value 5 (a lone variable on the left of the only `=`, no other top-level items).
  const eqEarly = splitTopLevel(s, '=');
  if (eqEarly.length === 2 && isVariableName(eqEarly[0]) && eqEarly[1].trim() && splitTopLevel(s).length === 1) {
    const value = parseAnswerValue(eqEarly[1]);
    return value.kind === 'scalar' ? { ...value, assigned: eqEarly[0].trim() } : value;
  }

  // `1 \pm \sqrt{2}` is the pair of both signs.
  const pm = splitTopLevel(s, '\\pm');
  if (pm.length === 2 && pm[1].trim() && splitTopLevel(s).length === 1) {
    return {
      kind: 'list',
      items: [scalarOrText(`${pm[0]}+(${pm[1]})`), scalarOrText(`${pm[0]}-(${pm[1]})`)],
    };
  }

  if (s.startsWith('\\{') && s.endsWith('\\}')) {
    const inner = s.slice(2, -2).trim();
    const parsed = inner ? items(splitTopLevel(inner)) : [];
    return parsed ? { kind: 'set', items: parsed } : { kind: 'text', text: s };
  }
  if (s.startsWith('\\langle') && s.endsWith('\\rangle')) {
    const parsed = items(splitTopLevel(s.slice(7, -7)));
    return parsed ? { kind: 'tuple', open: '(', close: ')', items: parsed } : { kind: 'text', text: s };
  }
  if (bracketsWrapWhole(s)) {
    const inner = s.slice(1, -1);
    const parts = splitTopLevel(inner);
    // `{1, 3}` (braces left unescaped) is the set.
    if (s[0] === '{' && s[s.length - 1] === '}' && parts.length >= 2) {
      const parsed = items(parts);
      if (parsed) return { kind: 'set', items: parsed };
    }
    if (parts.length >= 2) {
      const parsed = items(parts);
      if (parsed) return { kind: 'tuple', open: s[0], close: s[s.length - 1], items: parsed };
    }
  }

  const commaParts = splitTopLevel(s);
  if (commaParts.length >= 2) {
    // "x=1, y=2" reads as the tuple (1, 2); "1, 2" as a list of solutions.
    const parsed = items(commaParts);
    return parsed ? { kind: 'list', items: parsed } : { kind: 'text', text: s };
  }

  const { parts: relParts, ops } = splitRelations(s);
  if (ops.length > 0 && ops.some((o) => o !== '=')) {
    if (ops.length === 1) return asRelation(relParts[0], ops[0], relParts[1], s) ?? { kind: 'text', text: s };
    const interval = ops.every((o) => o !== '=' && o !== '\\ne') ? toInequalityInterval(s) : null;
    return interval ?? { kind: 'text', text: s };
  }

  const eqParts = splitTopLevel(s, '=');
  if (eqParts.length > 2) {
    // A chain of worked steps: the last value is the answer (`x = 5+5+1 = 7 = 11` is 11).
    const last = eqParts[eqParts.length - 1];
    if (last.trim() === '') return { kind: 'text', text: s };
    const value = parseAnswerValue(last);
    return value.kind === 'scalar' && isVariableName(eqParts[0]) ? { ...value, assigned: eqParts[0].trim() } : value;
  }
  if (eqParts.length === 2) {
    const [lhs, rhs] = eqParts;
    if (rhs.trim() === '') return { kind: 'text', text: s };
    if (isVariableName(lhs)) return parseAnswerValue(rhs);
    const l = scalarOrText(lhs);
    const r = scalarOrText(rhs);
    // A computation written out (`\frac{1}{2} \cdot 2 = 1`): both sides constant, the result is the answer.
    if (l.kind === 'scalar' && r.kind === 'scalar' && variablesOf(l.expr).size === 0 && variablesOf(r.expr).size === 0) return r;
    if (l.kind === 'scalar' && r.kind === 'scalar') {
      return { kind: 'equation', expr: { kind: 'bin', op: '-', left: l.expr, right: r.expr }, text: s };
    }
    return { kind: 'text', text: s };
  }
  return scalarOrText(s);
}
