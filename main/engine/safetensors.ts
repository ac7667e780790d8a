// safetensors: the tensor file format of Hugging Face checkpoints and PEFT adapters.
//
// Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 N, then N bytes of
// UTF-8 JSON `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"key": "string"}}`, then the raw little-endian tensor bytes; offsets are relative to
// the start of that byte buffer. Like the reference writer we pad the header with spaces to a multiple
// of 8 and order tensors by element size (largest first), so every tensor starts aligned to its element
// size and can be viewed in place.
//
// Files are read tensor by tensor with positioned reads (never the whole file as one buffer or
// string), so a multi-gigabyte checkpoint costs only the memory of the tensors asked for.
//
// In memory a tensor is `{dtype, shape, data}`: `dtype` is the *storage* dtype in the file, `data` the
// typed array to compute with. F16 and BF16 are widened to Float32Array on load and narrowed again
// (round to nearest, ties to even) on save, so a bf16 checkpoint loads as float32 and saves back as the
// same bf16 bits. F8_E4M3 / F8_E5M2 (FP8 checkpoints) are widened to Float32Array on load (exactly: every
// FP8 value is a float32); they are written from raw Uint8Array bits only. This module imports nothing
// from the app: the engine's checkpoints use it too.
//
// Reading is strict by default, as the format's reference implementation is: the header must start with
// `{`, keys must be unique, and the tensors' byte ranges must tile the data buffer exactly (no holes, no
// overlaps, no trailing bytes). `lenient` skips those layout rules to salvage a damaged file (each tensor
// must still lie inside the file and have the size its dtype and shape imply).

import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';

if (endianness() !== 'LE') throw new Error('safetensors: this reader assumes a little-endian host');

/** Storage dtypes this module reads and writes (the safetensors spellings). */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'I64' | 'I32' | 'I16' | 'I8' | 'U32' | 'U8' | 'BOOL';

/** In-memory data of a tensor. F16/BF16/F8 are Float32Array (or Uint16Array / Uint8Array raw bits when asked for). */
export type TensorData = Float64Array | Float32Array | Uint16Array | Uint32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** One tensor: storage dtype, shape (row-major), and its elements. BOOL is a Uint8Array of 0/1. */
export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/** Tensors by name. Reads return a Map in file order; writes accept a Map or a plain object. */
export type TensorMap = Map<string, SafeTensor>;
export type TensorInput = Map<string, SafeTensor> | Record<string, SafeTensor>;

/** What the header says about one tensor, without its data. */
export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the data in the file, and its length. */
  offset: number;
  byteLength: number;
}

export interface ReadOptions {
  /** Only these tensors (a list of names or a predicate). Default: all. */
  names?: readonly string[] | ((name: string) => boolean);
  /** Keep F16/BF16 as Uint16Array (F8 as Uint8Array) raw bits instead of widening to Float32Array. */
  rawHalf?: boolean;
  /** Accept headers that break the layout rules (holes, overlaps, trailing bytes, duplicate keys); for salvage. */
  lenient?: boolean;
}

/**
 * The CLI's `--lenient` sets this for the whole process (salvage mode); library callers pass
 * `lenient` in the options instead.
 */
let lenientByDefault = false;
export function setSafetensorsLenientDefault(lenient: boolean): void {
  lenientByDefault = lenient;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, I32: 4, I16: 2, I8: 1, U32: 4, U8: 1, BOOL: 1,
};

/** Header length cap from the reference implementation: anything larger is corruption, not a model. */
const MAX_HEADER_BYTES = 100_000_000;
/** Largest single read/write node accepts; bigger tensors are moved in chunks. */
const IO_CHUNK = 1 << 30;

export function isSafetensorsDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.hasOwn(BYTES_PER_ELEMENT, x);
}

