// TensorBoard event files: read back by a TFRecord + protobuf parser written here (CRC32C checked),
// independent of the writer's encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, maskedCrc32c } from '../../../main/train/run/tensorboard.ts';
import { RunFolder } from '../../../main/train/run/run-folder.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

/** Bitwise CRC-32C (no table), the reference the tabled one is checked against. */
function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

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

interface ParsedEvent { step: number; fileVersion?: string; scalars: Record<string, number>; texts: Record<string, string>; plugins: string[] }

function readEvents(path: string): ParsedEvent[] {
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

test('CRC-32C: the check value of "123456789" and the bitwise definition', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff));
  assert.equal(crc32c(bytes), crc32cBitwise(bytes));
  const c = crc32cBitwise(bytes);
  assert.equal(maskedCrc32c(bytes), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
});

test('a run mirrors its metrics into runs/<name>/tb/events.out.tfevents.* (scalars per split, text), CRCs valid', () => {
  const run = new RunFolder(join(tempDir('tb-'), 'runs', 'demo'));
  mkdirSync(run.dir, { recursive: true });
  const log = run.openMetrics();
  log.append({ step: 1, split: 'train', loss: 2.5, lr: 1e-4, tokens_per_s: 1234, 'rewards/lang/mean': 0.75, kl: 0.01 });
  log.append({ step: 2, split: 'train', loss: 2.25, lr: 2e-4, kl: Number.NaN }, { step: 2, split: 'eval', accuracy: 0.5 });
  log.appendText(2, 'rollouts', '<think>먼저 2+3을 계산하면</think> **5**');
  log.close();
  const files = readdirSync(join(run.dir, 'tb'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^events\.out\.tfevents\.\d+\./);
  const events = readEvents(join(run.dir, 'tb', files[0]));
  assert.equal(events[0].fileVersion, 'brain.Event:2');
  const byStep = events.slice(1);
  assert.deepEqual(byStep[0], { step: 1, scalars: { 'train/loss': 2.5, 'train/lr': Math.fround(1e-4), 'train/tokens_per_s': 1234, 'train/rewards/lang/mean': 0.75, 'train/kl': Math.fround(0.01) }, texts: {}, plugins: [] });
  assert.deepEqual(byStep[1].scalars, { 'train/loss': 2.25, 'train/lr': Math.fround(2e-4) }, 'NaN is left out');
  assert.deepEqual(byStep[2].scalars, { 'eval/accuracy': 0.5 });
  assert.equal(byStep[2].step, 2);
  assert.deepEqual(byStep[3].texts, { 'rollouts/text_summary': '<think>먼저 2+3을 계산하면</think> **5**' });
  assert.deepEqual(byStep[3].plugins, ['text']);
  // metrics.jsonl is unchanged by the mirror.
  assert.deepEqual(run.readMetrics().records.map((r) => [r.step, r.split]), [[1, 'train'], [2, 'train'], [2, 'eval']]);
});

test('tensorboard: false and SAENGGAK_TENSORBOARD=0 turn the mirror off', () => {
  const run = new RunFolder(join(tempDir('tb-'), 'runs', 'quiet'));
  mkdirSync(run.dir, { recursive: true });
  run.openMetrics({ tensorboard: false }).close();
  const before = process.env.SAENGGAK_TENSORBOARD;
  process.env.SAENGGAK_TENSORBOARD = '0';
  try {
    run.openMetrics().close();
  } finally {
    if (before === undefined) delete process.env.SAENGGAK_TENSORBOARD;
    else process.env.SAENGGAK_TENSORBOARD = before;
  }
  assert.throws(() => readdirSync(join(run.dir, 'tb')), /ENOENT/);
});
