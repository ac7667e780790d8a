// TensorBoard event files, written without TensorFlow: `runs/<name>/tb/events.out.tfevents.<time>.<host>`
// so `tensorboard --logdir runs` shows every run's curves next to the app's own charts.
//
// Format (tensorflow/core/lib/io/record_writer.cc, tensorboardX record_writer.py / event_file_writer.py):
// a TFRecord stream, each record `u64 length | u32 masked_crc32c(length) | data | u32 masked_crc32c(data)`,
// masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8. Each record is one `Event` protobuf, hand-encoded:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
//   SummaryMetadata { PluginData plugin_data = 1; }  PluginData { string plugin_name = 1; bytes content = 2; }
//   TensorProto { DataType dtype = 1 (DT_STRING = 7); TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; }
//   TensorShapeProto { repeated Dim dim = 2; }  Dim { int64 size = 1; }
// The first event carries file_version "brain.Event:2". Scalars use simple_value; text goes through the
// text plugin as a 1-element string tensor, as tensorboardX's add_text writes it.

import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

// ------------------------------------------------------------------------------------------ CRC32C

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), the checksum TFRecord uses. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay well mixed. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// ------------------------------------------------------------------------------------------ protobuf

/** Minimal protobuf encoding: varints, fixed 32/64, and length-delimited fields. */
class Proto {
  private parts: Buffer[] = [];
  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }
  private varint(v: bigint): void {
    const bytes: number[] = [];
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      bytes.push(b);
    } while (x);
    this.parts.push(Buffer.from(bytes));
  }
  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(BigInt(v));
    return this;
  }
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.parts.push(b);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.parts.push(b);
    return this;
  }
  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.parts.push(b);
    return this;
  }
  message(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const DT_STRING = 7;

function scalarValue(tag: string, value: number): Proto {
  return new Proto().bytes(1, tag).float(2, value);
}

function textValue(tag: string, text: string): Proto {
  const pluginData = new Proto().bytes(1, 'text').bytes(2, new Uint8Array(0)); // TextPluginData{version: 0} encodes to nothing
  const shape = new Proto().message(2, new Proto().int(1, 1));
  const tensor = new Proto().int(1, DT_STRING).message(2, shape).bytes(8, text);
  return new Proto().bytes(1, tag).message(8, tensor).message(9, new Proto().message(1, pluginData));
}

function event(step: number, values: Proto[], wallTime = Date.now() / 1000): Buffer {
  const summary = new Proto();
  for (const v of values) summary.message(1, v);
  return new Proto().double(1, wallTime).int(2, step).message(5, summary).finish();
}

// ------------------------------------------------------------------------------------------ writer

let fileCounter = 0;

export class TensorBoardWriter {
  private constructor(private fd: number | null, readonly path: string) {}

  /** Creates `dir` and a new events file in it (one per writer: a resumed run adds a file, as TensorBoard expects). */
  static open(dir: string): TensorBoardWriter {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname().replace(/[^\w.-]/g, '_')}.${process.pid}.${fileCounter++}`);
    const fd = openSync(path, 'wx');
    const writer = new TensorBoardWriter(fd, path);
    writer.write(new Proto().double(1, Date.now() / 1000).int(2, 0).bytes(3, 'brain.Event:2').finish());
    return writer;
  }

  /** Scalars of one step, as `tag → value`; non-finite values are skipped (TensorBoard would plot them as gaps anyway). */
  scalars(step: number, values: Record<string, number>): void {
    const list = Object.entries(values).filter(([, v]) => Number.isFinite(v)).map(([tag, v]) => scalarValue(tag, v));
    if (list.length) this.write(event(step, list));
  }

  /** A text entry (markdown) under the Text tab: sample rollouts, configs. */
  text(step: number, tag: string, text: string): void {
    this.write(event(step, [textValue(`${tag}/text_summary`, text)]));
  }

  /** Makes what was written durable. */
  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }

  private write(eventBytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`TensorBoard ${this.path}: closed`);
    const rec = tfRecord(eventBytes);
    let off = 0;
    while (off < rec.length) off += writeSync(this.fd, rec, off);
  }
}

/** Whether runs write TensorBoard files: on unless SAENGGAK_TENSORBOARD is 0/false/off. */
export function tensorboardEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.SAENGGAK_TENSORBOARD?.trim().toLowerCase();
  return !(v === '0' || v === 'false' || v === 'off' || v === 'no');
}
