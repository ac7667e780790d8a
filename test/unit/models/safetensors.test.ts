import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readSafetensors, writeSafetensors, readSafetensorsFolder, writeSafetensorsFolder, SafetensorsFile,
  float32ToFloat16Bits, float16BitsToFloat32, float32ToBfloat16Bits, bfloat16BitsToFloat32, parseByteSize,
  type SafeTensor,
} from '../../../main/engine/safetensors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'st-'));

function allDtypes(): Record<string, SafeTensor> {
  return {
    f64: { dtype: 'F64', shape: [2, 2], data: Float64Array.from([1.5, -2.25, Math.PI, 1e300]) },
    f32: { dtype: 'F32', shape: [3], data: Float32Array.from([0.1, -7, 3.5e38]) },
    f16: { dtype: 'F16', shape: [2, 2], data: Float32Array.from([1, -0.5, 65504, 2 ** -24]) },
    bf16: { dtype: 'BF16', shape: [4], data: Float32Array.from([1, -3.5, 2 ** 100, -(2 ** -100)]) },
    i64: { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 151643n]) },
    i32: { dtype: 'I32', shape: [2], data: Int32Array.from([-5, 2 ** 31 - 1]) },
    i16: { dtype: 'I16', shape: [1], data: Int16Array.from([-300]) },
    i8: { dtype: 'I8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    u8: { dtype: 'U8', shape: [1, 3], data: Uint8Array.from([0, 200, 255]) },
    mask: { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.from([42]) },
  };
}

test('round trip of every dtype with metadata; halves come back as Float32Array', () => {
  const dir = tmp();
  const path = join(dir, 'a.safetensors');
  const input = allDtypes();
  writeSafetensors(path, input, { format: 'pt', note: '생각' });
  const { tensors, metadata } = readSafetensors(path);
  assert.deepEqual(metadata, { format: 'pt', note: '생각' });
  assert.deepEqual([...tensors.keys()].sort(), Object.keys(input).sort());
  for (const [name, t] of Object.entries(input)) {
    const back = tensors.get(name)!;
    assert.equal(back.dtype, t.dtype, name);
    assert.deepEqual(back.shape, t.shape, name);
    if (t.dtype === 'F16' || t.dtype === 'BF16') assert.ok(back.data instanceof Float32Array);
    assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), name);
  }
  rmSync(dir, { recursive: true });
});

test('file layout: u64 LE header length, space-padded header, tensors aligned to their element size', () => {
  const dir = tmp();
  const path = join(dir, 'a.safetensors');
  writeSafetensors(path, allDtypes());
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const headerText = bytes.subarray(8, 8 + n).toString('utf8');
  const header = JSON.parse(headerText);
  assert.equal(headerText.trimEnd().length <= n, true);
  assert.equal(8 + n + Math.max(...Object.values<any>(header).map((e) => e.data_offsets[1])), bytes.length);
  const size: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 };
  for (const [name, e] of Object.entries<any>(header)) assert.equal((8 + n + e.data_offsets[0]) % size[e.dtype], 0, name);
  // The F32 tensor's bytes are the little-endian float32s, readable independently of our reader.
  const f32 = header.f32;
  const view = bytes.subarray(8 + n + f32.data_offsets[0], 8 + n + f32.data_offsets[1]);
  assert.equal(view.readFloatLE(4), -7);
  rmSync(dir, { recursive: true });
});

test('float16 conversion rounds to nearest, ties to even, handles subnormals, overflow and NaN', () => {
  // Hand-computed: 1 = 0x3c00; ulp at 1 is 2^-10.
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie → even (down)
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01); // above the tie
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(65519), 0x7bff); // below the overflow tie
  assert.equal(float32ToFloat16Bits(65520), 0x7c00); // tie at max rounds to even = Inf
  assert.equal(float32ToFloat16Bits(1e6), 0x7c00);
  assert.equal(float32ToFloat16Bits(-Infinity), 0xfc00);
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float32ToFloat16Bits(2 ** -25), 0x0000); // tie → even (zero)
  assert.equal(float32ToFloat16Bits(3 * 2 ** -26), 0x0001); // above the tie
  assert.equal(float32ToFloat16Bits(3 * 2 ** -25), 0x0002); // 1.5 ulp tie → even 2
  assert.equal(float32ToFloat16Bits(2 ** -14 - 2 ** -25), 0x0400); // rounds up into the smallest normal
  assert.equal(float32ToFloat16Bits(-0), 0x8000);
  const nan = float32ToFloat16Bits(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x3ff, 0);
  assert.equal(float16BitsToFloat32(0x3555), 0.333251953125);
  assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
  assert.ok(Number.isNaN(float16BitsToFloat32(0x7e00)));
  // Exhaustive: every finite half value converts back to itself.
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue;
    assert.equal(float32ToFloat16Bits(float16BitsToFloat32(h)), h);
  }
});

test('bfloat16 conversion rounds to nearest, ties to even', () => {
  assert.equal(float32ToBfloat16Bits(1), 0x3f80);
  assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie → even
  assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie → even (up)
  assert.equal(float32ToBfloat16Bits(1 + 2 ** -8 + 2 ** -20), 0x3f81);
  assert.equal(float32ToBfloat16Bits(-Infinity), 0xff80);
  assert.equal(float32ToBfloat16Bits(3.3895313892515355e38), 0x7f7f); // max bf16
  const nan = float32ToBfloat16Bits(NaN);
  assert.ok(Number.isNaN(bfloat16BitsToFloat32(nan)));
  assert.equal(bfloat16BitsToFloat32(0x4049), 3.140625);
});

