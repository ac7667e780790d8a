// Finds the final answer in a model response, in this priority order (like Math-Verify's, boxed first):
//   1. the last \boxed{} / \fbox{} (nested braces allowed; an unclosed last one falls back to the one before),
//      joined by the boxes just before it that only connectors separate ("\boxed{1} and \boxed{2}");
//   2. the last answer phrase: English ("final answer is", "the answer is", "answer:") or Korean ("최종 답은",
//      "정답은", "답:"); the phrase's sentence is narrowed to its value ("The largest $n$ is 34." → 34);
//   3. with fallback 'auto' (the default): the latest Korean conclusion ("따라서/그러므로/즉, … 이다/입니다"),
//      then the last LaTeX math in the text ($…$, $$…$$, \(…\), \[…\], an align/equation environment's last
//      line, a bare matrix environment), then the whole text when it is one short line that reads as an
//      answer, then the last number (not one inside a word like "AZ2A"). A box opened and never closed
//      leaves the response without an answer.
// Inline math ($…$, \(…\)) does not span lines; display math does. Scanners use indexOf and one forward
// pass, so the work stays linear in the response length even on unclosed delimiters.
// docs/math-verification.md documents the whole pipeline.
import { closeBrace, skipSpaces } from '../text-scan.ts';
import { parseAnswerValue, type AnswerValue } from './answer-value.ts';
import { normalizeAnswer } from './normalize.ts';

export type ExtractMethod = 'boxed' | 'answer_phrase' | 'conclusion' | 'math' | 'whole' | 'last_number' | 'none';

export type Extraction = {
  /** The raw answer text (before normalization), or null when nothing was found. */
  answer: string | null;
  method: ExtractMethod;
  /** Offset of the answer in the input (-1 when none). */
  index: number;
};

export type ExtractOptions = {
  /**
   * What to use when there is no \boxed{} and no answer phrase:
   * 'auto' (default) a Korean conclusion sentence, else the last LaTeX math, else the whole short one-line
   *   text when it reads as an answer, else the last number;
   * 'math' the last LaTeX math only;
   * 'short' the whole text when it is short and on one line (a bare answer like "42");
   * 'last_number' the last number in the text;
   * 'none' nothing (boxed and answer phrases only).
   */
  fallback?: 'auto' | 'math' | 'short' | 'last_number' | 'none';
};

/** A whole text at most this long (one line) counts as a bare answer under the 'short' fallback. */
export const SHORT_ANSWER_CHARS = 120;
const PHRASE_CAPTURE_CHARS = 200;

/** Last `\boxed{…}` / `\fbox{…}` (or `\boxed 5`), as [answer, index]. */
function lastBoxed(text: string): [string, number] | null {
  let b = text.lastIndexOf('\\boxed');
  let f = text.lastIndexOf('\\fbox');
  // Walk backwards over candidates so an unclosed last \boxed{ falls back to the previous closed one.
  // An earlier `{` can only close before a later unclosed one starts, so each scan stops at the previous
  // candidate: the total work stays linear even for thousands of unclosed `\boxed{`.
  let limit = text.length;
  // `at` strictly decreases, so the loop ends.
  for (;;) {
    const at = Math.max(b, f);
    if (at < 0) return null;
    const after = at + (at === b ? 6 : 5);
    if (at === b) b = at > 0 ? text.lastIndexOf('\\boxed', at - 1) : -1;
    else f = at > 0 ? text.lastIndexOf('\\fbox', at - 1) : -1;
    const open = skipSpaces(text, after);
    if (text[open] === '{') {
      const close = closeBrace(text, open, limit);
      if (close > 0) return [text.slice(open + 1, close - 1), open + 1];
      limit = open;
    } else if (open > after && open < text.length) {
      // `\boxed 5`: LaTeX takes one token; accept a run of non-space characters.
      let end = open;
      while (end < text.length && !/[\s$]/.test(text[end])) end++;
      if (end > open) return [text.slice(open, end), open];
    }
  }
  return null;
}

