// A GGUF v3 reader of our own: header, metadata, tensor infos and tensor bytes by positioned reads.
// It checks what llama.cpp's loader checks (magic, version, alignment, offsets inside the file) so tests
// and `model export --format gguf` can verify a written file without llama.cpp.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GGML_BLOCK, GGMLType, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUFValueType, ggmlByteSize, ggmlTypeName } from './constants.ts';
import { dequantize } from './quants.ts';

export type GGUFScalar = string | number | boolean | bigint;

export interface GGUFMetadataEntry {
  type: GGUFValueType;
  /** Array entries: the element type. */
  itemType?: GGUFValueType;
  value: GGUFScalar | GGUFScalar[];
}

export interface GGUFTensorInfo {
  name: string;
  /** ggml order: ne[0] is the fastest-varying dimension. */
  dims: number[];
  type: GGMLType;
  /** Offset from the data section start. */
  offset: number;
  byteLength: number;
}

export interface GGUFHeader {
  version: number;
  metadata: Map<string, GGUFMetadataEntry>;
  tensors: GGUFTensorInfo[];
  alignment: number;
  /** Absolute file offset of the data section. */
  dataOffset: number;
  fileSize: number;
}

/** Reads from a file descriptor through a window that grows as the header parse needs more bytes. */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly fd: number, private readonly size: number) {}

  private need(n: number): Buffer {
    if (this.pos + n > this.size) throw new Error(`GGUF: truncated header (needs ${n} bytes at offset ${this.pos}, the file has ${this.size})`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      const len = Math.min(this.size - this.pos, Math.max(n, 4 << 20));
      this.buf = Buffer.alloc(len);
      readSync(this.fd, this.buf, 0, len, this.pos);
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }
  u8() { return this.need(1).readUInt8(0); }
  i8() { return this.need(1).readInt8(0); }
  u16() { return this.need(2).readUInt16LE(0); }
  i16() { return this.need(2).readInt16LE(0); }
  u32() { return this.need(4).readUInt32LE(0); }
  i32() { return this.need(4).readInt32LE(0); }
  f32() { return this.need(4).readFloatLE(0); }
  f64() { return this.need(8).readDoubleLE(0); }
  u64(): bigint { return this.need(8).readBigUInt64LE(0); }
  i64(): bigint { return this.need(8).readBigInt64LE(0); }
  /** A u64 that must fit a JS number (counts, lengths, offsets). */
  count(what: string): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`GGUF: ${what} ${v} is too large`);
    return Number(v);
  }
  string(): string {
    const len = this.count('string length');
    return this.need(len).toString('utf8');
  }
}

function readScalar(c: Cursor, type: GGUFValueType): GGUFScalar {
  switch (type) {
    case GGUFValueType.UINT8: return c.u8();
    case GGUFValueType.INT8: return c.i8();
    case GGUFValueType.UINT16: return c.u16();
    case GGUFValueType.INT16: return c.i16();
    case GGUFValueType.UINT32: return c.u32();
    case GGUFValueType.INT32: return c.i32();
    case GGUFValueType.FLOAT32: return c.f32();
    case GGUFValueType.FLOAT64: return c.f64();
    case GGUFValueType.UINT64: return c.u64();
    case GGUFValueType.INT64: return c.i64();
    case GGUFValueType.BOOL: {
      const b = c.u8();
      if (b > 1) throw new Error(`GGUF: bool byte ${b} is not 0 or 1`);
      return b === 1;
    }
    case GGUFValueType.STRING: return c.string();
    default: throw new Error(`GGUF: unknown value type ${type}`);
  }
}

export class GGUFFile {
  private constructor(private fd: number | null, readonly path: string, readonly header: GGUFHeader) {}

  static open(path: string): GGUFFile {
    const fd = openSync(path, 'r');
    try {
      return new GGUFFile(fd, path, parseHeader(fd, fstatSync(fd).size));
    } catch (err) {
      closeSync(fd);
      throw new Error(`${path}: ${(err as Error).message}`);
    }
  }

