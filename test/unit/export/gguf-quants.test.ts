// ggml block formats: our encoder's bytes are decoded here by an independent reading of ggml's structs
// (element → byte/bit positions written from the struct definitions, in float64), then checked against
// each format's error bound: every value must land on the nearest level its block's decoded scales allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float16BitsToFloat32 } from '../../../main/engine/safetensors.ts';
import { GGMLType } from '../../../main/export/gguf/constants.ts';
import { dequantize, nearestInt, quantize } from '../../../main/export/gguf/quants.ts';

function gaussian(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

const half = (b: Uint8Array, o: number) => float16BitsToFloat32(b[o] | (b[o + 1] << 8));
const int8 = (v: number) => (v > 127 ? v - 256 : v);

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (Math.abs(a[i]) > Math.abs(a[best])) best = i;
  return best;
}

function rms(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s / a.length);
}

/** Q8_0 per struct block_q8_0 { half d; int8 qs[32]; }. */
function decodeQ8_0(bytes: Uint8Array, n: number): { y: Float64Array; step: Float64Array } {
  const y = new Float64Array(n), step = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const o = Math.floor(e / 32) * 34;
    const d = half(bytes, o);
    y[e] = d * int8(bytes[o + 2 + (e % 32)]);
    step[e] = d;
  }
  return { y, step };
}

/** Q4_K per struct block_q4_K { half d; half dmin; uint8 scales[12]; uint8 qs[128]; }, levels d·sc·q − dmin·m. */
function decodeQ4_K(bytes: Uint8Array, n: number): { y: Float64Array; step: Float64Array; lo: Float64Array } {
  const y = new Float64Array(n), step = new Float64Array(n), lo = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const o = Math.floor(e / 256) * 144;
    const i = e % 256;
    const sub = Math.floor(i / 32); // 8 sub-blocks of 32, in element order
    const s = bytes.subarray(o + 4, o + 16);
    // 6-bit scale and min of sub-block j: j < 4 in the low 6 bits of bytes j and j+4; j ≥ 4 split between
    // the nibbles of byte j+4 and the top 2 bits of bytes j−4 (scale) and j (min).
    const sc = sub < 4 ? s[sub] & 63 : (s[sub + 4] & 15) + 16 * (s[sub - 4] >> 6);
    const m = sub < 4 ? s[sub + 4] & 63 : (s[sub + 4] >> 4) + 16 * (s[sub] >> 6);
    // 64 elements share 32 bytes: the first 32 in the low nibbles, the next 32 in the high nibbles.
    const byte = bytes[o + 16 + 32 * Math.floor(i / 64) + (i % 32)];
    const q = i % 64 < 32 ? byte % 16 : byte >> 4;
    const d = half(bytes, o) * sc, dm = half(bytes, o + 2) * m;
    y[e] = d * q - dm;
    step[e] = d;
    lo[e] = -dm;
  }
  return { y, step, lo };
}

/** Q6_K per struct block_q6_K { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d; }, levels d·sc·(q − 32). */
function decodeQ6_K(bytes: Uint8Array, n: number): { y: Float64Array; step: Float64Array } {
  const y = new Float64Array(n), step = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const o = Math.floor(e / 256) * 210;
    const i = e % 256;
    const h = Math.floor(i / 128), w = i % 128, quarter = Math.floor(w / 32), l = w % 32;
    const qlByte = bytes[o + 64 * h + 32 * (quarter % 2) + l];
    const low = quarter < 2 ? qlByte % 16 : qlByte >> 4;
    const high = (bytes[o + 128 + 32 * h + l] >> (2 * quarter)) & 3;
    const sc = int8(bytes[o + 192 + Math.floor(i / 16)]);
    const d = half(bytes, o + 208) * sc;
    y[e] = d * (low + 16 * high - 32);
    step[e] = d;
  }
  return { y, step };
}

test('nearestInt rounds ties to even like ggml (float32 magic-number rounding)', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, -3.5].map((v) => nearestInt(v) + 0), [0, 2, 2, 0, -2, -2, 2, 3, -4]);
});

test('Q8_0: bytes as block_q8_0, each value within half a step of the source', () => {
  const x = gaussian(32 * 64, 1, 0.05);
  const bytes = quantize(x, GGMLType.Q8_0);
  assert.equal(bytes.length, 64 * 34);
  const { y, step } = decodeQ8_0(bytes, x.length);
  const ours = dequantize(bytes, GGMLType.Q8_0, x.length);
  for (let e = 0; e < x.length; e++) {
    assert.ok(Math.abs(ours[e] - y[e]) <= 1e-12 * Math.abs(y[e]) + 1e-30, `element ${e}: our decoder ${ours[e]} vs the struct's ${y[e]}`);
    // q = round(x/d) with d = amax/127 before fp16 rounding of d: the error is half a step plus |q|·(d − fp16(d)).
    const blockMax = Math.max(...Array.from(x.subarray(e - (e % 32), e - (e % 32) + 32), Math.abs));
    const bound = step[e] / 2 + 127 * Math.abs(step[e] - blockMax / 127) + 1e-9;
    assert.ok(Math.abs(y[e] - x[e]) <= bound, `element ${e}: |${y[e]} − ${x[e]}| > ${bound}`);
  }
  assert.ok(rms(Array.from(x, (v, i) => v - y[i])) / rms(x) < 0.01);
});

