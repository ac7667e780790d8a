// String-level normalization of an extracted answer before it is parsed: the spellings that mean the same
// thing in competition answers are folded together (MATH / AIME / AMC conventions plus Korean units).
// Every step is a literal replacement or a linear scan; no pattern here can backtrack badly.
import { closeBrace, isDigit, skipSpaces } from '../text-scan.ts';

/** Answers longer than this (after extraction) are compared as strings only. */
export const MAX_ANSWER_CHARS = 1000;

const UNICODE: [string, string][] = [
  ['−', '-'],
  ['–', '-'],
  ['×', '\\times '],
  ['÷', '\\div '],
  ['·', '\\cdot '],
  ['π', '\\pi '],
  ['√', '\\sqrt'],
  ['∞', '\\infty '],
  ['≤', '\\le '],
  ['≥', '\\ge '],
  ['∪', '\\cup '],
  ['±', '\\pm '],
  ['，', ','],
  ['：', ':'],
  ['（', '('],
  ['）', ')'],
  ['°', ''],
  ['º', ''],
  ['≠', '\\ne '],
  ['≈', '\\approx '],
  ['²', '^2'],
  ['³', '^3'],
  ['€', ''],
  ['£', ''],
  ['¥', ''],
  ['₩', ''],
  ['％', '%'],
  // Korean exam choices are numbered ① … ⑤; the gold is the choice number.
  ['①', '1'],
  ['②', '2'],
  ['③', '3'],
  ['④', '4'],
  ['⑤', '5'],
];

/** Commands removed outright: sizing, spacing and style that do not change a value. */
const DROP = [
  '\\displaystyle', '\\textstyle', '\\left', '\\right', '\\bigl', '\\bigr', '\\Bigl', '\\Bigr', '\\big', '\\Big',
  '\\qquad', '\\quad', '\\!', '\\,', '\\;', '\\:', '\\ ', '\\limits', '\\nolimits', '^{\\circ}', '^\\circ', '\\circ',
  '\\degree', '\\$', '{,}', '\\dots', '\\ldots', '\\cdots',
];

/** Commands whose single argument is kept and the wrapper dropped. */
const UNWRAP = [
  'text', 'textbf', 'textit', 'textrm', 'mathrm', 'mathbf', 'mathit', 'mbox', 'operatorname', 'boxed', 'fbox',
  'boldsymbol', 'mathbb', 'mathsf', 'emph', 'hbox', 'textnormal', 'textup', 'textsf', 'texttt', 'mathtt', 'mathnormal',
];

/**
 * Units that may follow a number and carry no value. Single Latin letters (m, g, s) are deliberately absent:
 * they are far more often variables than units. Longer entries first so "cm^2" wins over "cm".
 */
const UNITS = [
  'square units', 'square feet', 'square inches', 'square meters', 'square centimeters', 'sq units', 'cubic units',
  'units^2', 'units', 'unit', 'degrees', 'degree', 'dollars', 'dollar', 'cents', 'cent', 'inches', 'inch', 'feet',
  'foot', 'ft', 'meters', 'meter', 'centimeters', 'cm^2', 'cm^3', 'cm^{2}', 'cm^{3}', 'cm', 'mm', 'km^2', 'km', 'kg',
  'm^2', 'm^3', 'm^{2}', 'm^{3}', 'mph', 'hours', 'hour', 'minutes', 'minute', 'seconds', 'second', 'days', 'day',
  'years', 'year', 'square miles', 'miles', 'mile', 'pounds', 'people', 'ways', 'points', 'students', 'liters',
  'grams', 'kilograms', 'kilometers', 'USD', 'EUR', 'KRW', 'won', 'euros', 'euro',
  '제곱센티미터', '센티미터', '미터', '킬로그램', '그램', '시간', '분', '초', '개', '명', '원', '도', '번', '가지', '마리',
  '장', '권', '살', '세', '일', '년', '회', '쌍', '점', '㎝', '㎡',
];

/** Ways to write "per cent" after a number; all become one trailing `\%` (see PERCENT_POLICY in verify.ts). */
const PERCENT_MARKS = ['\\%', '%', 'percentage', 'percent', 'per cent', 'pct', '퍼센트', '프로'];

/** Removes any of `chars` from the end (a loop, not `/[.]+$/`, which is quadratic on long runs). */
function trimTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1])) end--;
  return text.slice(0, end);
}

function replaceAllLiteral(text: string, from: string, to: string): string {
  return text.includes(from) ? text.split(from).join(to) : text;
}

