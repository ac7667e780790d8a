// Finds the final answer in a model response: the last \boxed{} / \fbox{} (nested braces allowed), else the
// last answer phrase in English or Korean, else (optionally) the whole short text or the last number.
// Only indexOf/lastIndexOf and a brace scanner: linear in the response length.
import { closeBrace, skipSpaces } from '../text-scan.ts';

export type ExtractMethod = 'boxed' | 'answer_phrase' | 'whole' | 'last_number' | 'none';

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
   * 'short' (default) the whole text when it is short and on one line (a bare answer like "42");
   * 'last_number' the last number in the text (lenient, rewards unformatted answers);
   * 'none' nothing (strict).
   */
  fallback?: 'short' | 'last_number' | 'none';
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

function lastNumber(text: string): [string, number] | null {
  let end = text.length;
  while (end > 0 && !/\d/.test(text[end - 1])) end--;
  if (end === 0) return null;
  let start = end;
  while (start > 0 && /[\d.,]/.test(text[start - 1])) start--;
  if (start > 0 && text[start - 1] === '-') start--;
  while (text[start] === '.' || text[start] === ',') start++;
  return [text.slice(start, end), start];
}

export function extractAnswer(text: string, options: ExtractOptions = {}): Extraction {
  const boxed = lastBoxed(text);
  if (boxed) return { answer: boxed[0], method: 'boxed', index: boxed[1] };
  const phrase = lastPhrase(text);
  if (phrase) return { answer: phrase[0], method: 'answer_phrase', index: phrase[1] };
  const fallback = options.fallback ?? 'short';
  const trimmed = text.trim();
  if (fallback === 'short' && trimmed.length > 0 && trimmed.length <= SHORT_ANSWER_CHARS && !trimmed.includes('\n')) {
    return { answer: trimmed, method: 'whole', index: text.indexOf(trimmed) };
  }
  if (fallback === 'last_number') {
    const num = lastNumber(text);
    if (num) return { answer: num[0], method: 'last_number', index: num[1] };
  }
  return { answer: null, method: 'none', index: -1 };
}