test('Q4_K: bytes as block_q4_K, every value on the nearest level of its sub-block', () => {
  const x = gaussian(256 * 16, 2, 0.02);
  x[5] = 0.3; // an outlier: its sub-block's scale has to stretch
  const bytes = quantize(x, GGMLType.Q4_K);
  assert.equal(bytes.length, 16 * 144);
  const { y, step, lo } = decodeQ4_K(bytes, x.length);
  const ours = dequantize(bytes, GGMLType.Q4_K, x.length);
  for (let e = 0; e < x.length; e++) {
    assert.ok(Math.abs(ours[e] - y[e]) <= 1e-6 * Math.abs(y[e]) + 1e-12, `element ${e}: our decoder ${ours[e]} vs the struct's ${y[e]}`);
    // Levels lo + step·q, q = 0..15: inside the range the error is at most half a step; outside, the value clamps to the end level.
    const hi = lo[e] + 15 * step[e];
    const expected = Math.max(lo[e], Math.min(hi, x[e]));
    assert.ok(Math.abs(y[e] - expected) <= step[e] / 2 + 1e-6 * step[e] + 1e-9, `element ${e}: x ${x[e]} decoded ${y[e]} (levels ${lo[e]} + ${step[e]}·q)`);
  }
  const err = rms(Array.from(x, (v, i) => v - y[i])) / rms(x);
  assert.ok(err < 0.12, `relative RMS error ${err}`);
});

test('Q6_K: bytes as block_q6_K, every value on the nearest level of its 16-value group', () => {
  const x = gaussian(256 * 16, 3, 0.02);
  x[300] = -0.25;
  const bytes = quantize(x, GGMLType.Q6_K);
  assert.equal(bytes.length, 16 * 210);
  const { y, step } = decodeQ6_K(bytes, x.length);
  const ours = dequantize(bytes, GGMLType.Q6_K, x.length);
  for (let e = 0; e < x.length; e++) {
    assert.ok(Math.abs(ours[e] - y[e]) <= 1e-6 * Math.abs(y[e]) + 1e-12, `element ${e}: our decoder ${ours[e]} vs the struct's ${y[e]}`);
    const s = Math.abs(step[e]);
    const a = Math.min(-32 * step[e], 31 * step[e]), b = Math.max(-32 * step[e], 31 * step[e]);
    const expected = Math.max(a, Math.min(b, x[e]));
    assert.ok(Math.abs(y[e] - expected) <= s / 2 + 1e-6 * s + 1e-9, `element ${e}: x ${x[e]} decoded ${y[e]} (step ${step[e]})`);
  }
  const err = rms(Array.from(x, (v, i) => v - y[i])) / rms(x);
  assert.ok(err < 0.03, `relative RMS error ${err}`);
});

test('Q5_0 (the Q4_K fallback for rows that are not whole super-blocks) stays within one step', () => {
  const x = gaussian(32 * 32, 4, 0.03);
  const bytes = quantize(x, GGMLType.Q5_0);
  assert.equal(bytes.length, 32 * 22);
  const y = dequantize(bytes, GGMLType.Q5_0, x.length);
  for (let b = 0; b < 32; b++) {
    // block_q5_0 { half d; uint8 qh[4]; uint8 qs[16]; }: d = max/−16, 32 levels d·(q − 16); the largest value
    // sits on level 0, so values of the other sign reach level 16 and clamp to 15: at most one step off.
    const d = Math.abs(half(bytes, b * 22));
    for (let j = 0; j < 32; j++) {
      const e = b * 32 + j;
      assert.ok(Math.abs(y[e] - x[e]) <= d * (1 + 1e-3) + 1e-9, `element ${e}: |${y[e]} − ${x[e]}| > ${d}`);
      if (x[e] * x[b * 32 + argmax(x.subarray(b * 32, b * 32 + 32))] > 0) assert.ok(Math.abs(y[e] - x[e]) <= d / 2 + 1e-3 * d + 1e-9, `element ${e} (same sign as the block's largest): more than half a step off`);
    }
  }
});

test('all-zero blocks decode to zeros; f16 and bf16 round to nearest', () => {
  const zeros = new Float32Array(512);
  for (const t of [GGMLType.Q8_0, GGMLType.Q5_0, GGMLType.Q4_K, GGMLType.Q6_K]) assert.deepEqual(Array.from(dequantize(quantize(zeros, t), t, 512), (v) => v + 0), Array.from(zeros));
  const x = Float32Array.of(1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -65504, 1e-8);
  assert.deepEqual(Array.from(dequantize(quantize(x, GGMLType.F16), GGMLType.F16, 5)), [1, 1, 1 + 2 ** -9, -65504, 0]);
  assert.deepEqual(Array.from(dequantize(quantize(Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8), GGMLType.BF16), GGMLType.BF16, 2)), [1, 1 + 2 ** -6]);
});

test('QuantPool: Q4_K / Q6_K encoded over worker threads are byte-identical to one thread', async () => {
  const { QuantPool } = await import('../../../main/export/gguf/quant-pool.ts');
  const x = gaussian(256 * 600, 9, 0.02);
  const pool = QuantPool.create(2);
  try {
    for (const t of [GGMLType.Q4_K, GGMLType.Q6_K]) {
      const one = quantize(x, t);
      const many = await pool.encode(x, t);
      assert.equal(many.length, one.length);
      assert.ok(Buffer.from(many).equals(Buffer.from(one)), `${GGMLType[t]}: pooled bytes differ`);
    }
  } finally {
    await pool.close();
  }
});
