// safetensors read as strictly as the format's reference implementation (#25.6): holes, overlaps,
// trailing bytes, duplicate keys and a header not starting with "{" are refused, with `lenient` to
// salvage; F8_E4M3 / F8_E5M2 / U32 tensors read; a folder with both model.safetensors and shards loads
// the single file, as transformers does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { float16BitsToFloat32, readSafetensors, readSafetensorsFolder, writeSafetensors, writeSafetensorsFolder } from '../../../main/engine/safetensors.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'st-strict-'));

/** A file from a header text and data bytes, exactly as given (no padding, no checks). */
function craft(headerText: string, data: Uint8Array): string {
  const path = join(tmp(), 'x.safetensors');
  const header = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([len, header, data]));
  return path;
}
const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const entry = (begin: number, end: number, n = (end - begin) / 4) => ({ dtype: 'F32', shape: [n], data_offsets: [begin, end] });

test('strict by default: holes, overlaps, trailing bytes, duplicate keys, a header not starting with "{"; lenient salvages', () => {
  const cases: [string, string, Uint8Array, RegExp][] = [
    ['hole', JSON.stringify({ a: entry(0, 8), b: entry(12, 20) }), f32(1, 2, 9, 3, 4), /4 byte\(s\) before tensor "b" belong to no tensor/],
    ['overlap', JSON.stringify({ a: entry(0, 8), b: entry(4, 12) }), f32(1, 2, 3), /tensor "b" starts at data byte 4, inside the previous tensor/],
    ['trailing', JSON.stringify({ a: entry(0, 8) }), f32(1, 2, 7), /4 trailing byte\(s\) after the last tensor/],
    ['duplicate', `{"a":${JSON.stringify(entry(0, 8))},"a":${JSON.stringify(entry(0, 8))}}`, f32(1, 2), /key "a" appears twice/],
    ['leading space', ' ' + JSON.stringify({ a: entry(0, 8) }), f32(1, 2), /header does not start with "\{"/],
  ];
  for (const [name, header, data, message] of cases) {
    const path = craft(header, data);
    assert.throws(() => readSafetensors(path), (e: Error) => message.test(e.message) && /--lenient/.test(e.message), name);
    const salvaged = readSafetensors(path, { lenient: true });
    assert.deepEqual([...(salvaged.tensors.get('a')!.data as Float32Array)], [1, 2], `${name}: lenient reads the tensor`);
  }
  assert.deepEqual([...(readSafetensors(craft(JSON.stringify({ a: entry(0, 8), b: entry(12, 20) }), f32(1, 2, 9, 3, 4)), { lenient: true }).tensors.get('b')!.data as Float32Array)], [3, 4]);
  // A well-formed file (padded header, zero-sized tensor, metadata) still reads; what we write passes strict reading.
  const ok = craft(JSON.stringify({ __metadata__: { format: 'pt' }, e: { dtype: 'F32', shape: [0], data_offsets: [0, 0] }, a: entry(0, 8) }) + '   ', f32(5, 6));
  assert.deepEqual([...(readSafetensors(ok).tensors.get('a')!.data as Float32Array)], [5, 6]);
  const written = join(tmp(), 'w.safetensors');
  writeSafetensors(written, { x: { dtype: 'F32', shape: [3], data: Float32Array.from([1, 2, 3]) }, y: { dtype: 'I8', shape: [1], data: Int8Array.from([4]) } });
  assert.equal(readSafetensors(written).tensors.size, 2);
});

/** Independent minifloat decoding by enumeration: every finite value is (1 + m/2^M)·2^(e−bias) or a subnormal. */
function minifloat(bits: number, expBits: number, manBits: number, bias: number, fn: boolean): number {
  const sign = bits >> (expBits + manBits) ? -1 : 1;
  const e = (bits >> manBits) & ((1 << expBits) - 1);
  const m = bits & ((1 << manBits) - 1);
  const top = (1 << expBits) - 1;
  if (fn ? e === top && m === (1 << manBits) - 1 : e === top) return fn ? NaN : m ? NaN : sign * Infinity;
  const frac = m / (1 << manBits);
  return e === 0 ? sign * frac * Math.pow(2, 1 - bias) : sign * (1 + frac) * Math.pow(2, e - bias);
}