test('saving float32 data as F16/BF16 stores the rounded bits', () => {
  const dir = tmp();
  const path = join(dir, 'h.safetensors');
  const values = Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1]);
  writeSafetensors(path, { h: { dtype: 'F16', shape: [3], data: values }, b: { dtype: 'BF16', shape: [3], data: values } });
  const raw = readSafetensors(path, { rawHalf: true }).tensors;
  assert.deepEqual(Array.from(raw.get('h')!.data as Uint16Array), [0x3c00, 0x3c02, 0x2e66]);
  assert.deepEqual(Array.from(raw.get('b')!.data as Uint16Array), [0x3f80, 0x3f80, 0x3dcd]);
  // And raw bits write back unchanged.
  writeSafetensors(path, raw);
  assert.deepEqual(Array.from(readSafetensors(path, { rawHalf: true }).tensors.get('h')!.data as Uint16Array), [0x3c00, 0x3c02, 0x2e66]);
  rmSync(dir, { recursive: true });
});

test('reads single tensors by offset and honours a name filter', () => {
  const dir = tmp();
  const path = join(dir, 'a.safetensors');
  writeSafetensors(path, allDtypes());
  const file = SafetensorsFile.open(path);
  assert.deepEqual(Array.from(file.read('i32').data as Int32Array), [-5, 2 ** 31 - 1]);
  assert.throws(() => file.read('nope'), /no tensor "nope"/);
  file.close();
  const only = readSafetensors(path, { names: ['u8', 'f64'] }).tensors;
  assert.deepEqual([...only.keys()].sort(), ['f64', 'u8']);
  assert.throws(() => readSafetensors(path, { names: ['missing'] }), /no tensor "missing"/);
  rmSync(dir, { recursive: true });
});

test('truncated and corrupt files give errors naming the problem', () => {
  const dir = tmp();
  const path = join(dir, 'a.safetensors');
  writeSafetensors(path, { first: { dtype: 'F32', shape: [4], data: new Float32Array(4) }, last: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } });
  truncateSync(path, statSync(path).size - 10);
  assert.throws(() => readSafetensors(path), /tensor "last".*truncated/);
  writeFileSync(path, Buffer.from([1, 2, 3]));
  assert.throws(() => readSafetensors(path), /too short/);
  const bad = Buffer.alloc(16);
  bad.writeBigUInt64LE(8n, 0);
  bad.write('{not json', 8);
  writeFileSync(path, bad);
  assert.throws(() => readSafetensors(path), /not valid JSON/);
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([len, header, Buffer.alloc(16)]));
  assert.throws(() => readSafetensors(path), /tensor "w".*needs 16/);
  const header2 = Buffer.from(JSON.stringify({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }));
  len.writeBigUInt64LE(BigInt(header2.length));
  writeFileSync(path, Buffer.concat([len, header2, Buffer.alloc(8)]));
  assert.throws(() => readSafetensors(path), /tensor "w": unsupported dtype "C64"/);
  assert.throws(() => writeSafetensors(path, { x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /"x".*3 elements/);
  assert.throws(() => writeSafetensors(path, { x: { dtype: 'I64', shape: [1], data: new Int32Array(1) } }), /"x".*BigInt64Array/);
  rmSync(dir, { recursive: true });
});

test('sharded folders: index, greedy shards, read back, missing shard error', () => {
  const dir = tmp();
  const tensors = new Map<string, SafeTensor>();
  for (let i = 0; i < 5; i++) tensors.set(`layer.${i}.w`, { dtype: 'F32', shape: [10, 10], data: Float32Array.from({ length: 100 }, (_, j) => i * 1000 + j) });
  const files = writeSafetensorsFolder(dir, tensors, { maxShardSize: 900, metadata: { format: 'pt' } });
  assert.deepEqual(files, [
    'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors',
    'model.safetensors.index.json',
  ]);
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
  assert.equal(index.metadata.total_size, 5 * 400);
  assert.equal(index.weight_map['layer.0.w'], 'model-00001-of-00003.safetensors');
  assert.equal(index.weight_map['layer.4.w'], 'model-00003-of-00003.safetensors');
  const { tensors: back, metadata } = readSafetensorsFolder(dir);
  assert.equal(metadata.format, 'pt');
  assert.equal(back.size, 5);
  for (const [name, t] of tensors) assert.deepEqual(Array.from(back.get(name)!.data as Float32Array), Array.from(t.data as Float32Array));
  rmSync(join(dir, 'model-00002-of-00003.safetensors'));
  assert.throws(() => readSafetensorsFolder(dir), /missing: model-00002-of-00003\.safetensors/);
  // Fits in one shard → model.safetensors, no index.
  const single = tmp();
  assert.deepEqual(writeSafetensorsFolder(single, tensors), ['model.safetensors']);
  assert.equal(existsSync(join(single, 'model.safetensors.index.json')), false);
  assert.equal(readSafetensorsFolder(single).tensors.size, 5);
  assert.throws(() => readSafetensorsFolder(tmp()), /no model\.safetensors.*folder has: nothing/);
  rmSync(dir, { recursive: true });
  rmSync(single, { recursive: true });
});

test('parseByteSize follows transformers units', () => {
  assert.equal(parseByteSize('5GB'), 5e9);
  assert.equal(parseByteSize('2MiB'), 2 * 2 ** 20);
  assert.equal(parseByteSize(123), 123);
  assert.throws(() => parseByteSize('lots'), /cannot parse/);
});
