// Canonical string escaping of stored row JSON, so rows can be searched in their stored text.
//
// A row's JSON text is stored as written (numbers, key order and duplicate keys stay exact), with one
// normalisation: string escapes take the form `JSON.stringify` gives them. `\u` escapes of characters
// that need no escaping (e.g. Korean written as `\uc0dd\uac01` by Python's json.dumps) are decoded to
// UTF-8, `\/` becomes `/`, and control characters use their short escape (`\n`) or lowercase `\u00xx`.
// The text is the same JSON value; search (search-text.ts) then matches a needle escaped the same way.
//
//   needsCanonicalEscapes(bytes): boolean      false for the common case (no `\u`, no `\/`)
//   canonicalizeEscapes(bytes): Uint8Array     the same JSON with canonical string escapes

const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
const SLASH = 0x2f;

/** Whether `bytes` (JSON text) holds a `\u` or `\/` escape, the only ones that are not canonical. */
export function needsCanonicalEscapes(bytes: Uint8Array): boolean {
  let i = bytes.indexOf(BACKSLASH);
  while (i !== -1) {
    const next = bytes[i + 1];
    if (next === LOWER_U || next === SLASH) return true;
    // Skip the escaped character too, so `\\u` (a backslash followed by "u") is not taken for `\u`.
    i = bytes.indexOf(BACKSLASH, i + 2);
  }
  return false;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

function hex4(bytes: Uint8Array, at: number): number {
  if (at + 4 > bytes.length) return -1;
  let value = 0;
  for (let k = 0; k < 4; k++) {
    const digit = hexValue(bytes[at + k]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/** How `JSON.stringify` writes code point `cp` inside a string. */
function canonicalCodePoint(cp: number): string {
  const short = SHORT_ESCAPES[cp];
  if (short) return short;
  // Control characters and lone surrogates stay escaped, with lowercase hex as JSON.stringify writes them.
  if (cp < 0x20 || (cp >= 0xd800 && cp <= 0xdfff)) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return String.fromCodePoint(cp);
}

/**
 * `bytes` (valid JSON text, UTF-8) with its string escapes in canonical form. Bytes outside escapes are
 * copied unchanged, so numbers and layout are kept as written.
 */
export function canonicalizeEscapes(bytes: Uint8Array): Uint8Array {
  const out: (Uint8Array | string)[] = [];
  let copiedUpTo = 0;
  let i = bytes.indexOf(BACKSLASH);
  while (i !== -1) {
    const kind = bytes[i + 1];
    let end = i + 2;
    let replacement: string | null = null;
    if (kind === SLASH) {
      replacement = '/';
    } else if (kind === LOWER_U) {
      let cp = hex4(bytes, i + 2);
      end = i + 6;
      if (cp >= 0xd800 && cp <= 0xdbff && bytes[end] === BACKSLASH && bytes[end + 1] === LOWER_U) {
        const low = hex4(bytes, end + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          end += 6;
        }
      }
      if (cp >= 0) replacement = canonicalCodePoint(cp);
    }
    if (replacement !== null) {
      out.push(bytes.subarray(copiedUpTo, i), replacement);
      copiedUpTo = end;
    }
    i = bytes.indexOf(BACKSLASH, end);
  }
  if (out.length === 0) return bytes;
  out.push(bytes.subarray(copiedUpTo));
  return Buffer.concat(out.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
}