/** Text between two boxes that only joins them: `\boxed{1} and \boxed{2}`, `$\boxed{1}$, $\boxed{2}$`. */
const CONNECTORS = [
  '\\text{ and }', '\\text{and}', '\\text{ or }', '\\text{or}', '\\quad', '\\qquad', '\\(', '\\)', '\\[', '\\]',
  '\\,', '\\;', '\\\\', ' and ', ' or ', '그리고', '또는', '및', '와', '과', ',', ';', '$', '&', '.',
];
const MAX_BOXES = 16;

function onlyConnectors(gap: string): boolean {
  if (gap.length > 60) return false;
  let rest = ` ${gap} `;
  for (const c of CONNECTORS) rest = rest.split(c).join(' ');
  return rest.trim() === '';
}

/**
 * The last box together with the boxes just before it that only connectors separate, as one list
 * ("\boxed{1} and \boxed{2}" → "1, 2"): several answers are compared as a set, and hedging between two
 * boxes is not rewarded as if only the last one counted.
 */
function boxedRun(text: string, last: [string, number]): [string, number] {
  const answers = [last[0]];
  let start = Math.max(text.lastIndexOf('\\boxed', last[1]), text.lastIndexOf('\\fbox', last[1]));
  let index = last[1];
  while (answers.length < MAX_BOXES && start > 0) {
    const prev = Math.max(text.lastIndexOf('\\boxed', start - 1), text.lastIndexOf('\\fbox', start - 1));
    if (prev < 0) break;
    const open = skipSpaces(text, prev + (text.startsWith('\\boxed', prev) ? 6 : 5));
    if (text[open] !== '{') break;
    const close = closeBrace(text, open, start);
    if (close < 0 || !onlyConnectors(text.slice(close, start))) break;
    const previous = text.slice(open + 1, close - 1);
    // The same answer boxed twice (a restated summary) is one answer, not a list.
    if (!answers.some((x) => x.replace(/\s+/g, '') === previous.replace(/\s+/g, ''))) answers.unshift(previous);
    index = open + 1;
    start = prev;
  }
  return answers.length === 1 ? last : [answers.join(', '), index];
}

/** Phrases that introduce a final answer; matched case-insensitively, the last occurrence wins. */
const PHRASES = [
  'final answer is', 'final answer:', 'the answer is', 'answer is:', 'answer:', 'answer is',
  '최종 답은', '최종 답:', '최종 답 :', '최종답은', '최종답:', '최종 답', '최종답', '정답은', '정답:', '정답 :', '정답', '답은', '답:', '답 :',
];

function isHangulSyllable(c: number): boolean {
  return c >= 0xac00 && c <= 0xd7a3;
}

function lastPhrase(text: string): [string, number] | null {
  const lower = text.toLowerCase();
  let best = -1;
  let bestEnd = -1;
  for (const phrase of PHRASES) {
    let at = lower.lastIndexOf(phrase);
    // "답" inside a longer Korean word (대답은, 해답은) is not an answer marker; look further back.
    while (at >= 0 && phrase.startsWith('답') && at > 0 && isHangulSyllable(lower.charCodeAt(at - 1)) && lower[at - 1] !== '정') {
      at = at > 0 ? lower.lastIndexOf(phrase, at - 1) : -1;
    }
    if (at < 0) continue;
    const end = at + phrase.length;
    if (end > bestEnd || (end === bestEnd && at < best)) {
      best = at;
      bestEnd = end;
    }
  }
  if (best < 0) return null;
  let start = skipSpaces(text, bestEnd);
  while (start < text.length && (text[start] === ':' || text[start] === '：' || text[start] === '=')) start = skipSpaces(text, start + 1);
  let end = start;
  const limit = Math.min(text.length, start + PHRASE_CAPTURE_CHARS);
  while (end < limit) {
    const ch = text[end];
    if (ch === '\n') break;
    // A period ends the sentence unless it is a decimal point.
    if ((ch === '.' || ch === '。') && !(/\d/.test(text[end - 1] ?? '') && /\d/.test(text[end + 1] ?? ''))) break;
    end++;
  }
  const answer = text.slice(start, end).trim();
  return answer ? [answer, start] : null;
}

