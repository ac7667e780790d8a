// Protocol-buffers wire-format writer: just what the ONNX emitter needs (varints, fixed32/64,
// length-delimited fields, nested messages, packed repeated numbers).
//
// Weights dominate an ONNX file, so large byte fields are kept as references to the caller's
// memory and copied exactly once, in finish(). A nested message is written into its own writer and
// spliced into the parent by reference, so a tensor's bytes are never copied per nesting level.

/** protobuf's hard limit for one serialized message (int32 sizes). */
export const PROTOBUF_MAX_BYTES = 2 ** 31 - 1;

/** Byte fields at least this large are referenced rather than copied into the scratch buffer. */
const REFERENCE_THRESHOLD = 4096;

export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const utf8 = new TextEncoder();

export class ProtoWriter {
  /** Finished pieces, in order; the scratch buffer follows them. */
  private readonly segments: Uint8Array[] = [];
  private segmentsLength = 0;
  private scratch = new Uint8Array(64);
  private pos = 0;
  private view: DataView | null = null;

  /** Total bytes written so far. */
  get length(): number {
    return this.segmentsLength + this.pos;
  }

  // ---- raw primitives ----

  private reserve(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    let size = this.scratch.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.scratch.subarray(0, this.pos));
    this.scratch = grown;
    this.view = null;
  }

  /** Moves the scratch bytes into the segment list so that a referenced segment can follow. */
  private flushScratch(): void {
    if (this.pos === 0) return;
    this.segments.push(this.scratch.slice(0, this.pos));
    this.segmentsLength += this.pos;
    this.pos = 0;
  }

  /** Unsigned varint of a non-negative safe integer. */
  uvarint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf: bad varint ${value}`);
    this.reserve(10);
    while (value >= 0x80) {
      this.scratch[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.scratch[this.pos++] = value;
  }

  /** Varint of a signed 64-bit integer (negative values take ten bytes, two's complement). */
  int64(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new RangeError(`protobuf: int64 value ${value} is not an integer`);
      if (value >= 0 && Number.isSafeInteger(value)) return this.uvarint(value);
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    this.reserve(10);
    while (v >= 0x80n) {
      this.scratch[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.pos++] = Number(v);
  }

  tag(field: number, wire: WireType): void {
    this.uvarint(field * 8 + wire);
  }

  private rawFloat32(value: number): void {
    this.reserve(4);
    this.view ??= new DataView(this.scratch.buffer);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  private rawBytes(data: Uint8Array): void {
    if (data.length >= REFERENCE_THRESHOLD) {
      this.flushScratch();
      this.segments.push(data);
      this.segmentsLength += data.length;
      return;
    }
    this.reserve(data.length);
    this.scratch.set(data, this.pos);
    this.pos += data.length;
  }

  // ---- fields ----

  int64Field(field: number, value: number | bigint): void {
    this.tag(field, WireType.Varint);
    this.int64(value);
  }

  floatField(field: number, value: number): void {
    this.tag(field, WireType.Fixed32);
    this.rawFloat32(value);
  }

  bytesField(field: number, data: Uint8Array): void {
    this.tag(field, WireType.LengthDelimited);
    this.uvarint(data.length);
    this.rawBytes(data);
  }

  stringField(field: number, value: string): void {
    // Graph names are almost always ASCII: write those bytes directly (TextEncoder dominates otherwise).
    const n = value.length;
    let ascii = n < 1024;
    for (let i = 0; ascii && i < n; i++) if (value.charCodeAt(i) >= 0x80) ascii = false;
    if (!ascii) return this.bytesField(field, utf8.encode(value));
    this.tag(field, WireType.LengthDelimited);
    this.uvarint(n);
    this.reserve(n);
    for (let i = 0; i < n; i++) this.scratch[this.pos++] = value.charCodeAt(i);
  }

  /** Splices a finished child message in by reference (its segments are shared, not copied). */
  messageField(field: number, child: ProtoWriter): void {
    this.tag(field, WireType.LengthDelimited);
    this.uvarint(child.length);
    if (child.segments.length === 0) {
      // Small child (no referenced payloads): copying its bytes is cheaper than another segment.
      this.reserve(child.pos);
      this.scratch.set(child.scratch.subarray(0, child.pos), this.pos);
      this.pos += child.pos;
      return;
    }
    child.flushScratch();
    this.flushScratch();
    for (const segment of child.segments) this.segments.push(segment);
    this.segmentsLength += child.segmentsLength;
  }

  /** Packed repeated int64 (parsers accept packed encoding for any repeated scalar field). */
  packedInt64Field(field: number, values: readonly (number | bigint)[]): void {
    if (values.length === 0) return;
    const body = new ProtoWriter();
    for (const v of values) body.int64(v);
    this.tag(field, WireType.LengthDelimited);
    this.uvarint(body.length);
    this.rawBytes(body.finish());
  }

  packedFloatField(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const body = new Float32Array(values);
    this.bytesField(field, new Uint8Array(body.buffer));
  }

  /** Concatenates everything written into one buffer. */
  finish(): Uint8Array {
    if (this.segments.length === 0) return this.scratch.slice(0, this.pos);
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const segment of this.segments) {
      out.set(segment, offset);
      offset += segment.length;
    }
    out.set(this.scratch.subarray(0, this.pos), offset);
    return out;
  }
}
