// Small linear-time scanners shared by answer extraction, normalization and language stripping.
// Everything that needs balanced braces goes through here instead of a regex: nested `\boxed{\frac{1}{2}}`
// cannot be matched by a regular expression, and backtracking patterns are a denial-of-service risk on
// model output.

/**
 * Index just past the `}` that closes the `{` at `open`, or -1 when it is never closed. Escaped braces
 * (`\{`, `\}`) do not count. One pass, O(n).
 */
export function closeBrace(text: string, open: number, limit = text.length): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      continue;
    }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Index of the first non-whitespace character at or after `from`. */
export function skipSpaces(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

export function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Splits at top-level commas (or another separator), ignoring separators inside (), [], {} and `\{ \}`.
 * Brackets of any kind count as one nesting level, so half-open intervals like `[1, 2)` still split.
 */
export function splitTopLevel(text: string, separator = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  const first = separator[0];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (depth === 0 && ch === first && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i = start - 1;
      continue;
    }
    if (ch === '\\') {
      // Skip the escaped character, but let a command name be matched as a separator (`\cup`).
      i++;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * True when the bracket at index 0 (any of `([{`) is closed by the last character (any of `)]}`), so
 * `(1, 2]` is wrapped but `(1)+(2)` is not. Bracket kinds are not matched against each other on purpose:
 * half-open intervals mix them.
 */
export function bracketsWrapWhole(text: string): boolean {
  const n = text.length;
  if (n < 2 || '([{'.indexOf(text[0]) < 0 || ')]}'.indexOf(text[n - 1]) < 0) return false;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0 && i < n - 1) return false;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}
