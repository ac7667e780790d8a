// Math answer verification: extract → normalize → read structure → decide equivalence.
//
// Equivalence, in order of preference: identical normalized strings; exact rational arithmetic (BigInt)
// for numbers, fractions, decimals and perfect roots; float64 evaluation for radicals and pi; evaluation at
// fixed pseudo-random points for expressions with variables; element-wise for tuples, order-free for sets
// and solution lists, bracket-exact for intervals. Every step is bounded: the response, the answer and the
// expression all have size limits, and nothing recurses without a depth limit.
import { parseAnswerValue, type AnswerValue } from './answer-value.ts';
import { evaluateExact, evaluateNumeric } from './evaluate.ts';
import { variablesOf, type Expr } from './expression.ts';
import { extractAnswer, type ExtractOptions } from './extract.ts';
import { MAX_ANSWER_CHARS, normalizeAnswer } from './normalize.ts';
import * as Q from './rational.ts';

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
  /** Why: 'equal_string', 'equal_rational', 'equal_numeric', 'equal_symbolic', 'equal_equation', 'equal_tuple',
   *  'equal_set', 'equal_interval', 'equal_choice', 'not_equal', 'no_answer', 'empty_gold', 'input_too_long',
   *  'answer_too_long', 'choice_without_options'. */
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
  const rb = ra && evaluateExact(b);
  if (ra && rb) return Q.equals(ra, rb) ? 'equal_rational' : null;
  const vars = [...new Set([...variablesOf(a), ...variablesOf(b)])].sort();
  if (vars.length === 0) {
    return close(evaluateNumeric(a, new Map()), evaluateNumeric(b, new Map()), relTol) ? 'equal_numeric' : null;
  }
  let valid = 0;
  for (let p = 0; p < POINTS.length; p++) {
    const env = pointEnv(vars, p);
    const va = evaluateNumeric(a, env);
    const vb = evaluateNumeric(b, env);
    if (Number.isNaN(va) && Number.isNaN(vb)) continue;
    if (!close(va, vb, relTol)) return null;
    valid++;
  }
  return valid >= 3 ? 'equal_symbolic' : null;
}

/** Two equations are the same when lhs-rhs of one is a constant non-zero multiple of the other's. */
function compareEquations(a: Expr, b: Expr, relTol: number): Match {
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
  return valid >= 3 && ratio !== null && ratio !== 0 ? 'equal_equation' : null;
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

export function compareValues(a: AnswerValue, b: AnswerValue, relTol: number): Match {
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    // Short words ("yes", "no") parse as products of variables; as words they compare case-insensitively.
    if (WORD.test(a.text) && WORD.test(b.text) && a.text.toLowerCase() === b.text.toLowerCase()) return 'equal_string';
    return compareScalars(a.expr, b.expr, relTol);
  }
  if (a.kind === 'equation' && b.kind === 'equation') return compareEquations(a.expr, b.expr, relTol);
  // `2x + y = 1` against `y = 1 - 2x`: the assignment read back as an equation.
  if (a.kind === 'equation' && b.kind === 'scalar' && b.assigned) return compareEquations(a.expr, asEquation(b), relTol);
  if (b.kind === 'equation' && a.kind === 'scalar' && a.assigned) return compareEquations(asEquation(a), b.expr, relTol);
  if (a.kind === 'tuple' && b.kind === 'tuple') {
    if (a.open !== b.open || a.close !== b.close) return null;
    if (!orderedMatch(a.items, b.items, relTol)) return null;
    return isInterval(a) ? 'equal_interval' : 'equal_tuple';
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

/** Extraction for the gold answer: a boxed answer inside a worked solution, else the whole gold text. */
function goldAnswer(gold: string): string {
  const e = extractAnswer(gold, { fallback: 'none' });
  return e.method === 'boxed' && e.answer !== null ? e.answer : gold;
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
