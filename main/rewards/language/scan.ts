// One linear pass over a text that (1) finds the spans that are not prose — code, LaTeX math, URLs,
// markdown syntax, HTML tags, numbers — and (2) counts the letters of the remaining prose by script.
//
// Why strip first: counting raw characters rewards a policy for not writing equations or code at all (they
// are Latin letters), or lets it pad with them. The language reward has to measure the language of the
// *prose* only. Searches for closing delimiters go through a memoizing finder, so the whole pass stays
// O(n) even on adversarial inputs (thousands of unclosed `$`, backticks or `\begin{`).
import * as scripts from './scripts.ts';

// Local copies of the imported bindings: a loader may compile ESM imports to getter calls (tsx does), and
// this loop reads them for every character. Reading a module-local const is a plain load.
const S_HANGUL = scripts.S_HANGUL;
const S_HAN = scripts.S_HAN;
const S_LATIN = scripts.S_LATIN;
const SCRIPT_COUNT = scripts.SCRIPTS.length;
const SCRIPT_WEIGHT = Float64Array.from(scripts.SCRIPT_WEIGHT);
const scriptOf = scripts.scriptOf;
const isSymbolScript = scripts.isSymbolScript;

export type StrippedKind = 'code' | 'math' | 'url' | 'markdown' | 'html' | 'number';

/** A removed span, [start, end) in UTF-16 offsets of the scanned text (what a UI needs to highlight). */
export type StrippedSpan = { start: number; end: number; kind: StrippedKind };

export type ProseScan = {
  /** Weighted letter mass per script id (see SCRIPT_WEIGHT), indexed like SCRIPTS. */
  mass: Float64Array;
  /** Raw letter counts per script id. */
  letters: Uint32Array;
  /** Letters of prose words (symbol-like tokens excluded). */
  proseChars: number;
  /** Characters of formulas and code: LaTeX and code spans, symbol-like tokens (x, AB), bare operators. */
  formulaChars: number;
  /** The removed spans in order, when requested. */
  spans: StrippedSpan[] | null;
};

/**
 * indexOf with memory: the scan only moves forward, so a pattern's last result stays valid for any later
 * start up to that result, and a failed search stays failed. Keeps repeated searches linear overall.
 */
class Finder {
  private readonly memo = new Map<string, { from: number; at: number }>();
  constructor(private readonly text: string) {}
  find(pattern: string, from: number): number {
    const m = this.memo.get(pattern);
    if (m && from >= m.from && (m.at < 0 || from <= m.at)) return m.at;
    const at = this.text.indexOf(pattern, from);
    if (m) {
      // Updated in place: one allocation per pattern, not per search.
      m.from = from;
      m.at = at;
    } else this.memo.set(pattern, { from, at });
    return at;
  }
}

const BACKTICKS = ['', '`', '``', '```', '````', '`````'];

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Characters that make a formula even outside LaTeX: + - * / = ^ < >, ×, ÷, ±, and the math-operator block. */
function isOperator(c: number): boolean {
  return c === 43 || c === 45 || c === 42 || c === 47 || c === 61 || c === 94 || c === 60 || c === 62 ||
    c === 0xd7 || c === 0xf7 || c === 0xb1 || (c >= 0x2200 && c <= 0x22ff);
}

/**
 * For every `{`, the index just past its matching `}` (-1 when unmatched); escaped braces do not count.
 * One stack pass, computed only when a bare LaTeX command needs it.
 */
function matchBraces(text: string): Int32Array {
  const match = new Int32Array(text.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 123) stack.push(i);
    else if (c === 125 && stack.length > 0) match[stack.pop()!] = i + 1;
  }
  return match;
}

/**
 * Ends a run of letters. One-letter tokens and short all-caps tokens of Latin/Greek/Cyrillic are variables
 * and point names ("x의 값", "삼각형 ABC"), counted as formula; anything else is prose of its script.
 */
function flushRun(acc: Float64Array, mass: Float64Array, letters: Uint32Array, script: number, len: number, upper: boolean): void {
  if (isSymbolScript(script) && (len === 1 || (len <= 3 && upper))) acc[1] += len;
  else {
    mass[script] += len * SCRIPT_WEIGHT[script];
    letters[script] += len;
    acc[0] += len;
  }
}