test('F8_E4M3, F8_E5M2 and U32 tensors read; every FP8 bit pattern decodes exactly', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const path = join(tmp(), 'fp8.safetensors');
  const big = Uint32Array.from([0, 1, 2 ** 31, 2 ** 32 - 1]);
  writeSafetensors(path, { e4: { dtype: 'F8_E4M3', shape: [16, 16], data: all }, e5: { dtype: 'F8_E5M2', shape: [256], data: all }, u: { dtype: 'U32', shape: [4], data: big } });
  const { tensors } = readSafetensors(path);
  const e4 = tensors.get('e4')!.data as Float32Array;
  const e5 = tensors.get('e5')!.data as Float32Array;
  for (let b = 0; b < 256; b++) {
    assert.ok(Object.is(e4[b], Math.fround(minifloat(b, 4, 3, 7, true))) || (Number.isNaN(e4[b]) && Number.isNaN(minifloat(b, 4, 3, 7, true))), `E4M3 ${b}`);
    // E5M2 is the top byte of an IEEE half: a second, independent decoding path.
    const half = float16BitsToFloat32(b << 8);
    assert.ok(Object.is(e5[b], half) || (Number.isNaN(e5[b]) && Number.isNaN(half)), `E5M2 ${b}`);
  }
  assert.equal(e4[0x7e], 448);
  assert.equal(e4[0x38], 1);
  assert.ok(Number.isNaN(e4[0x7f]) && Number.isNaN(e4[0xff]));
  assert.equal(e5[0x7b], 57344);
  assert.equal(e5[0x7c], Infinity);
  assert.deepEqual([...(tensors.get('u')!.data as Uint32Array)], [...big]);
  assert.deepEqual([...(readSafetensors(path, { rawHalf: true }).tensors.get('e4')!.data as Uint8Array)], [...all]);
});

test('a folder with model.safetensors and shards + index loads model.safetensors (transformers precedence)', () => {
  const dir = tmp();
  writeSafetensorsFolder(dir, { w: { dtype: 'F32', shape: [2], data: Float32Array.from([2, 2]) }, v: { dtype: 'F32', shape: [2], data: Float32Array.from([2, 2]) } }, { maxShardSize: 8 });
  writeSafetensors(join(dir, 'model.safetensors'), { w: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 1]) }, v: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 1]) } });
  const { tensors } = readSafetensorsFolder(dir);
  assert.deepEqual([...(tensors.get('w')!.data as Float32Array)], [1, 1]);
});

test('saving a folder again removes the other layout\'s weight files, so the single file never shadows new shards', () => {
  const dir = tmp();
  const t = (v: number) => ({ w: { dtype: 'F32' as const, shape: [2], data: Float32Array.from([v, v]) }, v: { dtype: 'F32' as const, shape: [2], data: Float32Array.from([v, v]) } });
  writeFileSync(join(dir, 'notes.txt'), 'kept');
  writeSafetensorsFolder(dir, t(1));
  writeSafetensorsFolder(dir, t(2), { maxShardSize: 8 });
  assert.deepEqual(readdirSync(dir).sort(), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'notes.txt']);
  assert.deepEqual([...(readSafetensorsFolder(dir).tensors.get('w')!.data as Float32Array)], [2, 2]);
  writeSafetensorsFolder(dir, t(3));
  assert.deepEqual(readdirSync(dir).sort(), ['model.safetensors', 'notes.txt']);
  assert.deepEqual([...(readSafetensorsFolder(dir).tensors.get('w')!.data as Float32Array)], [3, 3]);
});

test('CLI: a model whose weights file has trailing bytes is refused naming --lenient, and --lenient loads it', async () => {
  const dir = tmp();
  const config = tinyConfig('qwen2');
  saveModel(dir, { config, weights: randomWeights(config, 2), generationConfig: null });
  appendFileSync(join(dir, 'model.safetensors'), Buffer.alloc(16));
  const args = ['model', 'logits', '--model', dir, '--input-ids', '3,4,5', '--json'];
  const refused = await run(process.execPath, [bin, ...args]).then(() => null, (e) => e);
  assert.match(refused.stderr, /16 trailing byte\(s\) after the last tensor.*--lenient/);
  const ok = JSON.parse((await run(process.execPath, [bin, ...args, '--lenient'])).stdout);
  assert.equal(ok.lastLogits.length, config.vocabSize);
});