  get metadata(): Map<string, GGUFMetadataEntry> {
    return this.header.metadata;
  }

  /** A metadata value (arrays as JS arrays); throws naming the key when absent. */
  value(key: string): GGUFScalar | GGUFScalar[] {
    const e = this.header.metadata.get(key);
    if (!e) throw new Error(`GGUF ${this.path}: no metadata "${key}"`);
    return e.value;
  }

  tensor(name: string): GGUFTensorInfo {
    const t = this.header.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`GGUF ${this.path}: no tensor "${name}"`);
    return t;
  }

  /** The tensor's raw bytes as stored. */
  readBytes(name: string): Uint8Array {
    if (this.fd === null) throw new Error(`GGUF ${this.path}: closed`);
    const t = this.tensor(name);
    const out = new Uint8Array(t.byteLength);
    let done = 0;
    while (done < out.length) done += readSync(this.fd, out, done, Math.min(out.length - done, 1 << 30), this.header.dataOffset + t.offset + done);
    return out;
  }

  /** The tensor decoded to float32, in row-major order (ggml ne[0] fastest). */
  readFloat(name: string): Float32Array {
    const t = this.tensor(name);
    return dequantize(this.readBytes(name), t.type, t.dims.reduce((a, b) => a * b, 1));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function parseHeader(fd: number, size: number): GGUFHeader {
  const c = new Cursor(fd, size);
  const magic = c.u32();
  if (magic !== GGUF_MAGIC) throw new Error(`not a GGUF file (magic 0x${magic.toString(16)})`);
  const version = c.u32();
  if (version !== 3 && version !== 2) throw new Error(`GGUF version ${version} is not supported (2 or 3)`);
  const tensorCount = c.count('tensor count');
  const kvCount = c.count('metadata count');
  const metadata = new Map<string, GGUFMetadataEntry>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string();
    if (metadata.has(key)) throw new Error(`duplicate metadata key "${key}"`);
    const type = c.u32() as GGUFValueType;
    if (type === GGUFValueType.ARRAY) {
      const itemType = c.u32() as GGUFValueType;
      if (itemType === GGUFValueType.ARRAY) throw new Error(`"${key}": nested arrays are not supported`);
      const n = c.count(`"${key}" length`);
      const value: GGUFScalar[] = new Array(n);
      for (let j = 0; j < n; j++) value[j] = readScalar(c, itemType);
      metadata.set(key, { type, itemType, value });
    } else metadata.set(key, { type, value: readScalar(c, type) });
  }
  const alignEntry = metadata.get('general.alignment');
  const alignment = alignEntry ? Number(alignEntry.value) : GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) throw new Error(`general.alignment ${alignment} is not a power of two`);
  const tensors: GGUFTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string();
    const nDims = c.u32();
    if (nDims < 1 || nDims > 4) throw new Error(`tensor "${name}" has ${nDims} dimensions (ggml allows 1–4)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.count(`tensor "${name}" dimension`));
    const type = c.u32() as GGMLType;
    if (!GGML_BLOCK[type]) throw new Error(`tensor "${name}" has type ${ggmlTypeName(type)}, which this reader does not decode`);
    const offset = c.count(`tensor "${name}" offset`);
    if (offset % alignment !== 0) throw new Error(`tensor "${name}" offset ${offset} is not aligned to ${alignment}`);
    if (dims[0] % GGML_BLOCK[type].elements !== 0) throw new Error(`tensor "${name}" rows of ${dims[0]} are not whole ${ggmlTypeName(type)} blocks`);
    tensors.push({ name, dims, type, offset, byteLength: ggmlByteSize(type, dims.reduce((a, b) => a * b, 1)) });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  for (const t of tensors) {
    if (dataOffset + t.offset + t.byteLength > size) throw new Error(`tensor "${t.name}" ends past the end of the file (${dataOffset + t.offset + t.byteLength} > ${size})`);
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + prev.byteLength > sorted[i].offset) throw new Error(`tensors "${prev.name}" and "${sorted[i].name}" overlap`);
  }
  return { version, metadata, tensors, alignment, dataOffset, fileSize: size };
}
