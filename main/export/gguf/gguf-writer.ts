// A streaming GGUF v3 writer: metadata and tensor infos first, then each tensor's bytes in the order the
// infos were declared, so an exporter holds one tensor (or a slice of one) in memory at a time.
//
// File layout (gguf-py gguf_writer.py, ggml docs/gguf.md):
//   u32 magic "GGUF" | u32 version 3 | u64 tensor_count | u64 kv_count
//   kv_count × (string key | u32 value_type | value)          strings are u64 length + UTF-8 bytes
//   tensor_count × (string name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset)
//   zero padding to `general.alignment` (32 by default), then the tensor data; each tensor's offset is
//   relative to that point and aligned, with zero padding between tensors.
// ne[0] is the fastest-varying dimension: a PyTorch/safetensors shape [rows, cols] is written [cols, rows].

import { closeSync, openSync, writeSync } from 'node:fs';
import { GGML_BLOCK, GGMLType, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GGUFValueType, ggmlByteSize, ggmlTypeName } from './constants.ts';

/** A metadata value with its GGUF type; arrays carry their element type. */
export type GGUFValue =
  | { type: GGUFValueType.STRING; value: string }
  | { type: GGUFValueType.BOOL; value: boolean }
  | { type: GGUFValueType.UINT8 | GGUFValueType.INT8 | GGUFValueType.UINT16 | GGUFValueType.INT16 | GGUFValueType.UINT32 | GGUFValueType.INT32 | GGUFValueType.FLOAT32 | GGUFValueType.FLOAT64; value: number }
  | { type: GGUFValueType.UINT64 | GGUFValueType.INT64; value: bigint | number }
  | { type: GGUFValueType.ARRAY; itemType: GGUFValueType; value: readonly (string | number | boolean | bigint)[] };