/** Letters after a number that are a unit, not part of a word ("1,000.99m²", "5cm", "12kg"). */
const UNIT_WORDS = new Set(['m', 'cm', 'mm', 'km', 'kg', 'g', 'mg', 'l', 'ml', 's', 'h', 'min', 'ft', 'in', 'mi', 'mph', 'pct', 'st', 'nd', 'rd', 'th']);

const isDigitCode = (c: number) => c >= 48 && c <= 57;
const isLetterCode = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** The last number in text[from, to) that stands alone: not glued to letters on the left ("AZYUK2A", "x2")
 *  nor on the right except a unit. Thousands commas, a decimal point and a `/denominator` are kept for the
 *  normalizer. Scans backwards with character tests only, so junk like "A1A1…" costs one pass. */
function lastNumber(text: string, from = 0, to = text.length): [string, number] | null {
  let i = to - 1;
  while (i >= from) {
    // The end of the next candidate: the last digit at or before i.
    while (i >= from && !isDigitCode(text.charCodeAt(i))) i--;
    if (i < from) return null;
    const end = i + 1;
    let start = i;
    while (start > from) {
      const c = text.charCodeAt(start - 1);
      if (isDigitCode(c) || ((c === 44 || c === 46 || c === 47) && start - 2 >= from && isDigitCode(text.charCodeAt(start - 2)))) start--;
      else break;
    }
    i = start - 1;
    const before = start > 0 ? text.charCodeAt(start - 1) : 0;
    if (isLetterCode(before) || before === 95 /* _ */ || before === 94 /* ^ */ || before === 92 /* \ */) continue;
    let runEnd = end;
    while (runEnd < text.length && runEnd - end < 8 && isLetterCode(text.charCodeAt(runEnd))) runEnd++;
    if (runEnd > end && !UNIT_WORDS.has(text.slice(end, runEnd).toLowerCase())) continue;
    let value = text.slice(start, end);
    let at = start;
    if (before === 46 /* . */ && !isDigitCode(text.charCodeAt(start - 2))) {
      at--;
      value = '.' + value;
    }
    if (text.charCodeAt(at - 1) === 45 /* - */ && !/[\dA-Za-z)]/.test(text[at - 2] ?? '')) {
      at--;
      value = '-' + value;
    }
    return [value, at];
  }
  return null;
}

const DISPLAY_ENVS = new Set([
  'align', 'align*', 'aligned', 'equation', 'equation*', 'gather', 'gather*', 'gathered', 'eqnarray', 'eqnarray*',
  'multline', 'multline*', 'displaymath', 'math', 'split', 'flalign', 'flalign*',
]);
const MATRIX_ENVS = new Set(['pmatrix', 'bmatrix', 'Bmatrix', 'vmatrix', 'Vmatrix', 'matrix', 'array', 'smallmatrix']);

/** Text that is prose, not math: Hangul syllables, or two plain words in a row ("and the"). */
const PROSE = /[\uac00-\ud7a3]|(?:^|\s)[a-zA-Z]{3,}\s+[a-zA-Z]{3,}(?=\s|$)/;

/** Index of the next `$` at or after `from` that is not escaped as `\$`, or -1. */
function nextDollar(text: string, from: number, to: number): number {
  let i = text.indexOf('$', from);
  while (i >= 0 && i < to && text[i - 1] === '\\' && text[i - 2] !== '\\') i = text.indexOf('$', i + 1);
  return i >= 0 && i < to ? i : -1;
}

/** The last line of an align-like block (`a &= b \\ &= c` → `= c`), without alignment marks. */
function lastAlignedLine(body: string): string {
  const lines = body.split('\\\\').map((l) => l.trim()).filter((l) => l.length > 0 && l !== '\\nonumber');
  const last = (lines[lines.length - 1] ?? '').replace(/\\(?:nonumber|notag)\b/g, '').replace(/&/g, '').trim();
  // A continuation line `&= 90^\circ` is the value after its `=`.
  return last.startsWith('=') ? last.slice(1).trim() : last;
}