/** Drops `\cmd{...}` wrappers (keeping the argument) with a brace scanner, innermost or not. */
export function unwrapCommands(text: string, names: readonly string[]): string {
  let out = text;
  for (const name of names) {
    const marker = '\\' + name;
    let from = 0;
    for (let guard = 0; guard < 64; guard++) {
      const at = out.indexOf(marker, from);
      if (at < 0) break;
      const after = at + marker.length;
      // \text must not match \textbf: the command name has to end here.
      if (after < out.length && /[a-zA-Z]/.test(out[after])) {
        from = after;
        continue;
      }
      const open = skipSpaces(out, after);
      if (out[open] !== '{') {
        out = out.slice(0, at) + out.slice(after);
        from = at;
        continue;
      }
      const close = closeBrace(out, open);
      if (close < 0) break;
      out = out.slice(0, at) + out.slice(open + 1, close - 1) + out.slice(close);
      from = at;
    }
  }
  return out;
}

/** Strips `$…$`, `$$…$$`, `\(…\)`, `\[…\]` around the whole answer (repeatedly). */
export function stripMathDelimiters(text: string): string {
  let s = text.trim();
  for (let guard = 0; guard < 8; guard++) {
    // Only one pair around everything: "$a$ or $b$" is two math spans, not one wrapped in dollars.
    if (s.length >= 4 && s.startsWith('$$') && s.endsWith('$$') && s.indexOf('$$', 2) === s.length - 2) s = s.slice(2, -2).trim();
    else if (s.length >= 2 && s.startsWith('$') && s.endsWith('$') && s.indexOf('$', 1) === s.length - 1) s = s.slice(1, -1).trim();
    else if (s.startsWith('\\(') && s.endsWith('\\)')) s = s.slice(2, -2).trim();
    else if (s.startsWith('\\[') && s.endsWith('\\]')) s = s.slice(2, -2).trim();
    else break;
  }
  return s;
}

function stripTrailingUnits(text: string): string {
  let s = text;
  for (let guard = 0; guard < 3; guard++) {
    let changed = false;
    for (const unit of UNITS) {
      if (!s.endsWith(unit) || s.length === unit.length) continue;
      const before = s.slice(0, s.length - unit.length);
      const last = before.trimEnd();
      if (last.length === 0) continue;
      const lastChar = last.charCodeAt(last.length - 1);
      // Only after a value: a digit, a closing group, or a space after a symbol ("x cm" keeps working).
      const unitIsLatinWord = /^[a-z]/.test(unit);
      const separated = before.length !== last.length;
      if (!(isDigit(lastChar) || last.endsWith('}') || last.endsWith(')') || (unitIsLatinWord && separated))) continue;
      if (unitIsLatinWord && !separated && /[a-zA-Z]$/.test(last)) continue;
      s = last;
      changed = true;
      break;
    }
    if (!changed) break;
  }
  return s;
}

/** Folds a Korean sentence ending left after an answer phrase: "5입니다." → "5". */
function stripSentenceEnding(text: string): string {
  let s = text.trim();
  for (const ending of ['입니다', '이다', '이며', '이고', '예요', '이에요', '임', '다']) {
    if (s.endsWith(ending) && s.length > ending.length) {
      s = s.slice(0, s.length - ending.length).trim();
      break;
    }
  }
  return s;
}

/**
 * Canonical string form of an answer. Values that are equal but spelled differently ("1,000" and "1000",
 * "\dfrac{1}{2}" and "\frac{1}{2}", "45^\circ" and "45", "5 cm" and "5") map to the same string where a
 * string rule can see it; deeper equivalences are left to the parser.
 */
