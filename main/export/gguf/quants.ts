// ggml's block formats, quantized and dequantized in TypeScript (ports of ggml-quants.c's *_ref functions).
//
// Byte layouts, little-endian, one block after another along a row (rows are whole blocks):
//   Q8_0  32 values  34 bytes: f16 d | i8 qs[32]                            x = d·q
//   Q5_0  32 values  22 bytes: f16 d | u8 qh[4] | u8 qs[16]                 x = d·(q − 16), q = 5 bits
//   Q4_K 256 values 144 bytes: f16 d | f16 dmin | u8 scales[12] | u8 qs[128]
//         8 sub-blocks of 32, each with a 6-bit scale sc and 6-bit min m:   x = d·sc·q − dmin·m, q = 4 bits
//   Q6_K 256 values 210 bytes: u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d
//         16 sub-blocks of 16, each with an 8-bit signed scale:             x = d·sc·(q − 32), q = 6 bits
// The quantizers follow ggml's reference choice of scales (make_qkx2_quants for Q4_K, make_qx_quants for
// Q6_K) so files quantize as llama-quantize's reference path would; float32 rounding is mimicked with
// Math.fround where it decides a rounding, so results may differ from ggml in the last bit of a scale.
// The dequantizers are the ggml dequantize_row_* loops; tests check them against an independent error bound.

import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from '../../engine/safetensors.ts';
import { GGML_BLOCK, GGMLType, ggmlTypeName } from './constants.ts';

const f32 = Math.fround;

/** ggml's nearest_int: round to nearest, ties to even (the float32 magic-number trick). */
export function nearestInt(x: number): number {
  const r = Math.round(x); // ties go up; a tie that landed on an odd number goes back down
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** C's roundf: ties away from zero (what Q8_0's reference quantizer uses). */
function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const fp16 = (x: number): number => float16BitsToFloat32(float32ToFloat16Bits(x));

// ---------------------------------------------------------------------------------------------- Q8_0

function quantizeQ8_0Block(x: Float32Array, xo: number, out: DataView, o: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
  const d = f32(amax / 127);
  const id = d ? f32(1 / d) : 0;
  out.setUint16(o, float32ToFloat16Bits(d), true);
  for (let j = 0; j < 32; j++) out.setInt8(o + 2 + j, roundAway(f32(x[xo + j] * id)));
}

function dequantizeQ8_0Block(v: DataView, o: number, y: Float32Array, yo: number): void {
  const d = float16BitsToFloat32(v.getUint16(o, true));
  for (let j = 0; j < 32; j++) y[yo + j] = v.getInt8(o + 2 + j) * d;
}

// ---------------------------------------------------------------------------------------------- Q5_0

function quantizeQ5_0Block(x: Float32Array, xo: number, out: DataView, o: number): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[xo + j];
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  const d = f32(max / -16);
  const id = d ? f32(1 / d) : 0;
  out.setUint16(o, float32ToFloat16Bits(d), true);
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    // (int8_t)(x·id + 16.5): truncation toward zero, then capped at 31.
    const xi0 = Math.min(31, Math.trunc(f32(f32(x[xo + j] * id) + 16.5)));
    const xi1 = Math.min(31, Math.trunc(f32(f32(x[xo + 16 + j] * id) + 16.5)));
    out.setUint8(o + 6 + j, (xi0 & 0xf) | ((xi1 & 0xf) << 4));
    qh |= ((xi0 & 0x10) >>> 4) << j;
    qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
  }
  out.setUint32(o + 2, qh >>> 0, true);
}

function dequantizeQ5_0Block(v: DataView, o: number, y: Float32Array, yo: number): void {
  const d = float16BitsToFloat32(v.getUint16(o, true));
  const qh = v.getUint32(o + 2, true);
  for (let j = 0; j < 16; j++) {
    const xh0 = ((qh >>> j) << 4) & 0x10;
    const xh1 = (qh >>> (j + 12)) & 0x10;
    const q = v.getUint8(o + 6 + j);
    y[yo + j] = (((q & 0x0f) | xh0) - 16) * d;
    y[yo + j + 16] = (((q >>> 4) | xh1) - 16) * d;
  }
}

// ---------------------------------------------------------------------------------------------- Q4_K

