// Math answer verification: extract → normalize → read structure → decide equivalence.
//
// Equivalence, in order of preference: identical normalized strings; exact rational arithmetic (BigInt, in
// scientific notation so 10^{-99999999} is never rounded to 0) for numbers, fractions, decimals and perfect
// roots; float64 evaluation for radicals and pi; evaluation at fixed pseudo-random points for expressions
// with variables; element-wise for tuples and matrices, order-free for sets and solution lists,
// bracket-exact for intervals; relations by their normalized `lhs - rhs` up to a positive factor (a
// non-zero one for = and ≠). Every step is bounded: the response, the answer and the expression all have
// size limits, and nothing recurses without a depth limit.
//
// Policies, stated once:
// - PERCENT: a value written with a percent sign (`28%`, `28\%`, `28 pct`, `28 percent`, `28퍼센트`) equals
//   the same number without it (28, the MATH convention of answering "in percent") and its fraction
//   (0.28). Without a percent sign on either side, 0.28 and 28 are different answers.
// - ROUNDING: rational values must be exactly equal (0.3333333333 is not 1/3, 7 is never 8). The one
//   allowance is a decimal with at least 6 digits after the point against an irrational value, which has
//   no exact decimal: it must be that value correctly rounded (1.414214 for √2, 3.141593 for π).
// - Floats (radicals, pi, trig): relative tolerance relTol (1e-9) plus an absolute 1e-15 for float noise
//   around zero; a number too small or too large for a double is never compared in floats.
import { parseAnswerValue, type AnswerValue } from './answer-value.ts';
import { evaluateExact, evaluateNumeric } from './evaluate.ts';
import { variablesOf, type Expr } from './expression.ts';
import { extractAnswer, SHORT_ANSWER_CHARS, type ExtractOptions } from './extract.ts';
import { MAX_ANSWER_CHARS, normalizeAnswer } from './normalize.ts';
import * as S from './scaled.ts';
import { TOO_BIG } from './scaled.ts';

/** Responses longer than this are not examined (a verdict with reason 'input_too_long'). */
export const MAX_RESPONSE_CHARS = 1_000_000;

export type MathVerdict = {
  correct: boolean;
  /** The raw answer found in the prediction (null when none was found). */
  extracted: string | null;
  /** Normalized prediction answer (null when none was found). */
  pred: string | null;
  /** Normalized gold answer. */
  gold: string;
  /** Why: 'equal_string', 'equal_rational', 'equal_numeric', 'equal_rounded', 'equal_symbolic', 'equal_equation',
   *  'equal_relation', 'equal_percent', 'equal_matrix', 'equal_tuple', 'equal_set', 'equal_interval', 'equal_choice',
   *  'not_equal', 'no_answer', 'empty_gold', 'input_too_long', 'answer_too_long', 'choice_without_options'
   *  (and 'unclosed_thinking' from verifyResponse). */
  reason: string;
};

/** AMC-style choices: an array read as A, B, C, ... or an explicit letter → value map. */
export type ChoiceOptions = readonly string[] | Readonly<Record<string, string>>;

export type VerifyOptions = ExtractOptions & {
  /** Multiple-choice options; letters in the prediction or the gold are mapped through them. */
  options?: ChoiceOptions;
  /** Relative tolerance for float comparisons (radicals, pi, decimals against irrationals). Default 1e-9. */
  relTol?: number;
};

const LETTER_ONLY = /^\(?([A-E])\)?$/;
const LETTER_PAREN = /^\(([A-Ea-e])\)$/;
const LETTER_PREFIX = /^\(([A-E])\)\s*(.+)$/;

function choiceMap(options: ChoiceOptions): Map<string, string> {
  const map = new Map<string, string>();
  if (Array.isArray(options)) options.forEach((v, i) => map.set(String.fromCharCode(65 + i), String(v)));
  else for (const [k, v] of Object.entries(options)) map.set(k.trim().replace(/[().]/g, '').toUpperCase(), String(v));
  return map;
}

