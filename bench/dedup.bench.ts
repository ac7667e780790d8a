// `npm run bench:dedup`: embed, index and dedup N synthetic ~1 KB samples (Korean and English, 5% planted
// near-duplicates) with the built-in n-gram embedder and LanceDB; prints samples/s, recall of the planted
// duplicates, false-positive rate and peak RSS, and writes bench/results/dedup.json.
//   npx tsx bench/dedup.bench.ts [--samples 200000] [--threshold 0.7] [--nprobes 2] [--batch 1024]
// Embedding runs on every core (worker threads); LanceDB's compute pool gets one thread per core too.
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@lancedb/lancedb';
import { findNearDuplicates } from '../main/data/build/near-duplicates.ts';
import { NgramHashEmbedder } from '../main/data/embed/index.ts';
import { makeDedupCorpus } from './lib/dedup-corpus.ts';
import { printTable, writeResult } from './lib/results.ts';
import { peakRssBytes } from './lib/rss.ts';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '200000' }, threshold: { type: 'string', default: '0.7' }, nprobes: { type: 'string', default: '2' }, batch: { type: 'string', default: '1024' } } });
const count = Number(values.samples);
const threshold = Number(values.threshold);

const corpus = makeDedupCorpus(count, 0.05);
const bytes = corpus.texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
console.error(`corpus: ${count} samples, ${(bytes / count).toFixed(0)} bytes each on average, ${corpus.planted} planted near-duplicates`);

const dir = mkdtempSync(join(tmpdir(), 'saenggak-dedup-bench-'));
const connection = await connect(dir);
const embedder = new NgramHashEmbedder();
// CPU seconds (all threads) beside wall seconds: on a shared machine the wall clock says little, CPU time
// what the work cost; wall / CPU shows how much of the machine it used.
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const vectors = await embedder.embed(corpus.texts);
const t1 = performance.now();
const embedCpu = cpuSeconds(cpu0);
const cpu1 = process.cpuUsage();
const result = await findNearDuplicates({ connection, tableName: 'bench_vectors', vectors, dimension: embedder.dimension, threshold, nprobes: Number(values.nprobes), queryBatch: Number(values.batch) });
const t2 = performance.now();
const dedupCpu = cpuSeconds(cpu1);
connection.close();
rmSync(dir, { recursive: true, force: true });

// A planted pair counts as found when exactly one of its two samples was flagged as a duplicate of the other.
let found = 0;
let falsePositives = 0;
for (let i = 0; i < count; i++) {
  const j = result.duplicateOf[i];
  if (j < 0) continue;
  if (corpus.cluster[i] >= 0 && corpus.cluster[i] === corpus.cluster[j]) found++;
  else falsePositives++;
}
const negatives = count - corpus.planted; // samples that must survive: every original
const seconds = (t2 - t0) / 1000;
const metrics = {
  samples: count,
  avg_bytes: Math.round(bytes / count),
  planted: corpus.planted,
  threshold,
  embedder: embedder.id,
  nprobes: Number(values.nprobes),
  query_batch: Number(values.batch),
  lance_cpu_threads: Number(process.env.LANCE_CPU_THREADS),
  ann_index: result.indexed ? 'IVF_FLAT (cosine)' : 'none (exact)',
  embed_seconds: (t1 - t0) / 1000,
  embed_cpu_seconds: embedCpu,
  index_and_dedup_seconds: (t2 - t1) / 1000,
  index_and_dedup_cpu_seconds: dedupCpu,
  lance_write_seconds: result.timings.writeSeconds,
  lance_index_seconds: result.timings.indexSeconds,
  lance_search_seconds: result.timings.searchSeconds,
  total_seconds: seconds,
  samples_per_second: count / seconds,
  recall: found / corpus.planted,
  false_positive_rate: falsePositives / negatives,
  false_positives: falsePositives,
  peak_rss_mib: peakRssBytes() / 2 ** 20,
  load_average_at_end: os.loadavg(),
};
printTable([
  ['metric', 'value'],
  ...Object.entries(metrics).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => x.toFixed(2)).join(' ') : (v as string | number)]),
  ['goal', '>= 5000 samples/s, recall >= 0.95, false positives <= 1%'],
]);
console.log(`wrote ${writeResult('dedup', { goal: { samples_per_second: 5000, recall: 0.95, false_positive_rate: 0.01 }, ...metrics })}`);