export function scanProse(text: string, recordSpans = false): ProseScan {
  const n = text.length;
  const mass = new Float64Array(SCRIPT_COUNT);
  const letters = new Uint32Array(SCRIPT_COUNT);
  const spans: StrippedSpan[] | null = recordSpans ? [] : null;
  let finder: Finder | null = null;
  const find = (pattern: string, from: number) => (finder ??= new Finder(text)).find(pattern, from);

  // Prose and formula character counts live in a small array so the run bookkeeping can be a plain
  // function: a closure over these counters would force them out of registers in the hot loop.
  const acc = new Float64Array(2);
  let braces: Int32Array | null = null;
  // Current run of letters of one script (a "word" for alphabetic scripts).
  let runScript = 0;
  let runLen = 0;
  let runUpper = true;
  let lineStart = true;

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    // Fast path: Hangul syllables are most of the text we care about.
    if (c >= 0xac00 && c <= 0xd7a3) {
      if (runScript !== S_HANGUL) {
        flushRun(acc, mass, letters, runScript, runLen, runUpper);
        runLen = 0;
        runScript = S_HANGUL;
      }
      runLen++;
      i++;
      lineStart = false;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      if (runLen > 0) {
        flushRun(acc, mass, letters, runScript, runLen, runUpper);
        runLen = 0;
        runScript = 0;
      }
      i++;
      continue;
    }
    if (c === 10) {
      if (runLen > 0) {
        flushRun(acc, mass, letters, runScript, runLen, runUpper);
        runLen = 0;
        runScript = 0;
      }
      lineStart = true;
      i++;
      continue;
    }

    let end = -1;
    let kind: StrippedKind = 'math';
    switch (c) {
      case 96 /* ` */: {
        let k = 1;
        while (i + k < n && text.charCodeAt(i + k) === 96) k++;
        const fence = k < BACKTICKS.length ? BACKTICKS[k] : '`'.repeat(k);
        const close = find(fence, i + k);
        kind = 'code';
        if (k >= 3 && lineStart) end = close < 0 ? n : close + k; // an unclosed fence runs to the end
        else if (close >= 0) end = close + k;
        break;
      }
      case 36 /* $ */: {
        if (text.charCodeAt(i + 1) === 36) {
          const close = find('$$', i + 2);
          if (close >= 0) end = close + 2;
        } else {
          const close = find('$', i + 1);
          if (close >= 0) end = close + 1;
        }
        break;
      }
      case 92 /* \ */: {
        const next = text.charCodeAt(i + 1);
        if (next === 40 /* ( */) {
          const close = find('\\)', i + 2);
          end = close >= 0 ? close + 2 : i + 2;
        } else if (next === 91 /* [ */) {
          const close = find('\\]', i + 2);
          end = close >= 0 ? close + 2 : i + 2;
        } else if ((next >= 65 && next <= 90) || (next >= 97 && next <= 122)) {
          let j = i + 1;
          while (j < n && ((text.charCodeAt(j) >= 65 && text.charCodeAt(j) <= 90) || (text.charCodeAt(j) >= 97 && text.charCodeAt(j) <= 122))) j++;
          if (j - i === 6 && text.startsWith('begin', i + 1) && text.charCodeAt(j) === 123) {
            const nameEnd = text.indexOf('}', j);
            if (nameEnd > 0 && nameEnd - j < 40) {
              const close = find('\\end' + text.slice(j, nameEnd + 1), nameEnd);
              // An environment that is never closed (a truncated response) is math to the end.
              end = close < 0 ? n : close + 5 + (nameEnd - j + 1);
              break;
            }
          }
          // A bare command outside delimiters (\frac{1}{2}, \alpha): the command and up to three groups.
          // Groups longer than 400 characters are left alone: `\textbf{...}` around a paragraph is prose.
          for (let g = 0; g < 3 && text.charCodeAt(j) === 123; g++) {
            braces ??= matchBraces(text);
            const close = braces[j];
            if (close < 0 || close - j > 400) break;
            j = close;
          }
          end = j;
        } else if (i + 1 < n) {
          // Any other escaped character: a LaTeX line break, spacing (\,) or an escaped brace.
          end = i + 2;
        }
        break;
      }
      case 104 /* h */:
      case 119 /* w */: {
        const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
        if (!isAsciiAlnum(prev) && (text.startsWith('http://', i) || text.startsWith('https://', i) || text.startsWith('www.', i))) {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d <= 32 || d >= 127 || d === 60 || d === 62 || d === 34) break;
            j++;
          }
          while (j > i && '.,;:!?)'.includes(text[j - 1])) j--;
          end = j;
          kind = 'url';
        }
        break;
      }
      case 35 /* # */: {
        if (lineStart) {
          let j = i;
          while (j < n && text.charCodeAt(j) === 35) j++;
          if (j >= n || isSpace(text.charCodeAt(j))) {
            end = j;
            kind = 'markdown';
          }
        }
        break;
      }
      case 62 /* > */:
        if (lineStart) {
          end = i + 1;
          kind = 'markdown';
        }
        break;
      case 45 /* - */:
      case 43 /* + */:
      case 42 /* * */:
      case 95 /* _ */:
      case 126 /* ~ */: {
        let j = i;
        while (j < n && text.charCodeAt(j) === c) j++;
        const run = j - i;
        const after = j < n ? text.charCodeAt(j) : 10;
        if (lineStart && run === 1 && after === 32 && c !== 95 && c !== 126) end = j; // list marker
        else if (lineStart && run >= 3 && (after === 10 || after === 13) && c !== 43) end = j; // horizontal rule
        else if ((c === 42 || c === 95 || c === 126) && (run >= 2 || c !== 126)) end = j; // emphasis
        if (end > 0) kind = 'markdown';
        break;
      }
      case 124 /* | */:
        end = i + 1;
        kind = 'markdown';
        break;
      case 93 /* ] */:
        if (text.charCodeAt(i + 1) === 40 /* ( */) {
          const close = find(')', i + 2);
          if (close >= 0 && close - i < 2000) {
            end = close + 1;
            kind = 'markdown';
          }
        }
        break;
      case 60 /* < */: {
        const next = text.charCodeAt(i + 1);
        if ((next >= 65 && next <= 90) || (next >= 97 && next <= 122) || next === 47 || next === 33) {
          const limit = Math.min(n, i + 300);
          for (let j = i + 2; j < limit; j++) {
            const d = text.charCodeAt(j);
            if (d === 62) {
              end = j + 1;
              kind = 'html';
              break;
            }
            if (d === 60 || d === 10) break;
          }
        }
        break;
      }
      default:
        if (c >= 48 && c <= 57) {
          let j = i + 1;
          for (;;) {
            while (j < n && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
            const sep = text.charCodeAt(j);
            const afterSep = text.charCodeAt(j + 1);
            if ((sep === 46 || sep === 44) && afterSep >= 48 && afterSep <= 57) j++;
            else break;
          }
          end = j;
          kind = 'number';
        }
    }

    if (end > i) {
      if (runLen > 0) {
        flushRun(acc, mass, letters, runScript, runLen, runUpper);
        runLen = 0;
        runScript = 0;
      }
      if (kind === 'math' || kind === 'code') acc[1] += end - i;
      if (spans) {
        const last = spans.length > 0 ? spans[spans.length - 1] : null;
        // Adjacent spans of one kind merge, so highlighting stays compact.
        if (last && last.kind === kind && last.end === i) last.end = end;
        else spans.push({ start: i, end, kind });
      }
      i = end;
      lineStart = false;
      continue;
    }

    // An ordinary character.
    let script: number;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff) {
      // Supplementary planes: CJK extensions B.. (U+20000–U+3FFFF) are Han; emoji and the rest are not letters.
      width = 2;
      script = c >= 0xd840 && c <= 0xd8bf ? S_HAN : 0;
    } else script = scriptOf(c);
    if (script === 0) {
      if (runLen > 0) {
        flushRun(acc, mass, letters, runScript, runLen, runUpper);
        runLen = 0;
        runScript = 0;
      }
      if (isOperator(c)) acc[1]++;
      i += width;
      lineStart = false;
      continue;
    }
    if (script !== runScript) {
      if (runLen > 0) flushRun(acc, mass, letters, runScript, runLen, runUpper);
      runLen = 0;
      runScript = script;
      runUpper = true;
    }
    if (script === S_LATIN && !(c >= 65 && c <= 90)) runUpper = false;
    runLen++;
    i += width;
    lineStart = false;
  }
  if (runLen > 0) flushRun(acc, mass, letters, runScript, runLen, runUpper);
  return { mass, letters, proseChars: acc[0], formulaChars: acc[1], spans };
}