/** The choice letter in "C", "(C)", "(c)", "C)" or "(C) 12"; null when the answer is not a letter. */
function choiceLetter(normalized: string): { letter: string; rest: string | null } | null {
  const s = normalized.replace(/[.)]$/, normalized.startsWith('(') ? ')' : '');
  let m = LETTER_ONLY.exec(s) ?? LETTER_PAREN.exec(s);
  if (m) return { letter: m[1].toUpperCase(), rest: null };
  m = LETTER_PREFIX.exec(normalized);
  if (m) return { letter: m[1], rest: m[2] };
  return null;
}

// Fixed pseudo-random evaluation points: verdicts are reproducible run to run. Mostly positive so roots and
// logs stay defined, with a few negatives to separate |x| from x.
const POINTS = [0.7319, 1.3571, 2.1853, 0.4137, 1.8129, 2.6411, -0.5923, -1.1789, 1.0467, 0.2897];

/** The p-th evaluation point: each variable gets a different value so x+y and 2x differ. */
function pointEnv(vars: readonly string[], p: number): Map<string, number> {
  const env = new Map<string, number>();
  vars.forEach((v, k) => env.set(v, POINTS[(p + 3 * k) % POINTS.length] * (1 + 0.1 * k)));
  return env;
}

function close(a: number, b: number, relTol: number): boolean {
  // Overflowed values (10^{99999999}) are not comparable in floats; explicit infinities are handled apart.
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (a === b) return true;
  return Math.abs(a - b) <= relTol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Constants only: relative tolerance, and an absolute one only at float-noise level (cos(π/2) = 0). */
function closeConstant(a: number, b: number, relTol: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (a === b) return true;
  return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b)) + 1e-15;
}

/** Digits after the point of a plain decimal literal (`-0.333333`), or -1 when the expression is not one. */
function decimalPlaces(e: Expr): number {
  const lit = e.kind === 'neg' ? e.arg : e;
  if (lit.kind !== 'num') return -1;
  const dot = lit.text.indexOf('.');
  return dot < 0 ? -1 : lit.text.length - dot - 1;
}

const MIN_ROUNDED_PLACES = 6;

/** ROUNDING policy: `d` (a decimal with ≥ 6 places) is the irrational constant `x` rounded to that many places. */
function roundsTo(d: Expr, x: Expr): boolean {
  const places = decimalPlaces(d);
  if (places < MIN_ROUNDED_PLACES || evaluateExact(x) !== null) return false;
  const a = evaluateNumeric(d, new Map());
  const b = evaluateNumeric(x, new Map());
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 0.5 * 10 ** -places * (1 + 1e-9);
}

function infinitySign(e: Expr): number {
  if (e.kind === 'const' && e.name === 'inf') return 1;
  if (e.kind === 'neg') return -infinitySign(e.arg);
  return 0;
}

type Match = string | null;

function compareScalars(a: Expr, b: Expr, relTol: number): Match {
  const ia = infinitySign(a);
  const ib = infinitySign(b);
  if (ia !== 0 || ib !== 0) return ia === ib ? 'equal_numeric' : null;
  const ra = evaluateExact(a);
  const rb = evaluateExact(b);
  if (ra && rb && ra !== TOO_BIG && rb !== TOO_BIG) {
    return S.equals(ra, rb) ? 'equal_rational' : null;
  }
  // A rational too large to keep exact, or one outside double range, is never decided in floats: that is
  // how 10^{-99999999} used to become 0.
  if (ra === TOO_BIG || rb === TOO_BIG) return null;
  if ((ra && !S.inFloatRange(ra)) || (rb && !S.inFloatRange(rb))) return null;
  const vars = [...new Set([...variablesOf(a), ...variablesOf(b)])].sort();
  if (vars.length === 0) {
    if (closeConstant(evaluateNumeric(a, new Map()), evaluateNumeric(b, new Map()), relTol)) return 'equal_numeric';
    return roundsTo(a, b) || roundsTo(b, a) ? 'equal_rounded' : null;
  }
  let valid = 0;
  for (let p = 0; p < POINTS.length; p++) {
    const env = pointEnv(vars, p);
    const va = evaluateNumeric(a, env);
    const vb = evaluateNumeric(b, env);
    // A point outside one side's real domain (x^{2/3} at x < 0 in floats) says nothing either way.
    if (Number.isNaN(va) || Number.isNaN(vb)) continue;
    if (!close(va, vb, relTol)) return null;
    valid++;
  }
  return valid >= 3 ? 'equal_symbolic' : null;
}