/** The last LaTeX math in text[from, to): [content, index]. One forward pass. */
export function lastMath(text: string, from = 0, to = text.length): [string, number] | null {
  let best: [string, number] | null = null;
  // Once a closing delimiter is known to be absent, it is not searched for again (linear on junk).
  let noParen = false;
  let noBracket = false;
  let noDisplayDollar = false;
  const unclosed = new Set<string>();
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      const next = text[i + 1];
      if (next === '(' && !noParen) {
        const close = text.indexOf('\\)', i + 2);
        if (close < 0 || close >= to) noParen = true;
        else {
          const body = text.slice(i + 2, close);
          if (!body.includes('\n')) best = [body, i + 2];
          i = close + 2;
          continue;
        }
      } else if (next === '[' && !noBracket) {
        const close = text.indexOf('\\]', i + 2);
        if (close < 0 || close >= to) noBracket = true;
        else {
          best = [text.slice(i + 2, close), i + 2];
          i = close + 2;
          continue;
        }
      } else if (next === 'b' && text.startsWith('\\begin{', i)) {
        let nameEnd = -1;
        for (let k = i + 7; k < Math.min(to, i + 40); k++) if (text[k] === '}') {
          nameEnd = k;
          break;
        }
        const env = nameEnd > 0 ? text.slice(i + 7, nameEnd) : '';
        if ((DISPLAY_ENVS.has(env) || MATRIX_ENVS.has(env)) && !unclosed.has(env)) {
          const endTag = `\\end{${env}}`;
          const close = text.indexOf(endTag, nameEnd + 1);
          // Never closed: later \begin{env} are not searched again (linear on thousands of them).
          if (close < 0 || close >= to) unclosed.add(env);
          else {
            best = DISPLAY_ENVS.has(env)
              ? [lastAlignedLine(text.slice(nameEnd + 1, close)), nameEnd + 1]
              : [text.slice(i, close + endTag.length), i];
            i = close + endTag.length;
            continue;
          }
        }
      }
      i += 2;
      continue;
    }
    if (c === 36 /* $ */) {
      if (text[i + 1] === '$') {
        if (!noDisplayDollar) {
          const close = text.indexOf('$$', i + 2);
          if (close < 0 || close >= to) noDisplayDollar = true;
          else {
            best = [text.slice(i + 2, close), i + 2];
            i = close + 2;
            continue;
          }
        }
        i += 2;
        continue;
      }
      const close = nextDollar(text, i + 1, to);
      if (close < 0) break;
      const body = text.slice(i + 1, close);
      // Inline math stays on one line and holds no prose (Hangul, long words); otherwise this `$` was a
      // currency sign ("$10 이고 … $12") and the next one may open.
      if (!body.includes('\n') && body.trim() !== '' && !PROSE.test(body)) {
        best = [body, i + 1];
        i = close + 1;
      } else i = close;
      continue;
    }
    i++;
  }
  if (best) {
    const trimmed = best[0].trim();
    if (trimmed === '') return null;
    return [trimmed, best[1]];
  }
  return null;
}

/** True when the text normalizes to a structured answer (a number, expression, tuple...), not loose text. */
function readsAsAnswer(text: string): boolean {
  if (text.length > 400) return false;
  const normalized = normalizeAnswer(text);
  return normalized !== '' && structured(parseAnswerValue(normalized));
}

/** No part of the value is loose text ("the number is 10, 3" splits into a list with text items). */
function structured(v: AnswerValue): boolean {
  switch (v.kind) {
    case 'text':
      return false;
    case 'tuple':
    case 'set':
    case 'list':
    case 'union':
      return v.items.every(structured);
    case 'matrix':
      return v.rows.every((row) => row.every(structured));
    default:
      return true;
  }
}

const COPULAS = [' is ', ' are ', ' equals ', ' was ', ' be ', '은 ', '는 ', '이 ', '가 ', '= '];

/**
 * Narrows a phrase's sentence to its value: the sentence itself when it reads as an answer; else what follows
 * the last copula ("The largest $n$ is 34" → "34"); else its last math; else its last number; else the
 * sentence as text ("The answer is Evelyn").
 */