export interface PlannedTensor {
  name: string;
  /** Row-major shape as PyTorch writes it (outermost first); reversed into ggml's ne[] on disk. */
  shape: number[];
  type: GGMLType;
  /** Offset from the start of the data section. */
  offset: number;
  byteLength: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** Serialises little-endian values into one growing buffer (header only; tensor data goes straight to the file). */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  push(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
  }
  u32(n: number): void {
    { const at = this.room(4); this.buf.writeUInt32LE(n >>> 0, at); }
  }
  u64(n: number | bigint): void {
    { const at = this.room(8); this.buf.writeBigUInt64LE(BigInt(n), at); }
  }
  string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.u64(len);
    const at = this.room(len);
    this.buf.write(s, at, len, 'utf8');
  }
  scalar(type: GGUFValueType, v: string | number | boolean | bigint): void {
    switch (type) {
      case GGUFValueType.UINT8: { const at = this.room(1); this.buf.writeUInt8(Number(v), at); } break;
      case GGUFValueType.INT8: { const at = this.room(1); this.buf.writeInt8(Number(v), at); } break;
      case GGUFValueType.UINT16: { const at = this.room(2); this.buf.writeUInt16LE(Number(v), at); } break;
      case GGUFValueType.INT16: { const at = this.room(2); this.buf.writeInt16LE(Number(v), at); } break;
      case GGUFValueType.UINT32: { const at = this.room(4); this.buf.writeUInt32LE(Number(v), at); } break;
      case GGUFValueType.INT32: { const at = this.room(4); this.buf.writeInt32LE(Number(v), at); } break;
      case GGUFValueType.FLOAT32: { const at = this.room(4); this.buf.writeFloatLE(Number(v), at); } break;
      case GGUFValueType.FLOAT64: { const at = this.room(8); this.buf.writeDoubleLE(Number(v), at); } break;
      case GGUFValueType.UINT64: { const at = this.room(8); this.buf.writeBigUInt64LE(BigInt(v), at); } break;
      case GGUFValueType.INT64: { const at = this.room(8); this.buf.writeBigInt64LE(BigInt(v), at); } break;
      case GGUFValueType.BOOL: { const at = this.room(1); this.buf.writeUInt8(v ? 1 : 0, at); } break;
      case GGUFValueType.STRING: this.string(String(v)); break;
      default: throw new Error(`GGUF: ${GGUFValueType[type] ?? type} is not a scalar type`);
    }
  }
  concat(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export class GGUFWriter {
  private readonly kv = new Map<string, GGUFValue>();
  private readonly tensors: PlannedTensor[] = [];
  private dataSize = 0;
  private fd: number | null = null;
  private headerBytes = 0;
  /** Index of the tensor being written and how many of its bytes are written. */
  private current = 0;
  private currentWritten = 0;
  readonly alignment: number;

  constructor(readonly path: string, options: { alignment?: number } = {}) {
    this.alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    if (!Number.isInteger(this.alignment) || this.alignment <= 0 || this.alignment % 8 !== 0) throw new Error(`GGUF: alignment must be a positive multiple of 8, got ${this.alignment}`);
    if (this.alignment !== GGUF_DEFAULT_ALIGNMENT) this.set('general.alignment', { type: GGUFValueType.UINT32, value: this.alignment });
  }

  set(key: string, value: GGUFValue): void {
    if (this.fd !== null) throw new Error(`GGUF: metadata "${key}" set after the header was written`);
    if (this.kv.has(key)) throw new Error(`GGUF: duplicate metadata key "${key}"`);
    this.kv.set(key, value);
  }
  setString(key: string, value: string): void { this.set(key, { type: GGUFValueType.STRING, value }); }
  setU32(key: string, value: number): void { this.set(key, { type: GGUFValueType.UINT32, value }); }
  setF32(key: string, value: number): void { this.set(key, { type: GGUFValueType.FLOAT32, value }); }
  setBool(key: string, value: boolean): void { this.set(key, { type: GGUFValueType.BOOL, value }); }
  setArray(key: string, itemType: GGUFValueType, value: readonly (string | number | boolean | bigint)[]): void {
    this.set(key, { type: GGUFValueType.ARRAY, itemType, value });
  }

  /** Declares a tensor; data must later be written in declaration order. */
  addTensor(name: string, shape: number[], type: GGMLType): PlannedTensor {
    if (this.fd !== null) throw new Error(`GGUF: tensor "${name}" declared after the header was written`);
    if (this.tensors.some((t) => t.name === name)) throw new Error(`GGUF: duplicate tensor "${name}"`);
    if (Buffer.byteLength(name) > 64) throw new Error(`GGUF: tensor name "${name}" is longer than ggml's 64-byte limit`);
    const count = shape.reduce((a, b) => a * b, 1);
    const inner = shape[shape.length - 1];
    if (inner % GGML_BLOCK[type].elements !== 0) throw new Error(`GGUF: tensor "${name}" rows of ${inner} are not whole ${ggmlTypeName(type)} blocks`);
    const planned: PlannedTensor = { name, shape: [...shape], type, offset: this.dataSize, byteLength: ggmlByteSize(type, count) };
    this.tensors.push(planned);
    this.dataSize = align(this.dataSize + planned.byteLength, this.alignment);
    return planned;
  }

  get plannedTensors(): readonly PlannedTensor[] {
    return this.tensors;
  }

  /** Total size of the file once every tensor is written. */
  get fileSize(): number {
    return this.headerBytes + this.dataSize;
  }

  /** Writes the header (metadata, tensor infos, padding); tensor data follows with writeTensorData. */
  writeHeader(): void {
    if (this.fd !== null) throw new Error('GGUF: header already written');
    const sink = new ByteSink();
    sink.u32(GGUF_MAGIC);
    sink.u32(GGUF_VERSION);
    sink.u64(this.tensors.length);
    sink.u64(this.kv.size);
    for (const [key, v] of this.kv) {
      sink.string(key);
      sink.u32(v.type);
      if (v.type === GGUFValueType.ARRAY) {
        if (v.itemType === GGUFValueType.ARRAY) throw new Error(`GGUF: "${key}": nested arrays are not written`);
        sink.u32(v.itemType);
        sink.u64(v.value.length);
        for (const item of v.value) sink.scalar(v.itemType, item);
      } else sink.scalar(v.type, v.value);
    }
    for (const t of this.tensors) {
      sink.string(t.name);
      sink.u32(t.shape.length);
      for (let i = t.shape.length - 1; i >= 0; i--) sink.u64(t.shape[i]);
      sink.u32(t.type);
      sink.u64(t.offset);
    }
    const padded = align(sink.length, this.alignment);
    sink.push(Buffer.alloc(padded - sink.length));
    this.headerBytes = padded;
    this.fd = openSync(this.path, 'w');
    this.writeAll(sink.concat());
  }

  /**
   * Appends bytes of the current tensor (in declaration order); a tensor may come in several slices.
   * When its last byte arrives the padding to the next aligned offset is written.
   */
  writeTensorData(name: string, bytes: Uint8Array): void {
    if (this.fd === null) throw new Error('GGUF: write the header before tensor data');
    const t = this.tensors[this.current];
    if (!t) throw new Error(`GGUF: tensor "${name}" written after every declared tensor`);
    if (t.name !== name) throw new Error(`GGUF: expected data for "${t.name}" (declaration order), got "${name}"`);
    if (this.currentWritten + bytes.byteLength > t.byteLength) throw new Error(`GGUF: "${name}" gets more than its ${t.byteLength} bytes`);
    this.writeAll(bytes);
    this.currentWritten += bytes.byteLength;
    if (this.currentWritten === t.byteLength) {
      const end = t.offset + t.byteLength;
      const pad = align(end, this.alignment) - end;
      if (pad > 0) this.writeAll(new Uint8Array(pad)); // the last tensor is padded too, as gguf-py does
      this.current++;
      this.currentWritten = 0;
    }
  }

  /** Closes the file; every declared tensor must be complete. */
  close(): void {
    if (this.fd === null) throw new Error('GGUF: nothing written');
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
    if (this.current !== this.tensors.length) {
      const t = this.tensors[this.current];
      throw new Error(`GGUF: closed before tensor "${t.name}" was complete (${this.currentWritten} of ${t.byteLength} bytes)`);
    }
  }

  /** Closes without checks (after an error). */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private writeAll(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(this.fd!, bytes, off, Math.min(bytes.byteLength - off, 1 << 30));
  }
}