export function bytesPerElement(dtype: SafetensorsDtype): number {
  return BYTES_PER_ELEMENT[dtype];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Half-precision conversions (exported for tests and for the engine's fp16 export).

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 → IEEE binary16 bits, round to nearest, ties to even; overflow → ±Inf; NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is a half subnormal m·2^-24: m = (1.mant)·2^(exp-126+14-…) = full >> (14 - e).
    const shift = 14 - e;
    if (shift > 24) return sign; // below half of the smallest subnormal
    const full = mant | 0x800000;
    const m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return (sign | m) + (rem > halfway || (rem === halfway && (m & 1) === 1) ? 1 : 0);
  }
  const h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  return h + (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1) ? 1 : 0);
}

/** IEEE binary16 bits → number (exact). */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 0x1f) return f !== 0 ? NaN : sign * Infinity;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** float32 → bfloat16 bits, round to nearest, ties to even; NaN stays NaN. */
export function float32ToBfloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits → number (exact). */
export function bfloat16BitsToFloat32(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0];
}

let halfTable: Float32Array | null = null;
function float16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = float16BitsToFloat32(h);
  }
  return halfTable;
}

function widenHalf(bits: Uint16Array, dtype: 'F16' | 'BF16'): Float32Array {
  if (dtype === 'BF16') {
    const out = new Uint32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
    return new Float32Array(out.buffer);
  }
  const table = float16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/**
 * FP8 bits → number (exact). E4M3 is the "fn" variant PyTorch and the OCP spec use: bias 7, no
 * infinities, S.1111.111 is NaN, largest finite 448. E5M2 is IEEE-like: bias 15, exponent 31 is Inf/NaN.
 */
export function float8BitsToFloat32(bits: number, dtype: 'F8_E4M3' | 'F8_E5M2'): number {
  const sign = bits & 0x80 ? -1 : 1;
  if (dtype === 'F8_E4M3') {
    const e = (bits >>> 3) & 0xf;
    const m = bits & 0x7;
    if (e === 0xf && m === 0x7) return NaN;
    if (e === 0) return sign * (m / 8) * 2 ** -6;
    return sign * (1 + m / 8) * 2 ** (e - 7);
  }
  const e = (bits >>> 2) & 0x1f;
  const m = bits & 0x3;
  if (e === 0x1f) return m !== 0 ? NaN : sign * Infinity;
  if (e === 0) return sign * (m / 4) * 2 ** -14;
  return sign * (1 + m / 4) * 2 ** (e - 15);
}

const float8Tables: Partial<Record<'F8_E4M3' | 'F8_E5M2', Float32Array>> = {};
function widenFloat8(bits: Uint8Array, dtype: 'F8_E4M3' | 'F8_E5M2'): Float32Array {
  let table = float8Tables[dtype];
  if (!table) {
    table = new Float32Array(256);
    for (let b = 0; b < 256; b++) table[b] = float8BitsToFloat32(b, dtype);
    float8Tables[dtype] = table;
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

function narrowToHalf(values: ArrayLike<number>, dtype: 'F16' | 'BF16'): Uint16Array {
  const out = new Uint16Array(values.length);
  if (dtype === 'BF16') {
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
    for (let i = 0; i < u.length; i++) {
      const x = u[i];
      out[i] = (x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0
        ? (x >>> 16) | 0x40
        : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
    }
  } else {
    for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading.

/** Parses and validates the header of an open file; offsets become absolute. */
function readHeader(fd: number, path: string, lenient = lenientByDefault): { infos: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new Error(`safetensors ${path}: file is ${fileSize} bytes, too short for the 8-byte header length`);
  const lenBuf = Buffer.alloc(8);
  readFully(fd, lenBuf, 0);
  const headerLen = lenBuf.readBigUInt64LE(0);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw new Error(`safetensors ${path}: header length ${headerLen} is implausible (corrupt file or not safetensors)`);
  const n = Number(headerLen);
  if (8 + n > fileSize) throw new Error(`safetensors ${path}: header says ${n} bytes but the file has only ${fileSize - 8} after the length (truncated)`);
  const headerBuf = Buffer.alloc(n);
  readFully(fd, headerBuf, 8);
  const headerText = headerBuf.toString('utf8');
  if (!lenient) checkHeaderText(headerText, path);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (err) {
    throw new Error(`safetensors ${path}: header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`safetensors ${path}: header is not a JSON object`);
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const infos = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const entries = Object.entries(header as Record<string, unknown>);
  for (const [name, raw] of entries) {
    if (name === '__metadata__') {
      metadata = validateMetadata(raw, `safetensors ${path}: __metadata__`);
      continue;
    }
    const where = `safetensors ${path}: tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isSafetensorsDtype(dtype)) throw new Error(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      throw new Error(`${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const expected = elementCount(shape) * BYTES_PER_ELEMENT[dtype];
    if (offsets[1] - offsets[0] !== expected) throw new Error(`${where}: data_offsets span ${offsets[1] - offsets[0]} bytes but ${dtype}${JSON.stringify(shape)} needs ${expected}`);
    if (offsets[1] > dataSize) throw new Error(`${where}: data ends at byte ${offsets[1]} but the file holds only ${dataSize} data bytes (truncated)`);
    infos.set(name, { dtype, shape: [...shape], offset: dataStart + offsets[0], byteLength: expected });
  }
  // Files are read in data order so positioned reads walk forward through the file.
  const ordered = [...infos.entries()].sort((a, b) => a[1].offset - b[1].offset || a[1].byteLength - b[1].byteLength);
  if (!lenient) validateSafetensorsLayout(ordered.map(([name, info]) => ({ name, begin: info.offset - dataStart, end: info.offset - dataStart + info.byteLength })), dataSize, path);
  return { infos: new Map(ordered), metadata };
}

const SALVAGE_HINT = 'the file breaks the safetensors format; pass --lenient (or { lenient: true }) to read it anyway';

/** The header text must be one JSON object starting at its first byte, with no key twice. */
function checkHeaderText(text: string, path: string): void {
  if (!text.startsWith('{')) throw new Error(`safetensors ${path}: header does not start with "{" (starts with ${JSON.stringify(text.slice(0, 8))}); ${SALVAGE_HINT}`);
  const duplicate = firstDuplicateTopLevelKey(text);
  if (duplicate !== null) throw new Error(`safetensors ${path}: key ${JSON.stringify(duplicate)} appears twice in the header (JSON.parse would keep the last silently); ${SALVAGE_HINT}`);
}

/**
 * The first key that occurs twice at the top level of a JSON object text, or null. A small scanner (not a
 * parser): it tracks string literals and nesting depth, which is all key detection needs; the full
 * JSON.parse that follows still rejects malformed text.
 */
export function firstDuplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          return null; // malformed: JSON.parse reports it
        }
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1 && c === '{') expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return null;
}

/**
 * The format's layout rules, as the reference implementation checks them: sorted by start, the tensors'
 * byte ranges tile [0, dataSize) exactly — no hole between two tensors, no overlap, nothing after the
 * last. (Zero-sized tensors take no bytes.)
 */
export function validateSafetensorsLayout(ranges: readonly { name: string; begin: number; end: number }[], dataSize: number, path = 'file'): void {
  let offset = 0;
  for (const r of ranges) {
    if (r.begin > offset) throw new Error(`safetensors ${path}: ${r.begin - offset} byte(s) before tensor "${r.name}" belong to no tensor (a hole at data byte ${offset}); ${SALVAGE_HINT}`);
    if (r.begin < offset) throw new Error(`safetensors ${path}: tensor "${r.name}" starts at data byte ${r.begin}, inside the previous tensor (ends at ${offset}): overlapping tensors; ${SALVAGE_HINT}`);
    offset = r.end;
  }
  if (offset !== dataSize) throw new Error(`safetensors ${path}: ${dataSize - offset} trailing byte(s) after the last tensor (data ends at ${offset}, file holds ${dataSize}); ${SALVAGE_HINT}`);
}

function validateMetadata(raw: unknown, where: string): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where} must be an object of strings`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new Error(`${where}["${k}"] must be a string, got ${typeof v}`);
  }
  return { ...(raw as Record<string, string>) };
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const len = Math.min(IO_CHUNK, target.length - done);
    const got = readSync(fd, target, done, len, position + done);
    if (got === 0) throw new Error(`unexpected end of file after ${position + done} bytes`);
    done += got;
  }
}

function typedArrayFor(dtype: SafetensorsDtype, buf: ArrayBuffer, count: number): TensorData {
  switch (dtype) {
    case 'F64': return new Float64Array(buf, 0, count);
    case 'F32': return new Float32Array(buf, 0, count);
    case 'F16':
    case 'BF16': return new Uint16Array(buf, 0, count);
    case 'I64': return new BigInt64Array(buf, 0, count);
    case 'I32': return new Int32Array(buf, 0, count);
    case 'I16': return new Int16Array(buf, 0, count);
    case 'I8': return new Int8Array(buf, 0, count);
    case 'U32': return new Uint32Array(buf, 0, count);
    case 'F8_E4M3':
    case 'F8_E5M2':
    case 'U8':
    case 'BOOL': return new Uint8Array(buf, 0, count);
  }
}

/**
 * An open safetensors file: the header is parsed up front, tensors are read on demand by offset.
 * Use it for large files when only some tensors are needed; close() when done.
 */
export class SafetensorsFile {
  readonly path: string;
  readonly metadata: Record<string, string>;
  private readonly infos: Map<string, TensorInfo>;
  private fd: number | null;

  private constructor(path: string, fd: number, infos: Map<string, TensorInfo>, metadata: Record<string, string>) {
    this.path = path;
    this.fd = fd;
    this.infos = infos;
    this.metadata = metadata;
  }

  static open(path: string, options: { lenient?: boolean } = {}): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const { infos, metadata } = readHeader(fd, path, options.lenient ?? lenientByDefault);
      return new SafetensorsFile(path, fd, infos, metadata);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Tensor names in data order. */
  names(): string[] {
    return [...this.infos.keys()];
  }

  info(name: string): TensorInfo {
    const info = this.infos.get(name);
    if (!info) throw new Error(`safetensors ${this.path}: no tensor "${name}" (the file has ${this.infos.size}: ${preview(this.names())})`);
    return info;
  }

  read(name: string, options: { rawHalf?: boolean } = {}): SafeTensor {
    if (this.fd === null) throw new Error(`safetensors ${this.path}: file is closed`);
    const info = this.info(name);
    const bytes = new Uint8Array(info.byteLength);
    try {
      readFully(this.fd, bytes, info.offset);
    } catch (err) {
      throw new Error(`safetensors ${this.path}: tensor "${name}": ${(err as Error).message}`);
    }
    const count = elementCount(info.shape);
    let data = typedArrayFor(info.dtype, bytes.buffer, count);
    if ((info.dtype === 'F16' || info.dtype === 'BF16') && !options.rawHalf) data = widenHalf(data as Uint16Array, info.dtype);
    if ((info.dtype === 'F8_E4M3' || info.dtype === 'F8_E5M2') && !options.rawHalf) data = widenFloat8(data as Uint8Array, info.dtype);
    if (info.dtype === 'BOOL') {
      const b = data as Uint8Array;
      for (let i = 0; i < b.length; i++) if (b[i] > 1) throw new Error(`safetensors ${this.path}: tensor "${name}": BOOL byte ${b[i]} at index ${i} is not 0 or 1`);
    }
    return { dtype: info.dtype, shape: [...info.shape], data };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function preview(names: string[]): string {
  return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, …`;
}

function selector(names: ReadOptions['names']): (name: string) => boolean {
  if (!names) return () => true;
  if (typeof names === 'function') return names;
  const set = new Set(names);
  return (n) => set.has(n);
}

/** Header only: tensor infos and metadata, no tensor data read. */
export function readSafetensorsHeader(path: string, options: { lenient?: boolean } = {}): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const file = SafetensorsFile.open(path, options);
  try {
    return { tensors: new Map(file.names().map((n) => [n, file.info(n)])), metadata: file.metadata };
  } finally {
    file.close();
  }
}

/**
 * Reads a .safetensors file into memory, tensor by tensor.
 * Returns the tensors (Map in file order; F16/BF16 widened to Float32Array) and the `__metadata__`.
 * Names listed in `options.names` that the file lacks are an error.
 */
export function readSafetensors(path: string, options: ReadOptions = {}): { tensors: TensorMap; metadata: Record<string, string> } {
  const file = SafetensorsFile.open(path, { lenient: options.lenient });
  try {
    if (Array.isArray(options.names)) for (const n of options.names) file.info(n);
    const want = selector(options.names);
    const tensors: TensorMap = new Map();
    for (const name of file.names()) if (want(name)) tensors.set(name, file.read(name, { rawHalf: options.rawHalf }));
    return { tensors, metadata: file.metadata };
  } finally {
    file.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing.

function entriesOf(tensors: TensorInput): [string, SafeTensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

/** The bytes a tensor is stored as, converting F16/BF16 from floats when needed. */
function encode(name: string, t: SafeTensor): Uint8Array {
  const where = `safetensors: tensor "${name}"`;
  if (!isSafetensorsDtype(t.dtype)) throw new Error(`${where}: unsupported dtype ${JSON.stringify(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${where}: shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
  const count = elementCount(t.shape);
  if (t.data.length !== count) throw new Error(`${where}: shape ${JSON.stringify(t.shape)} has ${count} elements but data has ${t.data.length}`);
  const d = t.data;
  const ok = (cond: boolean, want: string): void => {
    if (!cond) throw new Error(`${where}: dtype ${t.dtype} needs ${want}, got ${d.constructor.name}`);
  };
  let out: ArrayBufferView;
  switch (t.dtype) {
    case 'F64': out = d instanceof Float64Array ? d : (ok(!(d instanceof BigInt64Array), 'numbers'), Float64Array.from(d as ArrayLike<number>)); break;
    case 'F32': out = d instanceof Float32Array ? d : (ok(!(d instanceof BigInt64Array), 'numbers'), Float32Array.from(d as ArrayLike<number>)); break;
    case 'F16':
    case 'BF16':
      if (d instanceof Uint16Array) out = d; // already raw half bits
      else { ok(d instanceof Float32Array || d instanceof Float64Array, 'a Float32Array (or Uint16Array raw bits)'); out = narrowToHalf(d as Float32Array, t.dtype); }
      break;
    case 'I64': ok(d instanceof BigInt64Array, 'a BigInt64Array'); out = d; break;
    case 'I32': ok(d instanceof Int32Array, 'an Int32Array'); out = d; break;
    case 'I16': ok(d instanceof Int16Array, 'an Int16Array'); out = d; break;
    case 'I8': ok(d instanceof Int8Array, 'an Int8Array'); out = d; break;
    case 'U32': ok(d instanceof Uint32Array, 'a Uint32Array'); out = d; break;
    case 'F8_E4M3':
    case 'F8_E5M2': ok(d instanceof Uint8Array, 'a Uint8Array of raw FP8 bits (narrowing floats to FP8 is not done here)'); out = d; break;
    case 'U8': ok(d instanceof Uint8Array, 'a Uint8Array'); out = d; break;
    case 'BOOL':
      ok(d instanceof Uint8Array, 'a Uint8Array of 0/1');
      for (let i = 0; i < d.length; i++) if ((d as Uint8Array)[i] > 1) throw new Error(`${where}: BOOL value ${(d as Uint8Array)[i]} at index ${i} is not 0 or 1`);
      out = d;
      break;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Alignment order of the reference writer: larger elements first, then by name. */
function storageOrder<T extends TensorSpec>(entries: [string, T][]): [string, T][] {
  return [...entries].sort((a, b) => BYTES_PER_ELEMENT[b[1].dtype] - BYTES_PER_ELEMENT[a[1].dtype] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Writes tensors to one .safetensors file (overwriting). `metadata` values must be strings
 * (Hugging Face transformers expects `{format: 'pt'}` in model files). Tensors are streamed to disk
 * one at a time; F16/BF16 are narrowed from Float32Array with round-to-nearest-even.
 */
export function writeSafetensors(path: string, tensors: TensorInput, metadata?: Record<string, string>): void {
  const entries = storageOrder(entriesOf(tensors));
  const { prefix } = safetensorsLayout(entries, metadata);
  const fd = openSync(path, 'w');
  try {
    writeFully(fd, prefix);
    for (const [name, t] of entries) writeFully(fd, encode(name, t));
  } finally {
    closeSync(fd);
  }
}

/** A tensor's description without data (what a header states). */
export type TensorSpec = { dtype: SafetensorsDtype; shape: number[] };

/**
 * The bytes before the data (8-byte length + space-padded JSON header) and each tensor's absolute
 * offset in the file, for tensors in storage order (see storageOrder).
 */
function safetensorsLayout(entries: [string, TensorSpec][], metadata?: Record<string, string>): { prefix: Uint8Array; offsets: Map<string, number> } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = validateMetadata(metadata, 'safetensors: metadata');
  let offset = 0;
  const relative = new Map<string, number>();
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved and cannot name a tensor');
    if (!isSafetensorsDtype(t.dtype)) throw new Error(`safetensors: tensor "${name}": unsupported dtype ${JSON.stringify(t.dtype)}`);
    const size = elementCount(t.shape) * BYTES_PER_ELEMENT[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    relative.set(name, offset);
    offset += size;
  }
  let headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) headerBytes = Buffer.concat([headerBytes, Buffer.alloc(padded - headerBytes.length, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  const start = 8 + headerBytes.length;
  return { prefix: Buffer.concat([len, headerBytes]), offsets: new Map([...relative].map(([n, o]) => [n, start + o])) };
}

/** Elements as stored: F32 as is, F16/BF16 narrowed (round to nearest even). For streaming writers. */
export function encodeFloats(values: Float32Array, dtype: 'F32' | 'F16' | 'BF16'): Uint8Array {
  const out = dtype === 'F32' ? values : narrowToHalf(values, dtype);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.length - done));
}

// ---------------------------------------------------------------------------------------------
// Sharded folders (`model-00001-of-00003.safetensors` + `model.safetensors.index.json`).

/** The Hugging Face index file next to shards. */
export interface SafetensorsIndex {
  metadata: { total_size: number; [key: string]: unknown };
  weight_map: Record<string, string>;
}

/** Parses "5GB" (10^9), "500MiB" (2^20), "2KB" or a plain byte count, like transformers' max_shard_size. */
export function parseByteSize(size: number | string): number {
  if (typeof size === 'number') {
    if (!(size > 0)) throw new Error(`max shard size must be positive, got ${size}`);
    return size;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(size);
  if (!m) throw new Error(`cannot parse size "${size}" (use e.g. 5GB, 500MiB or a byte count)`);
  const unit = (m[2] ?? 'B').toUpperCase();
  const mult: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  return Math.floor(Number(m[1]) * mult[unit]);
}

export interface WriteFolderOptions {
  /** Largest shard in bytes (or "5GB"); default 5GB like transformers. One tensor larger than this gets a shard of its own. */
  maxShardSize?: number | string;
  /** `__metadata__` written into every shard. */
  metadata?: Record<string, string>;
  /** File stem: `model` gives model.safetensors / model-0000i-of-0000n.safetensors + model.safetensors.index.json. */
  stem?: string;
}

/**
 * Writes tensors into `dir` as `{stem}.safetensors` when they fit in one shard, otherwise as numbered
 * shards plus `{stem}.safetensors.index.json` (greedy in the given order, as transformers does).
 * Returns the file names written.
 */
export function writeSafetensorsFolder(dir: string, tensors: TensorInput, options: WriteFolderOptions = {}): string[] {
  const plan = planSafetensorsFolder(entriesOf(tensors), options);
  mkdirSync(dir, { recursive: true });
  for (const shard of plan.shards) writeSafetensors(join(dir, shard.file), new Map(shard.entries), options.metadata);
  return writeIndex(dir, plan, options.stem);
}

/** Which shard file holds which tensors (greedy in the given order, as transformers does). */
export interface FolderPlan<T extends TensorSpec = TensorSpec> {
  shards: { file: string; entries: [string, T][]; bytes: number }[];
  totalBytes: number;
}

/** Shards of at most `maxShardSize` (default 5GB); one tensor larger than that gets a shard of its own. */
export function planSafetensorsFolder<T extends TensorSpec>(entries: [string, T][], options: WriteFolderOptions = {}): FolderPlan<T> {
  const maxBytes = parseByteSize(options.maxShardSize ?? '5GB');
  const stem = options.stem ?? 'model';
  const groups: { entries: [string, T][]; bytes: number }[] = [{ entries: [], bytes: 0 }];
  let total = 0;
  for (const entry of entries) {
    const size = elementCount(entry[1].shape) * BYTES_PER_ELEMENT[entry[1].dtype];
    if (groups.at(-1)!.bytes > 0 && groups.at(-1)!.bytes + size > maxBytes) groups.push({ entries: [], bytes: 0 });
    groups.at(-1)!.entries.push(entry);
    groups.at(-1)!.bytes += size;
    total += size;
  }
  const n = groups.length;
  const pad = (i: number) => String(i).padStart(5, '0');
  const shards = groups.map((g, i) => ({ ...g, file: n === 1 ? `${stem}.safetensors` : `${stem}-${pad(i + 1)}-of-${pad(n)}.safetensors` }));
  return { shards, totalBytes: total };
}

/**
 * Removes weight files of an earlier save that this one does not rewrite: the single file when saving
 * shards, the index and shards when saving one file, shards of another count. Readers prefer
 * `{stem}.safetensors` over an index (transformers' precedence), so a stale single file would otherwise
 * shadow the new shards. Only names of this exact pattern are touched; transformers' save does the same.
 */
function removeStaleWeights(dir: string, stem: string, kept: readonly string[]): void {
  const keep = new Set(kept);
  const escaped = stem.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&');
  const shard = new RegExp('^' + escaped + '-\\d{5}-of-\\d{5}\\.safetensors$');
  for (const name of readdirSync(dir)) {
    if (keep.has(name)) continue;
    const stale = name === `${stem}.safetensors` || name === `${stem}.safetensors.index.json` || shard.test(name);
    if (stale) rmSync(join(dir, name), { force: true });
  }
}

/** Writes the index when the plan has several shards; returns every file name of the folder's weights. */
function writeIndex(dir: string, plan: FolderPlan, stem = 'model'): string[] {
  const files = plan.shards.map((s) => s.file);
  removeStaleWeights(dir, stem, plan.shards.length === 1 ? files : [...files, `${stem}.safetensors.index.json`]);
  if (plan.shards.length === 1) return files;
  const index: SafetensorsIndex = { metadata: { total_size: plan.totalBytes }, weight_map: {} };
  for (const shard of plan.shards) for (const [name] of shard.entries) index.weight_map[name] = shard.file;
  // Sorted keys, like transformers, so diffs of the index are stable.
  index.weight_map = Object.fromEntries(Object.entries(index.weight_map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const indexFile = `${stem}.safetensors.index.json`;
  writeFileSync(join(dir, indexFile), JSON.stringify(index, null, 2) + '\n');
  return [...files, indexFile];
}

/**
 * Writes a folder tensor by tensor without holding any tensor whole: `fill` is called once per tensor,
 * in the given order, and hands its bytes to `write` in as many consecutive chunks as it likes.
 * The files are byte-identical to writeSafetensorsFolder's for the same tensors.
 */
export function writeSafetensorsFolderStreaming(
  dir: string,
  entries: [string, TensorSpec][],
  fill: (name: string, spec: TensorSpec, write: (bytes: Uint8Array) => void) => void,
  options: WriteFolderOptions = {},
): string[] {
  const plan = planSafetensorsFolder(entries, options);
  mkdirSync(dir, { recursive: true });
  const open: { fd: number; offsets: Map<string, number> }[] = [];
  const where = new Map<string, { fd: number; offset: number }>();
  try {
    for (const shard of plan.shards) {
      const { prefix, offsets } = safetensorsLayout(storageOrder(shard.entries), options.metadata);
      const fd = openSync(join(dir, shard.file), 'w');
      open.push({ fd, offsets });
      writeFully(fd, prefix);
      for (const [name, offset] of offsets) where.set(name, { fd, offset });
    }
    for (const [name, spec] of entries) {
      const at = where.get(name)!;
      const expected = elementCount(spec.shape) * BYTES_PER_ELEMENT[spec.dtype];
      let written = 0;
      fill(name, spec, (bytes) => {
        if (written + bytes.length > expected) throw new Error(`safetensors: tensor "${name}": more than its ${expected} bytes written`);
        writeFullyAt(at.fd, bytes, at.offset + written);
        written += bytes.length;
      });
      if (written !== expected) throw new Error(`safetensors: tensor "${name}": ${written} of its ${expected} bytes written`);
    }
  } finally {
    for (const { fd } of open) closeSync(fd);
  }
  return writeIndex(dir, plan, options.stem);
}

function writeFullyAt(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.length - done), position + done);
}

/**
 * The safetensors files of a folder and which file holds each tensor: `{stem}.safetensors` when present
 * (transformers' precedence), else the shards `{stem}.safetensors.index.json` names. Missing files are a
 * clear error listing what the folder has.
 */
export function locateSafetensors(dir: string, stem = 'model'): { files: string[]; weightMap: Map<string, string> | null } {
  // transformers' precedence: the single file wins over an index beside it (a folder holding both is
  // usually a re-save next to stale shards, and transformers would load the single file).
  const single = `${stem}.safetensors`;
  if (existsSync(join(dir, single))) return { files: [single], weightMap: null };
  const indexPath = join(dir, `${stem}.safetensors.index.json`);
  if (existsSync(indexPath)) {
    let index: SafetensorsIndex;
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (err) {
      throw new Error(`${indexPath}: not valid JSON (${(err as Error).message})`);
    }
    if (!index || typeof index.weight_map !== 'object' || index.weight_map === null) throw new Error(`${indexPath}: has no "weight_map" object`);
    const weightMap = new Map(Object.entries(index.weight_map));
    const files = [...new Set(weightMap.values())];
    const missing = files.filter((f) => !existsSync(join(dir, f)));
    if (missing.length) throw new Error(`${indexPath} names shards that are missing: ${missing.join(', ')} (folder has: ${listing(dir)})`);
    return { files, weightMap };
  }
  throw new Error(`no ${single} or ${stem}.safetensors.index.json in ${dir} (folder has: ${listing(dir)})`);
}

function listing(dir: string): string {
  if (!existsSync(dir)) return 'the folder does not exist';
  const names = readdirSync(dir).sort();
  return names.length ? names.join(', ') : 'nothing';
}

/**
 * Reads every tensor of a single-file or sharded folder. Checks that each shard holds exactly the
 * tensors the index assigns to it. Metadata is the first shard's.
 */
export function readSafetensorsFolder(dir: string, options: ReadOptions & { stem?: string } = {}): { tensors: TensorMap; metadata: Record<string, string> } {
  const { files, weightMap } = locateSafetensors(dir, options.stem);
  const want = selector(options.names);
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> | null = null;
  for (const file of files) {
    const path = join(dir, file);
    const handle = SafetensorsFile.open(path, { lenient: options.lenient });
    try {
      metadata ??= handle.metadata;
      for (const name of handle.names()) {
        if (weightMap && weightMap.get(name) !== file) {
          throw new Error(`${path} holds "${name}" but the index ${weightMap.has(name) ? `puts it in ${weightMap.get(name)}` : 'does not list it'}`);
        }
        if (tensors.has(name)) throw new Error(`tensor "${name}" appears in more than one shard of ${dir}`);
        if (want(name)) tensors.set(name, handle.read(name, { rawHalf: options.rawHalf }));
      }
    } finally {
      handle.close();
    }
  }
  if (weightMap) {
    for (const [name, file] of weightMap) {
      if (want(name) && !tensors.has(name)) throw new Error(`index of ${dir} puts "${name}" in ${file} but that shard does not contain it`);
    }
  }
  if (Array.isArray(options.names)) {
    const absent = options.names.filter((n) => !tensors.has(n));
    if (absent.length) throw new Error(`${dir}: no tensors named ${absent.join(', ')}`);
  }
  return { tensors, metadata: metadata ?? {} };
}
