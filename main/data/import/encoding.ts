// Text encodings of imported CSV files. Korean Excel saves "CSV" in CP949 (Windows code page 949, a
// superset of EUC-KR) and its "Unicode text" export in UTF-16 LE with a BOM; other tools write UTF-16 BE
// or UTF-8 with or without a BOM. Reading all of them as UTF-8 rejects every Korean row with no hint.
//
// Detection (encoding "auto"), on the first chunk of the file:
//   1. a BOM decides: EF BB BF → UTF-8, FF FE → UTF-16 LE, FE FF → UTF-16 BE;
//   2. no BOM but NUL bytes on every other position of ASCII text → UTF-16 LE / BE;
//   3. valid UTF-8 → UTF-8 (pure ASCII is UTF-8);
//   4. valid CP949 → CP949;
//   5. otherwise UTF-8, so bad rows are rejected one by one with a hint to pick the encoding.
// Decoding uses iconv-lite (maintained, pure JS): Node 20's TextDecoder('euc-kr') is ICU's strict
// EUC-KR and silently drops CP949's extended Hangul (똠 = 8C 63 came out as "c"), which Korean Excel
// files do contain. iconv-lite's streaming decoders keep characters split across chunks whole.

import iconv from 'iconv-lite';

/** Encodings the import accepts. `cp949` decodes EUC-KR files as well (it is a superset). */
export const CSV_ENCODINGS = ['auto', 'utf-8', 'cp949', 'utf-16le', 'utf-16be'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];
export type ResolvedEncoding = Exclude<CsvEncoding, 'auto'>;

/** Names people type for the same encodings. */
const ALIASES: Record<string, CsvEncoding> = {
  auto: 'auto',
  'utf-8': 'utf-8', utf8: 'utf-8', 'utf-8-sig': 'utf-8',
  cp949: 'cp949', 'euc-kr': 'cp949', euckr: 'cp949', ms949: 'cp949', 'windows-949': 'cp949', uhc: 'cp949', 'ks_c_5601-1987': 'cp949',
  'utf-16le': 'utf-16le', 'utf-16': 'utf-16le', utf16le: 'utf-16le', 'utf-16be': 'utf-16be', utf16be: 'utf-16be',
};

/** iconv-lite names. */
const DECODER_LABEL: Record<ResolvedEncoding, string> = { 'utf-8': 'utf-8', cp949: 'cp949', 'utf-16le': 'utf-16le', 'utf-16be': 'utf-16be' };

/** Normalizes a user-given encoding name; throws listing the accepted ones. */
export function parseCsvEncoding(name: string): CsvEncoding {
  const found = ALIASES[name.trim().toLowerCase()];
  if (!found) throw new Error(`unknown encoding "${name}": use one of ${CSV_ENCODINGS.join(', ')} (euc-kr, ms949 and utf-8-sig are accepted as aliases)`);
  return found;
}

function validUtf8(bytes: Uint8Array): boolean {
  try {
    // stream: true accepts a character cut at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** iconv-lite has no fatal mode: undecodable CP949 becomes U+FFFD, which never occurs in real CP949 text. */
function validCp949(bytes: Uint8Array): boolean {
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, cp949Boundary(bytes));
  return !iconv.decode(whole, 'cp949').includes('\uFFFD');
}

/** Guesses the encoding of a file from its first bytes (see the header comment for the order). */
export function sniffEncoding(head: Uint8Array): ResolvedEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const sample = head.subarray(0, Math.min(head.length, 4096) & ~1);
  if (sample.length >= 4) {
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < sample.length; i += 2) {
      if (sample[i] === 0) evenZero++;
      if (sample[i + 1] === 0) oddZero++;
    }
    const pairs = sample.length / 2;
    // Header names, commas and digits are ASCII: in UTF-16 their high byte is 0.
    if (oddZero > pairs * 0.3 && evenZero < pairs * 0.05) return 'utf-16le';
    if (evenZero > pairs * 0.3 && oddZero < pairs * 0.05) return 'utf-16be';
  }
  if (validUtf8(head)) return 'utf-8';
  if (validCp949(head)) return 'cp949';
  return 'utf-8';
}

/** The end of the last whole CP949 character in `bytes` (lead bytes are 0x81–0xFE, each with one trail byte). */
function cp949Boundary(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) i += bytes[i] >= 0x81 && bytes[i] <= 0xfe ? 2 : 1;
  return i > bytes.length ? bytes.length - 1 : bytes.length;
}

/** Byte-order mark length for the encoding at the start of `head` (dropped before parsing). */
function bomLength(encoding: ResolvedEncoding, head: Uint8Array): number {
  if (encoding === 'utf-8') return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  if (encoding === 'utf-16le') return head[0] === 0xff && head[1] === 0xfe ? 2 : 0;
  if (encoding === 'utf-16be') return head[0] === 0xfe && head[1] === 0xff ? 2 : 0;
  return 0;
}

const SNIFF_BYTES = 64 * 1024;

export interface Utf8Stream {
  /** The encoding used (detected or as asked). */
  encoding: ResolvedEncoding;
  /** The file as UTF-8 bytes, BOM removed. Undecodable bytes become U+FFFD (non-UTF-8 sources only). */
  chunks: AsyncGenerator<Buffer>;
}

/**
 * Wraps a byte stream so it yields UTF-8. UTF-8 input passes through untouched (its invalid bytes are
 * left for the parser to reject per record); other encodings are decoded as a stream (characters split
 * across chunks are kept whole) and re-encoded.
 */
export async function toUtf8(chunks: AsyncIterable<Buffer>, requested: CsvEncoding = 'auto'): Promise<Utf8Stream> {
  const iterator = chunks[Symbol.asyncIterator]();
  // Sniff on the first 64 KiB (or the whole file when smaller), however the stream happens to chunk it.
  const initial: Buffer[] = [];
  let initialBytes = 0;
  let ended = false;
  while (initialBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    initial.push(next.value);
    initialBytes += next.value.length;
  }
  const head = initial.length === 1 ? initial[0] : Buffer.concat(initial);
  const empty = initialBytes === 0;
  const encoding = requested === 'auto' ? sniffEncoding(head) : requested;
  const skip = bomLength(encoding, head);
  const decoder = encoding === 'utf-8' ? null : iconv.getDecoder(DECODER_LABEL[encoding], { stripBOM: false });
  const convert = (chunk: Buffer, last: boolean): Buffer => {
    if (!decoder) return chunk;
    const text = decoder.write(chunk) + (last ? (decoder.end() ?? '') : '');
    return Buffer.from(text, 'utf8');
  };
  async function* generate(): AsyncGenerator<Buffer> {
    if (!empty) yield convert(head.subarray(skip), false);
    for (;;) {
      if (ended) break;
      const next = await iterator.next();
      if (next.done) break;
      yield convert(next.value, false);
    }
    if (decoder) {
      const tail = convert(Buffer.alloc(0), true);
      if (tail.length) yield tail;
    }
  }
  return { encoding, chunks: generate() };
}
