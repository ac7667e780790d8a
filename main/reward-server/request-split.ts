// Finds where each item of a `{"items": [ ... ]}` request body lies, in bytes, without decoding the body.
//
// Why: for a batch of long non-Latin responses, turning the UTF-8 body into a JavaScript string costs as
// much as a third of the scoring itself, and JSON.parse cannot be split across threads. Cutting the body
// at item boundaries lets the reward workers decode, parse and validate their own items in parallel, so
// the server's main thread only scans bytes.
//
// The scan follows JSON's structure only (strings, escapes, nesting): it never judges whether an item is
// valid JSON, which its worker's JSON.parse does. Any body that is not exactly one object with the one key
// "items" holding an array of objects gets `null`, and the caller parses it the ordinary way (which also
// yields the precise error message for a bad body).
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const ITEMS_KEY = Buffer.from('"items"');

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipSpace(body: Uint8Array, at: number): number {
  while (at < body.length && isSpace(body[at])) at++;
  return at;
}

/** Index just past the string that opens at `at` (a quote), or -1 when it never closes. */
function skipString(body: Buffer, at: number): number {
  let from = at + 1;
  for (;;) {
    // indexOf is native and fast; strings are most of the bytes.
    const quote = body.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (body[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just past the object that opens at `at` (a brace), or -1 when it is not balanced. */
function skipObject(body: Buffer, at: number): number {
  let depth = 0;
  let i = at;
  while (i < body.length) {
    const byte = body[i];
    if (byte === QUOTE) {
      i = skipString(body, i);
      if (i < 0) return -1;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return byte === CLOSE_BRACE ? i + 1 : -1;
      if (depth < 0) return -1;
    }
    i++;
  }
  return -1;
}

/**
 * The items' byte ranges as [start0, end0, start1, end1, ...], or null when the body is not a plain
 * `{"items": [{...}, ...]}` (then parse it whole).
 */
export function splitRewardItems(body: Uint8Array): Int32Array | null {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let at = skipSpace(bytes, 0);
  if (bytes[at] !== OPEN_BRACE) return null;
  at = skipSpace(bytes, at + 1);
  if (!bytes.subarray(at, at + ITEMS_KEY.length).equals(ITEMS_KEY)) return null;
  at = skipSpace(bytes, at + ITEMS_KEY.length);
  if (bytes[at] !== COLON) return null;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] !== OPEN_BRACKET) return null;
  at = skipSpace(bytes, at + 1);

  const ranges: number[] = [];
  if (bytes[at] === CLOSE_BRACKET) at++;
  else {
    for (;;) {
      if (bytes[at] !== OPEN_BRACE) return null;
      const end = skipObject(bytes, at);
      if (end < 0) return null;
      ranges.push(at, end);
      at = skipSpace(bytes, end);
      if (bytes[at] === COMMA) {
        at = skipSpace(bytes, at + 1);
        continue;
      }
      if (bytes[at] !== CLOSE_BRACKET) return null;
      at++;
      break;
    }
  }
  at = skipSpace(bytes, at);
  if (bytes[at] !== CLOSE_BRACE) return null;
  at = skipSpace(bytes, at + 1);
  return at === bytes.length ? Int32Array.from(ranges) : null;
}