/** Two equations are the same when lhs-rhs of one is a constant non-zero multiple of the other's. */
function compareEquations(a: Expr, b: Expr, relTol: number): Match {
  const ratio = equationRatio(a, b);
  return ratio !== null && ratio !== 0 ? 'equal_equation' : null;
}

/** Relations: `lhs - rhs < 0` forms must be positive multiples (a negative one would flip the relation); ≠
 *  is an equation's complement, so any non-zero multiple. */
function compareRelations(a: AnswerValue & { kind: 'relation' }, b: AnswerValue & { kind: 'relation' }): Match {
  if (a.op !== b.op) return null;
  const ratio = equationRatio(a.expr, b.expr);
  if (ratio === null || ratio === 0) return null;
  return a.op === '!=' || ratio > 0 ? 'equal_relation' : null;
}

/** The constant ratio (lhs-rhs of a) / (lhs-rhs of b) over the evaluation points, or null when not constant. */
function equationRatio(a: Expr, b: Expr): number | null {
  const vars = [...new Set([...variablesOf(a), ...variablesOf(b)])].sort();
  let ratio: number | null = null;
  let valid = 0;
  for (let p = 0; p < POINTS.length; p++) {
    const env = pointEnv(vars, p);
    const va = evaluateNumeric(a, env);
    const vb = evaluateNumeric(b, env);
    if (!Number.isFinite(va) || !Number.isFinite(vb)) continue;
    if (Math.abs(va) < 1e-12 && Math.abs(vb) < 1e-12) continue;
    if (Math.abs(vb) < 1e-12) return null;
    const r = va / vb;
    if (ratio === null) ratio = r;
    else if (!close(r, ratio, 1e-7)) return null;
    valid++;
  }
  return valid >= 3 ? ratio : null;
}

function textKey(text: string): string {
  return text.replace(/\s+/g, '').toLowerCase();
}

function unorderedMatch(a: AnswerValue[], b: AnswerValue[], relTol: number): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    let found = false;
    for (let j = 0; j < b.length && !found; j++) {
      if (!used[j] && compareValues(x, b[j], relTol)) used[j] = found = true;
    }
    if (!found) return false;
  }
  return true;
}

function orderedMatch(a: AnswerValue[], b: AnswerValue[], relTol: number): boolean {
  return a.length === b.length && a.every((x, i) => compareValues(x, b[i], relTol) !== null);
}

/** A pair reads as an interval when a bracket is square or an end is infinite; `(1, 2)` stays a tuple. */
function isInterval(v: AnswerValue): boolean {
  if (v.kind !== 'tuple' || v.items.length !== 2) return false;
  const infinite = v.items.some((x) => x.kind === 'scalar' && infinitySign(x.expr) !== 0);
  return v.open === '[' || v.close === ']' || infinite;
}

function asEquation(v: { expr: Expr; assigned?: string }): Expr {
  const name = (v.assigned ?? '').replace(/^\\/, '').replace(/[{}]/g, '');
  return { kind: 'bin', op: '-', left: { kind: 'var', name }, right: v.expr };
}

const WORD = /^[a-zA-Z]{2,}$/;

const HUNDRED: Expr = { kind: 'num', value: { num: 100n, den: 1n }, text: '100' };

