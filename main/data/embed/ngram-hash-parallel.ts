// The n-gram embedder over several cores: the texts are cut into one contiguous share per core; worker
// threads embed all shares but the first, which the calling thread embeds meanwhile. The workers run the
// source of embedNgramRows (plain JS once transpiled, no imports), so this works the same under tsx, in
// tests and in a bundled app, with no worker file to ship.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { embedNgramRows, type NgramHashConfig } from './ngram-rows.ts';

// esbuild (tsx, the app bundle) may wrap nested functions in `__name(fn, "name")` to keep their names; the
// worker has no such helper, so it gets a no-op one.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const __name = (fn) => fn;
const embedNgramRows = ${embedNgramRows.toString()};
const { texts, config } = workerData;
const out = new Float32Array(texts.length * (config.textDimension + config.numberDimension));
embedNgramRows(texts, out, config);
parentPort.postMessage(out, [out.buffer]);
`;

function embedOnWorker(texts: readonly string[], config: NgramHashConfig): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { texts, config } });
    worker.once('message', (rows: Float32Array) => {
      void worker.terminate();
      resolve(rows);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`n-gram embedding worker exited (${code}) before answering`)));
  });
}

/** Embeds `texts` with `threads` threads in all (default: one per core). Same vectors as embedNgramRows. */
export async function embedNgramParallel(texts: readonly string[], config: NgramHashConfig, threads = availableParallelism()): Promise<Float32Array> {
  const dimension = config.textDimension + config.numberDimension;
  const out = new Float32Array(texts.length * dimension);
  const shares = Math.max(1, Math.min(threads, Math.floor(texts.length / 1024)));
  const bounds = Array.from({ length: shares + 1 }, (_, i) => Math.round((i * texts.length) / shares));
  const pending = [];
  for (let s = 1; s < shares; s++) {
    const start = bounds[s];
    pending.push(embedOnWorker(texts.slice(start, bounds[s + 1]), config).then((rows) => out.set(rows, start * dimension)));
  }
  // Collected before the first share runs, so a failed worker does not become an unhandled rejection meanwhile.
  const workersDone = Promise.all(pending);
  workersDone.catch(() => undefined);
  embedNgramRows(texts.slice(0, bounds[1]), out.subarray(0, bounds[1] * dimension), config);
  await workersDone;
  return out;
}
