// A fast validator for one JSON object in UTF-8 bytes, used by the JSONL import instead of JSON.parse.
//
//   scanJsonObject(bytes): ObjectShape | null
//
// It checks the full JSON grammar (RFC 8259: strings with their escapes and no raw control characters,
// numbers, literals, nesting) and returns the object's top-level keys with the kind of each value, which
// is all the import needs: the row is stored as its JSON text and never has to become a JS object.
// That saves decoding the bytes to a JS string and building the object, most of the parsing time.
//
// null means "not a valid JSON object, or not sure": the caller then falls back to JSON.parse, which
// gives the rejection reason (so a rare line this scanner does not take costs time, never correctness).
// The bytes must already be valid UTF-8 (checked by the caller with buffer.isUtf8).
import { ARRAY_KIND, BOOLEAN_KIND, INTEGER_KIND, NULL_KIND, NUMBER_KIND, OBJECT_KIND, STRING_KIND } from '../../store/columns.ts';

export type ObjectShape = {
  /** Top-level keys in first-seen order (a repeated key appears once, as in JSON.parse). */
  keys: string[];
  /** Kind bits (see store/columns.ts) of each key's value; for a repeated key, of its last value. */
  kinds: number[];
  /** Whether a string holds a `\u` or `\/` escape (then its text is canonicalized before storing). */
  escapes: boolean;
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const IN_OBJECT = 1;
const IN_ARRAY = 2;

// Per call state of the string and number scanners (module variables avoid allocating results).
let sawEscape = false;
let sawBackslash = false;
let numberHasFraction = false;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipWhitespace(b: Uint8Array, i: number): number {
  while (i < b.length && isWhitespace(b[i])) i++;
  return i;
}

function isHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);
}

/** `b[j]` is a backslash inside a string: returns the index after the escape, or -1 when invalid. */
function scanEscape(b: Uint8Array, j: number): number {
  sawBackslash = true;
  const e = b[j + 1];
  if (e === 0x75) {
    if (j + 5 >= b.length || !isHex(b[j + 2]) || !isHex(b[j + 3]) || !isHex(b[j + 4]) || !isHex(b[j + 5])) return -1;
    sawEscape = true;
    return j + 6;
  }
  if (e === QUOTE || e === BACKSLASH || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return j + 2;
  if (e === 0x2f) {
    sawEscape = true;
    return j + 2;
  }
  return -1;
}

/** `b[i]` is an opening quote; returns the index after the closing quote, or -1. */
function scanString(b: Uint8Array, i: number): number {
  const n = b.length;
  let j = i + 1;
  while (j < n) {
    const c = b[j];
    // Most bytes are letters or multi-byte UTF-8 (all above the backslash): one comparison for them.
    if (c > BACKSLASH) {
      j++;
      continue;
    }
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) {
      j = scanEscape(b, j);
      if (j < 0) return -1;
    } else if (c < 0x20) {
      return -1;
    } else {
      j++;
    }
  }
  return -1;
}

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

/** A number starting at `b[i]`; returns the index after it, or -1. Sets `numberHasFraction`. */
function scanNumber(b: Uint8Array, i: number): number {
  numberHasFraction = false;
  let j = i;
  if (b[j] === MINUS) j++;
  if (b[j] === ZERO) j++;
  else if (isDigit(b[j])) while (isDigit(b[j])) j++;
  else return -1;
  if (b[j] === DOT) {
    numberHasFraction = true;
    j++;
    if (!isDigit(b[j])) return -1;
    while (isDigit(b[j])) j++;
  }
  if (b[j] === 0x65 || b[j] === 0x45) {
    numberHasFraction = true;
    j++;
    if (b[j] === PLUS || b[j] === MINUS) j++;
    if (!isDigit(b[j])) return -1;
    while (isDigit(b[j])) j++;
  }
  return j;
}