export function normalizeAnswer(raw: string): string {
  let s = raw.trim();
  if (s.length > MAX_ANSWER_CHARS) return s;
  for (const [from, to] of UNICODE) s = replaceAllLiteral(s, from, to);
  // `\\frac`, `\\left` (a response escaped twice, as in JSON): one backslash, unless rows are expected.
  if (!s.includes('\\begin') && /\\\\[a-zA-Z]/.test(s)) s = s.replace(/\\\\(?=[a-zA-Z])/g, '\\');
  // Matrix and align rows: `\\` becomes the command `\cr` so spacing rules below cannot eat it.
  s = replaceAllLiteral(s, '\\\\', ' \\cr ');
  s = trimTrailing(s, '.。').trim();
  s = stripMathDelimiters(s);
  s = replaceAllLiteral(s, '\\dfrac', '\\frac');
  s = replaceAllLiteral(s, '\\tfrac', '\\frac');
  s = replaceAllLiteral(s, '\\cfrac', '\\frac');
  // "11,\! 111" is one grouped number (the thin-space spelling); a plain "32, 349" stays a list.
  s = replaceAllLiteral(s, ',\\! ', ',');
  for (const d of DROP) s = replaceAllLiteral(s, d, d === '\\ ' ? ' ' : '');
  // Relations get one spelling each: \le \ge \ne < >.
  s = replaceAllLiteral(s, '\\leqslant', '\\le');
  s = replaceAllLiteral(s, '\\geqslant', '\\ge');
  s = replaceAllLiteral(s, '\\leq', '\\le');
  s = replaceAllLiteral(s, '\\geq', '\\ge');
  s = replaceAllLiteral(s, '\\neq', '\\ne');
  s = replaceAllLiteral(s, '\\lt', '<');
  s = replaceAllLiteral(s, '\\gt', '>');
  s = replaceAllLiteral(s, '<=', '\\le ');
  s = replaceAllLiteral(s, '>=', '\\ge ');
  s = replaceAllLiteral(s, '!=', '\\ne ');
  s = replaceAllLiteral(s, '\\infin', '\\infty');
  s = replaceAllLiteral(s, '~', ' ');
  s = unwrapCommands(s, UNWRAP);
  // Several answers joined by "and" ("6 and 8", "1$ and $2") are a list, like "6, 8". "or" is left alone.
  if (s.includes(' and ')) s = replaceAllLiteral(replaceAllLiteral(s, '$ and $', ' and '), ' and ', ', ');
  s = trimTrailing(s.trim(), '.。').trim();
  s = stripSentenceEnding(s);
  s = stripTrailingUnits(s);
  s = stripMathDelimiters(s);
  s = stripLoneDollar(s);
  const percent = takePercent(s);
  s = percent.rest;
  s = stripTrailingUnits(s);
  s = stripMathDelimiters(s);
  // Thousands separators only when the whole answer is one grouped number ("1,234" is not a pair here,
  // but "(1,234)" stays a pair).
  if (/^-?0,\d+$/.test(s)) s = s.replace(',', '.');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  if (/^-?\d{1,3}( \d{3})+(\.\d+)?$/.test(s)) s = s.replace(/ /g, '');
  // Decimal commas, where a thousands reading is impossible: "0,111" (a group never starts with 0) and
  // "1000,99" (more than three digits before the comma). "1,22" and "-2,1" stay lists of two numbers.
  if (/^-?0,\d+$/.test(s) || /^-?\d{4,},\d+$/.test(s)) s = s.replace(',', '.');
  // "-12; -11; -10": semicolons separate items where no comma does.
  if (s.includes(';') && !s.includes(',')) s = replaceAllLiteral(s, ';', ',');
  s = scientificE(s);
  if (s.startsWith('+')) s = s.slice(1);
  // A mixed number, as MATH writes them: 2\frac{1}{2} is 2 + 1/2 (not the product 2 · 1/2).
  const mixed = /^(-?)(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}$/.exec(s);
  if (mixed) s = `${mixed[1]}(${mixed[2]}+\\frac{${mixed[3]}}{${mixed[4]}})`;
  // Whitespace carries no meaning in math answers; collapse it so string comparison is fair.
  s = s.replace(/\s+/g, ' ').trim();
  if (percent.found && s !== '') s += '\\%';
  return s;
}

/** A lone `$` left at one end is a currency sign ("$1,000.99", "1,000.99$"), not a math delimiter. */
function stripLoneDollar(text: string): string {
  const first = text.indexOf('$');
  if (first < 0 || first !== text.lastIndexOf('$')) return text;
  if (first === 0) return text.slice(1).trim();
  if (first === text.length - 1) return text.slice(0, -1).trim();
  return text;
}

/** Removes a trailing percent mark ("28%", "28 pct", "28퍼센트") and says whether there was one; percent
 *  signs elsewhere are dropped as before. */
function takePercent(text: string): { rest: string; found: boolean } {
  let s = text.trimEnd();
  let found = false;
  for (const mark of PERCENT_MARKS) {
    if (!s.endsWith(mark) || s.length === mark.length) continue;
    const before = s.slice(0, s.length - mark.length);
    // A word mark needs a value before it ("28 pct"), not a word ("script").
    if (/^[a-z]/.test(mark) && /[a-zA-Z]$/.test(before)) continue;
    s = before.trimEnd();
    found = true;
    break;
  }
  s = replaceAllLiteral(replaceAllLiteral(s, '\\%', ''), '%', '');
  return { rest: s, found };
}

/** `1.5e-3` / `2E+5` (a whole number token) becomes `1.5\times10^{-3}` so it is read exactly. */
function scientificE(text: string): string {
  if (!/\d[eE][+-]?\d/.test(text)) return text;
  return text.replace(/(^|[^a-zA-Z\\\d.])(\d+(?:\.\d+)?)[eE]([+-]?\d{1,12})(?![a-zA-Z\d])/g, (_m, pre: string, mant: string, exp: string) => `${pre}${mant}\\times10^{${exp.replace('+', '')}}`);
}
