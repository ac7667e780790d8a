// The structured reading of a normalized answer: a scalar expression, an equation, an ordered tuple, an
// unordered set (or a bare comma list of solutions), an interval or a union of intervals. Anything the
// parser does not understand is kept as text and compared as a string.
import { bracketsWrapWhole, splitTopLevel } from '../text-scan.ts';
import { ExpressionError, parseExpression, type Expr } from './expression.ts';

export type AnswerValue =
  /** A value; `assigned` keeps the variable of `y = 2x + 1` so it can still be compared as an equation. */
  | { kind: 'scalar'; expr: Expr; text: string; assigned?: string }
  /** `lhs = rhs` that is not just `x = value`: kept as lhs - rhs. */
  | { kind: 'equation'; expr: Expr; text: string }
  | { kind: 'tuple'; open: string; close: string; items: AnswerValue[] }
  | { kind: 'set'; items: AnswerValue[] }
  /** A bare comma list ("1, 2"): the solutions of an equation, compared ignoring order. */
  | { kind: 'list'; items: AnswerValue[] }
  | { kind: 'union'; items: AnswerValue[] }
  | { kind: 'text'; text: string };

const MAX_ITEMS = 64;

/** `x =`, `x_1 =`, `y=` (a lone variable on the left of the only `=`). */
const LONE_VARIABLE = /^\s*(?:\\?[a-zA-Z]{1,6}(?:_\{?[a-zA-Z0-9]{1,4}\}?)?|\\theta)\s*$/;

function isVariableName(text: string): boolean {
  return LONE_VARIABLE.test(text) && text.trim().length <= 12;
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

/** Reads a normalized answer into its structure. Never throws on malformed input. */
export function parseAnswerValue(normalized: string): AnswerValue {
  const s = normalized.trim();
  if (s.length === 0) return { kind: 'text', text: s };

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

  const eqParts = splitTopLevel(s, '=');
  if (eqParts.length === 2) {
    const [lhs, rhs] = eqParts;
    if (rhs.trim() === '') return { kind: 'text', text: s };
    if (isVariableName(lhs)) return parseAnswerValue(rhs);
    const l = scalarOrText(lhs);
    const r = scalarOrText(rhs);
    if (l.kind === 'scalar' && r.kind === 'scalar') {
      return { kind: 'equation', expr: { kind: 'bin', op: '-', left: l.expr, right: r.expr }, text: s };
    }
    return { kind: 'text', text: s };
  }
  if (eqParts.length > 2) return { kind: 'text', text: s };

  const inequality = toInequalityInterval(s);
  if (inequality) return inequality;
  return scalarOrText(s);
}