function refine(sentence: string, index: number): [string, number] {
  if (readsAsAnswer(sentence) || !/\d|\$|\\/.test(sentence)) return [sentence, index];
  // A box opened here and never closed (no closed box exists, or it would have won): a broken answer is not
  // mined for a number.
  if (sentence.includes('\\boxed') || sentence.includes('\\fbox')) return [sentence, index];
  const lower = sentence.toLowerCase();
  let cut = -1;
  for (const copula of COPULAS) {
    const at = lower.lastIndexOf(copula);
    if (at >= 0 && at + copula.length > cut) cut = at + copula.length;
  }
  if (cut > 0) {
    const tail = sentence.slice(cut).trim();
    if (tail && readsAsAnswer(tail)) return [tail, index + sentence.indexOf(tail, cut)];
  }
  const math = lastMath(sentence);
  if (math && readsAsAnswer(math[0])) return [math[0], index + math[1]];
  const num = lastNumber(sentence);
  if (num) return [num[0], index + num[1]];
  return [sentence, index];
}

const CONCLUSION_MARKERS = ['따라서', '그러므로', '그래서', '즉,', '즉 '];

/** Korean conclusion: the last "따라서 …" / "그러므로 …" / "즉, …" sentence that ends in 이다 / 입니다. */
function lastConclusion(text: string): [string, number] | null {
  // The latest marker first, whichever word it is.
  const found = CONCLUSION_MARKERS.map((marker) => ({ marker, at: text.lastIndexOf(marker) }))
    .filter((m) => m.at >= 0)
    .sort((x, y) => y.at - x.at);
  for (const { marker, at } of found) {
    let start = at + marker.length;
    while (start < text.length && (text[start] === ' ' || text[start] === ',')) start++;
    let end = start;
    const limit = Math.min(text.length, start + PHRASE_CAPTURE_CHARS);
    while (end < limit && text[end] !== '\n' && !(text[end] === '.' && !(/\d/.test(text[end - 1] ?? '') && /\d/.test(text[end + 1] ?? '')))) end++;
    const sentence = text.slice(start, end).trim();
    const ending = /(이다|입니다|이에요|예요|다)$/.exec(sentence);
    if (!ending) continue;
    return refine(sentence, start);
  }
  return null;
}

export function extractAnswer(text: string, options: ExtractOptions = {}): Extraction {
  const boxed = lastBoxed(text);
  if (boxed) {
    const all = boxedRun(text, boxed);
    return { answer: all[0], method: 'boxed', index: all[1] };
  }
  const phrase = lastPhrase(text);
  if (phrase) {
    const [answer, index] = refine(phrase[0], phrase[1]);
    return { answer, method: 'answer_phrase', index };
  }
  const fallback = options.fallback ?? 'auto';
  if (fallback === 'none') return { answer: null, method: 'none', index: -1 };
  // A box was opened but never closed (a truncated or broken answer): nothing else stands in for it.
  if (text.includes('\\boxed') || text.includes('\\fbox')) return { answer: null, method: 'none', index: -1 };
  if (fallback === 'auto') {
    const conclusion = lastConclusion(text);
    if (conclusion) return { answer: conclusion[0], method: 'conclusion', index: conclusion[1] };
  }
  if (fallback === 'auto' || fallback === 'math') {
    const math = lastMath(text);
    if (math) return { answer: math[0], method: 'math', index: math[1] };
  }
  const trimmed = text.trim();
  const short = trimmed.length > 0 && trimmed.length <= SHORT_ANSWER_CHARS && !trimmed.includes('\n');
  // A short line is a bare answer; under 'auto' only when it reads as one (or holds no number at all, like
  // "Evelyn"): "the number is 1,000.99€" goes on to its last number.
  if (short && (fallback === 'short' || (fallback === 'auto' && (readsAsAnswer(trimmed) || !/\d/.test(trimmed))))) {
    return { answer: trimmed, method: 'whole', index: text.indexOf(trimmed) };
  }
  if (fallback === 'last_number' || fallback === 'auto') {
    const num = lastNumber(text);
    if (num) return { answer: num[0], method: 'last_number', index: num[1] };
  }
  return { answer: null, method: 'none', index: -1 };
}
