// A TFRecord + TensorBoard Event reader for tests, written from the proto definitions independently of the
// writer: every record's two masked CRC32Cs are checked, scalars and text-plugin tensors are decoded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { maskedCrc32c } from '../../../main/train/run/tensorboard.ts';

type Field = { field: number; wire: number; value: bigint | Buffer | number };

function parseProto(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3, wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) { out.push({ field, wire, value: buf.readDoubleLE(i) }); i += 8; }
    else if (wire === 5) { out.push({ field, wire, value: buf.readFloatLE(i) }); i += 4; }
    else if (wire === 2) { const n = Number(varint()); out.push({ field, wire, value: buf.subarray(i, i + n) }); i += n; }
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const get = (fields: Field[], n: number) => fields.filter((f) => f.field === n);

export interface ParsedEvent { step: number; fileVersion?: string; scalars: Record<string, number>; texts: Record<string, string>; plugins: string[] }

export function readEvents(path: string): ParsedEvent[] {
  const data = readFileSync(path);
  const events: ParsedEvent[] = [];
  let off = 0;
  while (off < data.length) {
    const lenBytes = data.subarray(off, off + 8);
    assert.equal(data.readUInt32LE(off + 8), maskedCrc32c(lenBytes), `length CRC at ${off}`);
    const len = Number(data.readBigUInt64LE(off));
    const body = data.subarray(off + 12, off + 12 + len);
    assert.equal(data.readUInt32LE(off + 12 + len), maskedCrc32c(body), `data CRC at ${off}`);
    off += 16 + len;
    const ev = parseProto(body);
    const e: ParsedEvent = { step: Number((get(ev, 2)[0]?.value as bigint) ?? 0n), scalars: {}, texts: {}, plugins: [] };
    assert.ok(typeof get(ev, 1)[0].value === 'number' && (get(ev, 1)[0].value as number) > 1.7e9, 'wall_time in seconds');
    const fv = get(ev, 3)[0];
    if (fv) e.fileVersion = (fv.value as Buffer).toString();
    for (const s of get(ev, 5)) {
      for (const v of get(parseProto(s.value as Buffer), 1)) {
        const vf = parseProto(v.value as Buffer);
        const tag = (get(vf, 1)[0].value as Buffer).toString();
        if (get(vf, 2).length) e.scalars[tag] = get(vf, 2)[0].value as number;
        const tensor = get(vf, 8)[0];
        if (tensor) {
          const tf = parseProto(tensor.value as Buffer);
          assert.equal(get(tf, 1)[0].value, 7n, 'DT_STRING');
          e.texts[tag] = (get(tf, 8)[0].value as Buffer).toString();
          const meta = parseProto(get(vf, 9)[0].value as Buffer);
          e.plugins.push((get(parseProto(get(meta, 1)[0].value as Buffer), 1)[0].value as Buffer).toString());
        }
      }
    }
    events.push(e);
  }
  return events;
}