/** ggml make_qkx2_quants: an affine (scale, min) for n values on levels 0..nmax, searched to cut weighted error. */
function makeQkx2Quants(n: number, nmax: number, x: Float32Array, xo: number, weights: Float32Array, L: Uint8Array, lo: number, Laux: Uint8Array,
  rmin: number, rdelta: number, nstep: number): { scale: number; min: number } {
  let min = x[xo];
  let max = x[xo];
  let sumW = weights[0];
  let sumX = f32(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    const v = x[xo + i];
    if (v < min) min = v;
    if (v > max) max = v;
    sumW = f32(sumW + weights[i]);
    sumX = f32(sumX + f32(weights[i] * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return { scale: 0, min: -min };
  }
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(f32(iscale * f32(x[xo + i] - min)))));
    L[lo + i] = l;
    const diff = f32(f32(scale * l + min) - x[xo + i]);
    bestError = f32(bestError + f32(weights[i] * f32(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = f32(f32(rmin + f32(rdelta * is) + nmax) / f32(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(f32(iscale * f32(x[xo + i] - min)))));
      Laux[i] = l;
      const w = weights[i];
      sumL = f32(sumL + w * l);
      sumL2 = f32(sumL2 + f32(w * l) * l);
      sumXL = f32(sumXL + f32(w * l) * x[xo + i]);
    }
    const D = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (D > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / D);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let err = 0;
      for (let i = 0; i < n; i++) {
        const diff = f32(f32(thisScale * Laux[i] + thisMin) - x[xo + i]);
        err = f32(err + f32(weights[i] * f32(diff * diff)));
      }
      if (err < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i];
        bestError = err;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return { scale, min: -min };
}

/** ggml get_scale_min_k4: the j-th 6-bit scale and min packed in Q4_K's 12 scale bytes. */
function scaleMinK4(j: number, q: Uint8Array): [number, number] {
  if (j < 4) return [q[j] & 63, q[j + 4] & 63];
  return [(q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)];
}

const q4kScratch = { L: new Uint8Array(256), Laux: new Uint8Array(32), weights: new Float32Array(32), scales: new Float32Array(8), mins: new Float32Array(8), packed: new Uint8Array(12) };

function quantizeQ4_KBlock(x: Float32Array, xo: number, out: DataView, o: number): void {
  const { L, Laux, weights, scales, mins, packed } = q4kScratch;
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f32(sumX2 + f32(x[xo + 32 * j + l] * x[xo + 32 * j + l]));
    const avX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f32(avX + Math.abs(x[xo + 32 * j + l]));
    const r = makeQkx2Quants(32, 15, x, xo + 32 * j, weights, L, 32 * j, Laux, -1, 0.1, 20);
    scales[j] = r.scale;
    mins[j] = r.min;
    if (r.scale > maxScale) maxScale = r.scale;
    if (r.min > maxMin) maxMin = r.min;
  }
  const invScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  packed.fill(0);
  for (let j = 0; j < 8; j++) {
    // uint8_t in C: the value wraps modulo 256 before MIN(63, ·).
    const ls = Math.min(63, nearestInt(f32(invScale * scales[j])) & 0xff);
    const lm = Math.min(63, nearestInt(f32(invMin * mins[j])) & 0xff);
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      packed[j - 4] |= (ls >> 4) << 6;
      packed[j] |= (lm >> 4) << 6;
    }
  }
  const dBits = float32ToFloat16Bits(f32(maxScale / 63));
  const dminBits = float32ToFloat16Bits(f32(maxMin / 63));
  out.setUint16(o, dBits, true);
  out.setUint16(o + 2, dminBits, true);
  for (let k = 0; k < 12; k++) out.setUint8(o + 4 + k, packed[k]);
  const d0 = float16BitsToFloat32(dBits);
  const dmin0 = float16BitsToFloat32(dminBits);
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMinK4(j, packed);
    const d = f32(d0 * sc);
    if (!d) continue;
    const dm = f32(dmin0 * m);
    for (let ii = 0; ii < 32; ii++) L[32 * j + ii] = Math.max(0, Math.min(15, nearestInt(f32(f32(x[xo + 32 * j + ii] + dm) / d))));
  }
  let q = o + 16;
  for (let j = 0; j < 256; j += 64) {
    for (let l = 0; l < 32; l++) out.setUint8(q + l, L[j + l] | (L[j + l + 32] << 4));
    q += 32;
  }
}