/** PERCENT policy: x% is x, and x/100. */
function comparePercent(a: AnswerValue & { kind: 'scalar' }, b: AnswerValue & { kind: 'scalar' }, relTol: number): Match {
  const same = compareScalars(a.expr, b.expr, relTol);
  if (same || a.percent === b.percent) return same && 'equal_percent';
  const [p, other] = a.percent ? [a, b] : [b, a];
  return compareScalars({ kind: 'bin', op: '/', left: p.expr, right: HUNDRED }, other.expr, relTol) ? 'equal_percent' : null;
}

function compareMatrices(a: AnswerValue[][], b: AnswerValue[][], relTol: number): Match {
  if (a.length !== b.length) return null;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return null;
    for (let j = 0; j < a[i].length; j++) if (compareValues(a[i][j], b[i][j], relTol) === null) return null;
  }
  return 'equal_matrix';
}

export function compareValues(a: AnswerValue, b: AnswerValue, relTol: number): Match {
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    // Short words ("yes", "no") parse as products of variables; as words they compare case-insensitively.
    if (WORD.test(a.text) && WORD.test(b.text) && a.text.toLowerCase() === b.text.toLowerCase()) return 'equal_string';
    if (a.percent || b.percent) return comparePercent(a, b, relTol);
    return compareScalars(a.expr, b.expr, relTol);
  }
  if (a.kind === 'matrix' && b.kind === 'matrix') return compareMatrices(a.rows, b.rows, relTol);
  if (a.kind === 'relation' && b.kind === 'relation') {
    const byExpr = compareRelations(a, b);
    if (byExpr) return byExpr;
    return a.interval && b.interval && compareValues(a.interval, b.interval, relTol) ? 'equal_relation' : null;
  }
  // `x \ge 3` against `[3, \infty)`: the relation read as the interval it describes.
  if (a.kind === 'relation' && a.interval && b.kind !== 'text') return compareValues(a.interval, b, relTol);
  if (b.kind === 'relation' && b.interval && a.kind !== 'text') return compareValues(a, b.interval, relTol);
  if (a.kind === 'equation' && b.kind === 'equation') return compareEquations(a.expr, b.expr, relTol);
  // `2x + y = 1` against `y = 1 - 2x`: the assignment read back as an equation.
  if (a.kind === 'equation' && b.kind === 'scalar' && b.assigned) return compareEquations(a.expr, asEquation(b), relTol);
  if (b.kind === 'equation' && a.kind === 'scalar' && a.assigned) return compareEquations(asEquation(a), b.expr, relTol);
  if (a.kind === 'tuple' && b.kind === 'tuple') {
    if (a.open !== b.open || a.close !== b.close) return null;
    if (!orderedMatch(a.items, b.items, relTol)) return null;
    return isInterval(a) ? 'equal_interval' : 'equal_tuple';
  }
  // Two written sets are equal as sets: every element of one is in the other (\{1, 1, 2\} = \{2, 1\}).
  if (a.kind === 'set' && b.kind === 'set') {
    const within = (xs: AnswerValue[], ys: AnswerValue[]) => xs.every((x) => ys.some((y) => compareValues(x, y, relTol) !== null));
    return within(a.items, b.items) && within(b.items, a.items) ? 'equal_set' : null;
  }
  if ((a.kind === 'set' || a.kind === 'list') && (b.kind === 'set' || b.kind === 'list')) {
    return unorderedMatch(a.items, b.items, relTol) ? 'equal_set' : null;
  }
  // A bare list against a parenthesized tuple: "x=1, y=2" against "(1, 2)" keeps the order.
  if ((a.kind === 'list' && b.kind === 'tuple' && b.open === '(') || (a.kind === 'tuple' && a.open === '(' && b.kind === 'list')) {
    return orderedMatch(a.items, b.items, relTol) ? 'equal_tuple' : null;
  }
  if (a.kind === 'union' && b.kind === 'union') return unorderedMatch(a.items, b.items, relTol) ? 'equal_interval' : null;
  // Text answers (or a text against anything): compare the normalized spelling.
  if (a.kind === 'text' || b.kind === 'text') {
    const ka = a.kind === 'text' ? a.text : a.kind === 'scalar' || a.kind === 'equation' ? a.text : null;
    const kb = b.kind === 'text' ? b.text : b.kind === 'scalar' || b.kind === 'equation' ? b.text : null;
    return ka !== null && kb !== null && textKey(ka) === textKey(kb) ? 'equal_string' : null;
  }
  return null;
}