function matchesWord(b: Uint8Array, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

function decodeKey(b: Buffer, start: number, end: number, escaped: boolean): string {
  // start..end includes the quotes.
  if (escaped) return JSON.parse(b.toString('utf8', start, end)) as string;
  return b.toString('utf8', start + 1, end - 1);
}

function addKey(shape: ObjectShape, key: string, kind: number): void {
  const index = shape.keys.indexOf(key);
  if (index === -1) {
    shape.keys.push(key);
    shape.kinds.push(kind);
  } else {
    shape.kinds[index] = kind; // JSON.parse keeps the last value of a repeated key
  }
}

function finish(shape: ObjectShape): ObjectShape {
  shape.escapes = sawEscape;
  return shape;
}

export function scanJsonObject(b: Buffer): ObjectShape | null {
  const n = b.length;
  let i = skipWhitespace(b, 0);
  if (b[i] !== LBRACE) return null;
  i++;
  sawEscape = false;
  const shape: ObjectShape = { keys: [], kinds: [], escapes: false };
  const stack: number[] = [IN_OBJECT];
  let first = true; // just after '{' or '[': a closing bracket is allowed
  let pendingKey: string | null = null;

  for (;;) {
    i = skipWhitespace(b, i);
    const context = stack[stack.length - 1];
    // 1. Close an empty container, or read the key of an object member.
    if (first && (b[i] === RBRACE || b[i] === RBRACKET)) {
      if (b[i] !== (context === IN_OBJECT ? RBRACE : RBRACKET)) return null;
      stack.pop();
      i++;
      if (stack.length === 0) return skipWhitespace(b, i) === n ? finish(shape) : null;
    } else {
      if (context === IN_OBJECT) {
        if (b[i] !== QUOTE) return null;
        sawBackslash = false;
        const end = scanString(b, i);
        if (end < 0) return null;
        if (stack.length === 1) pendingKey = decodeKey(b, i, end, sawBackslash);
        i = skipWhitespace(b, end);
        if (b[i] !== COLON) return null;
        i = skipWhitespace(b, i + 1);
      }
      // 2. A value: scalars are consumed here, containers are entered.
      const c = b[i];
      let kind: number;
      if (c === QUOTE) {
        i = scanString(b, i);
        kind = STRING_KIND;
      } else if (c === LBRACE || c === LBRACKET) {
        if (stack.length === 1 && pendingKey !== null) addKey(shape, pendingKey, c === LBRACE ? OBJECT_KIND : ARRAY_KIND);
        stack.push(c === LBRACE ? IN_OBJECT : IN_ARRAY);
        i++;
        first = true;
        continue;
      } else if (c === MINUS || isDigit(c)) {
        const start = i;
        i = scanNumber(b, i);
        kind = INTEGER_KIND;
        // JSON.parse("1.0") and ("1e3") are integers too: decide as it would.
        if (i > 0 && numberHasFraction && stack.length === 1) {
          const value = Number(b.toString('latin1', start, i));
          if (!Number.isInteger(value)) kind = NUMBER_KIND;
        }
      } else if (c === 0x74 && matchesWord(b, i, 'true')) {
        i += 4;
        kind = BOOLEAN_KIND;
      } else if (c === 0x66 && matchesWord(b, i, 'false')) {
        i += 5;
        kind = BOOLEAN_KIND;
      } else if (c === 0x6e && matchesWord(b, i, 'null')) {
        i += 4;
        kind = NULL_KIND;
      } else {
        return null;
      }
      if (i < 0) return null;
      if (stack.length === 1 && pendingKey !== null) addKey(shape, pendingKey, kind);
    }
    // 3. After a value (or a closed container): a comma, or closing brackets.
    first = false;
    for (;;) {
      i = skipWhitespace(b, i);
      const top = stack[stack.length - 1];
      const c = b[i];
      if (c === COMMA) {
        i++;
        break;
      }
      if ((top === IN_OBJECT && c === RBRACE) || (top === IN_ARRAY && c === RBRACKET)) {
        stack.pop();
        i++;
        if (stack.length === 0) {
          // Only whitespace may follow the object.
          return skipWhitespace(b, i) === n ? finish(shape) : null;
        }
        continue;
      }
      return null;
    }
  }
}
