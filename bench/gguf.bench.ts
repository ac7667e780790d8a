// GGUF export benchmark: encoding speed of each block type on one thread and over QuantPool's threads,
// and a whole q4_k_m export of the `small` preset (45M weights, most of them the 151k-token embedding).
//
//   npm run bench:gguf [-- --million N] [-- --threads T]
//
// Goal: q4_k_m export of a 1.5B model under 10 minutes on an 8-core machine, i.e. K-quant encoding
// ≥ 2.5M weights/s with 8 threads. Writes bench/results/gguf.json.
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GGMLType } from '../main/export/gguf/constants.ts';
import { exportGguf } from '../main/export/gguf/export-gguf.ts';
import { QuantPool } from '../main/export/gguf/quant-pool.ts';
import { quantize } from '../main/export/gguf/quants.ts';
import { createModelFolder } from '../main/models/init.ts';
import { printTable, writeResult } from './lib/results.ts';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const million = argValue('--million', 4);
const threads = argValue('--threads', Math.min(8, os.availableParallelism()));
const n = Math.round((million * 1e6) / 256) * 256;
const x = new Float32Array(n);
let s = 7;
for (let i = 0; i < n; i++) {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  x[i] = ((s / 2 ** 32) - 0.5) * 0.04;
}

const rows: (string | number)[][] = [['type', 'weights', '1 thread (M/s)', `${threads} threads (M/s)`]];
const result: Record<string, unknown> = { weights: n, threads, cpus: os.availableParallelism(), types: {} };
const pool = QuantPool.create(threads);
for (const type of [GGMLType.Q8_0, GGMLType.Q4_K, GGMLType.Q6_K]) {
  let t0 = performance.now();
  quantize(x, type);
  const one = n / ((performance.now() - t0) / 1000) / 1e6;
  t0 = performance.now();
  await pool.encode(x, type);
  const many = n / ((performance.now() - t0) / 1000) / 1e6;
  (result.types as Record<string, unknown>)[GGMLType[type]] = { oneThreadMWeightsPerS: one, poolMWeightsPerS: many };
  rows.push([GGMLType[type], n, one.toFixed(2), many.toFixed(2)]);
}
await pool.close();

const dir = mkdtempSync(join(os.tmpdir(), 'bench-gguf-'));
try {
  createModelFolder({ family: 'qwen2', preset: 'small', outDir: join(dir, 'model'), seed: 0 });
  const t0 = performance.now();
  const r = await exportGguf({ modelDir: join(dir, 'model'), outPath: join(dir, 'small.gguf'), quant: 'q4_k_m', threads });
  const seconds = (performance.now() - t0) / 1000;
  result.smallQ4KM = { seconds, bytes: r.bytes };
  rows.push(['small q4_k_m export', '45M', '', `${seconds.toFixed(1)} s`]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable(rows);
console.log(`wrote ${writeResult('gguf', result)}`);