function dequantizeQ4_KBlock(v: DataView, o: number, y: Float32Array, yo: number): void {
  const d = float16BitsToFloat32(v.getUint16(o, true));
  const dmin = float16BitsToFloat32(v.getUint16(o + 2, true));
  const packed = new Uint8Array(v.buffer, v.byteOffset + o + 4, 12);
  let q = o + 16;
  let is = 0;
  for (let j = 0; j < 256; j += 64) {
    const [sc1, m1] = scaleMinK4(is, packed);
    const [sc2, m2] = scaleMinK4(is + 1, packed);
    const d1 = d * sc1, mm1 = dmin * m1, d2 = d * sc2, mm2 = dmin * m2;
    for (let l = 0; l < 32; l++) y[yo + j + l] = d1 * (v.getUint8(q + l) & 0xf) - mm1;
    for (let l = 0; l < 32; l++) y[yo + j + 32 + l] = d2 * (v.getUint8(q + l) >> 4) - mm2;
    q += 32;
    is += 2;
  }
}

// ---------------------------------------------------------------------------------------------- Q6_K

const GROUP_MAX_EPS = 1e-15;

function symLevel(iscale: number, v: number, nmax: number): number {
  const l = nearestInt(f32(iscale * v));
  return l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
}

/** ggml make_qx_quants with rmse_type 1 (weights x²) and no importance matrix: a symmetric scale for n values. */
function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Uint8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  let iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const l = symLevel(iscale, v, nmax);
    L[lo + i] = l + nmax;
    const w = f32(v * v);
    sumlx = f32(sumlx + f32(f32(w * v) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  let scale = suml2 ? f32(sumlx / suml2) : 0;
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f32(-f32(nmax + f32(0.1 * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      const l = symLevel(iscale, v, nmax);
      const w = f32(v * v);
      sumlx = f32(sumlx + f32(f32(w * v) * l));
      suml2 = f32(suml2 + f32(f32(w * l) * l));
    }
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + symLevel(iscale, x[xo + i], nmax);
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

const q6kScratch = { L: new Uint8Array(256), scales: new Float32Array(16) };

function quantizeQ6_KBlock(x: Float32Array, xo: number, out: DataView, o: number): void {
  const { L, scales } = q6kScratch;
  let maxScale = 0;
  let maxAbsScale = 0;
  for (let ib = 0; ib < 16; ib++) {
    const scale = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
    scales[ib] = scale;
    if (Math.abs(scale) > maxAbsScale) {
      maxAbsScale = Math.abs(scale);
      maxScale = scale;
    }
  }
  if (maxAbsScale < GROUP_MAX_EPS) {
    for (let k = 0; k < 210; k++) out.setUint8(o + k, 0);
    return;
  }
  const iscale = f32(-128 / maxScale);
  const dBits = float32ToFloat16Bits(f32(1 / iscale));
  const d0 = float16BitsToFloat32(dBits);
  const sc = new Int8Array(16);
  for (let ib = 0; ib < 16; ib++) sc[ib] = Math.min(127, nearestInt(f32(iscale * scales[ib])));
  for (let j = 0; j < 16; j++) {
    const d = f32(d0 * sc[j]);
    if (!d) continue;
    for (let ii = 0; ii < 16; ii++) L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(f32(x[xo + 16 * j + ii] / d)))) + 32;
  }
  let ql = o;
  let qh = o + 128;
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      const q1 = L[j + l] & 0xf, q2 = L[j + l + 32] & 0xf, q3 = L[j + l + 64] & 0xf, q4 = L[j + l + 96] & 0xf;
      out.setUint8(ql + l, q1 | (q3 << 4));
      out.setUint8(ql + l + 32, q2 | (q4 << 4));
      out.setUint8(qh + l, (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
    }
    ql += 64;
    qh += 32;
  }
  for (let ib = 0; ib < 16; ib++) out.setInt8(o + 192 + ib, sc[ib]);
  out.setUint16(o + 208, dBits, true);
}

function dequantizeQ6_KBlock(v: DataView, o: number, y: Float32Array, yo: number): void {
  const d = float16BitsToFloat32(v.getUint16(o + 208, true));
  let ql = o;
  let qh = o + 128;
  let sc = o + 192;
  for (let n = 0; n < 256; n += 128) {
    for (let l = 0; l < 32; l++) {
      const is = l >> 4;
      const h = v.getUint8(qh + l);
      const a = v.getUint8(ql + l);
      const b = v.getUint8(ql + l + 32);
      const q1 = ((a & 0xf) | ((h & 3) << 4)) - 32;
      const q2 = ((b & 0xf) | (((h >> 2) & 3) << 4)) - 32;
      const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
      const q4 = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
      y[yo + n + l] = d * v.getInt8(sc + is) * q1;
      y[yo + n + l + 32] = d * v.getInt8(sc + is + 2) * q2;
      y[yo + n + l + 64] = d * v.getInt8(sc + is + 4) * q3;
      y[yo + n + l + 96] = d * v.getInt8(sc + is + 6) * q4;
    }
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

// ---------------------------------------------------------------------------------------------- entry points

type BlockQuantizer = (x: Float32Array, xo: number, out: DataView, o: number) => void;
type BlockDequantizer = (v: DataView, o: number, y: Float32Array, yo: number) => void;

const BLOCK_CODECS: Partial<Record<GGMLType, [BlockQuantizer, BlockDequantizer]>> = {
  [GGMLType.Q8_0]: [quantizeQ8_0Block, dequantizeQ8_0Block],
  [GGMLType.Q5_0]: [quantizeQ5_0Block, dequantizeQ5_0Block],
  [GGMLType.Q4_K]: [quantizeQ4_KBlock, dequantizeQ4_KBlock],
  [GGMLType.Q6_K]: [quantizeQ6_KBlock, dequantizeQ6_KBlock],
};

/** Encodes float values (a whole number of blocks) as `type`'s bytes. */
export function quantize(values: Float32Array, type: GGMLType): Uint8Array {
  const block = GGML_BLOCK[type];
  if (!block) throw new Error(`GGUF: cannot encode ${ggmlTypeName(type)}`);
  if (values.length % block.elements !== 0) throw new Error(`GGUF: ${values.length} values are not whole ${ggmlTypeName(type)} blocks of ${block.elements}`);
  const nBlocks = values.length / block.elements;
  const out = new Uint8Array(nBlocks * block.bytes);
  const view = new DataView(out.buffer);
  if (type === GGMLType.F32) {
    new Float32Array(out.buffer).set(values);
  } else if (type === GGMLType.F16 || type === GGMLType.BF16) {
    const toBits = type === GGMLType.F16 ? float32ToFloat16Bits : float32ToBfloat16Bits;
    const u16 = new Uint16Array(out.buffer);
    for (let i = 0; i < values.length; i++) u16[i] = toBits(values[i]);
  } else {
    const [enc] = BLOCK_CODECS[type]!;
    for (let b = 0; b < nBlocks; b++) enc(values, b * block.elements, view, b * block.bytes);
  }
  return out;
}

/** Decodes `type`'s bytes back to float values (what llama.cpp computes with). */
export function dequantize(bytes: Uint8Array, type: GGMLType, count: number): Float32Array {
  const block = GGML_BLOCK[type];
  if (!block) throw new Error(`GGUF: cannot decode ${ggmlTypeName(type)}`);
  const nBlocks = count / block.elements;
  if (!Number.isInteger(nBlocks) || bytes.byteLength < nBlocks * block.bytes) throw new Error(`GGUF: ${bytes.byteLength} bytes do not hold ${count} ${ggmlTypeName(type)} values`);
  const y = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === GGMLType.F32) {
    for (let i = 0; i < count; i++) y[i] = view.getFloat32(4 * i, true);
  } else if (type === GGMLType.F16 || type === GGMLType.BF16) {
    const fromBits = type === GGMLType.F16 ? float16BitsToFloat32 : bfloat16BitsToFloat32;
    for (let i = 0; i < count; i++) y[i] = fromBits(view.getUint16(2 * i, true));
  } else {
    const [, dec] = BLOCK_CODECS[type]!;
    for (let b = 0; b < nBlocks; b++) dec(view, b * block.bytes, y, b * block.elements);
  }
  return y;
}

/** Exposed for tests: the fp16 rounding every block scale goes through. */
export { fp16 as roundToFloat16 };