/** The gold answer: a boxed answer inside a worked solution; else the gold text itself when it is a short
 *  line ("28\\%", "$x \\ge 5$", "Evelyn"); else, for a long worked solution, what extraction finds in it. */
function goldAnswer(gold: string): string {
  const e = extractAnswer(gold, { fallback: 'none' });
  if (e.method === 'boxed' && e.answer !== null) return e.answer;
  const trimmed = gold.trim();
  if (trimmed.length <= SHORT_ANSWER_CHARS && !trimmed.includes('\n')) return gold;
  const found = extractAnswer(gold);
  return found.answer ?? gold;
}

/**
 * Decides whether `prediction` (a full model response or a bare answer) answers `gold`. Never throws for
 * malformed text: the verdict's reason says what happened.
 */
export function verifyMath(prediction: string, gold: string, options: VerifyOptions = {}): MathVerdict {
  const relTol = options.relTol ?? 1e-9;
  if (prediction.length > MAX_RESPONSE_CHARS || gold.length > MAX_RESPONSE_CHARS) {
    return { correct: false, extracted: null, pred: null, gold: '', reason: 'input_too_long' };
  }
  let goldNorm = normalizeAnswer(goldAnswer(gold));
  if (goldNorm === '') return { correct: false, extracted: null, pred: null, gold: goldNorm, reason: 'empty_gold' };
  const extraction = extractAnswer(prediction, options);
  if (extraction.answer === null || extraction.answer.trim() === '') {
    return { correct: false, extracted: extraction.answer, pred: null, gold: goldNorm, reason: 'no_answer' };
  }
  const extracted = extraction.answer;
  let predNorm = normalizeAnswer(extracted);
  if (extracted.length > MAX_ANSWER_CHARS || goldNorm.length > MAX_ANSWER_CHARS) {
    const same = predNorm === goldNorm;
    return { correct: same, extracted, pred: predNorm, gold: goldNorm, reason: same ? 'equal_string' : 'answer_too_long' };
  }

  // Multiple choice: map letters through the options, or strip a "(C) " label in front of a value.
  const predChoice = choiceLetter(predNorm);
  const goldChoice = choiceLetter(goldNorm);
  if (options.options) {
    const map = choiceMap(options.options);
    if (predChoice && map.has(predChoice.letter)) predNorm = normalizeAnswer(map.get(predChoice.letter)!);
    if (goldChoice && map.has(goldChoice.letter)) goldNorm = normalizeAnswer(map.get(goldChoice.letter)!);
  } else if (predChoice && goldChoice) {
    const same = predChoice.letter === goldChoice.letter;
    return { correct: same, extracted, pred: predChoice.letter, gold: goldChoice.letter, reason: same ? 'equal_choice' : 'not_equal' };
  } else if (predChoice && predChoice.rest === null && !goldChoice) {
    return { correct: false, extracted, pred: predNorm, gold: goldNorm, reason: 'choice_without_options' };
  } else {
    if (predChoice?.rest) predNorm = predChoice.rest;
    if (goldChoice?.rest) goldNorm = goldChoice.rest;
  }

  if (predNorm === goldNorm) return { correct: true, extracted, pred: predNorm, gold: goldNorm, reason: 'equal_string' };
  const match = compareValues(parseAnswerValue(predNorm), parseAnswerValue(goldNorm), relTol);
  return { correct: match !== null, extracted, pred: predNorm, gold: goldNorm, reason: match ?? 'not_equal' };
}
