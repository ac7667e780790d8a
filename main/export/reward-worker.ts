// A reward-scoring worker thread. It scores the chunks it is sent one after another, in order, and before
// each item writes which chunk and item it is on and when it started into memory shared with the pool:
// the pool's watchdog reads it to stop a worker stuck on one item (main/export/reward-pool.ts) without a
// message per item.
//
// A chunk comes either as samples (RewardPool.score) or as the raw UTF-8 bytes of request items
// (RewardPool.scoreEncoded): then decoding, JSON parsing and validation happen here, in parallel across
// the workers, and the results go back already serialised. Both count against the item's time limit.
import { parentPort, workerData } from 'node:worker_threads';
import type { RewardConfig, RewardSample } from '../rewards/index.ts';
import * as builtinScorer from './reward-scoring.ts';
import { encodedOutcome, failedResult, sampleFromJson, type EncodedItemOutcome, type RewardResult, type SampleScorer } from './reward-scoring.ts';

/** `scorerUrl`: a module exporting `scoreSample` (tests); absent = reward-scoring.ts, bundled with the worker. */
export type WorkerInit = { config: RewardConfig; scorerUrl?: string; progress: SharedArrayBuffer };
/** `bytes` holds the items back to back; item k is bytes[ends[k-1] ?? 0, ends[k]). */
export type WorkerRequest = { id: number } & ({ samples: RewardSample[] } | { bytes: Uint8Array; ends: number[] });
export type WorkerReply = { type: 'ready' } | { type: 'done'; id: number; results: RewardResult[] | EncodedItemOutcome[] };

const init = workerData as WorkerInit;
const scorer: SampleScorer = init.scorerUrl ? ((await import(init.scorerUrl)) as SampleScorer) : builtinScorer;
// [0]: index of the item being scored in the current chunk, -1 when idle; [1]: the chunk's id;
// bytes 8..16: the item's start time (ms).
const progress = new Int32Array(init.progress, 0, 2);
const startedAt = new Float64Array(init.progress, 8, 1);
const port = parentPort!;
const decoder = new TextDecoder();

function begin(chunk: number, index: number): void {
  startedAt[0] = performance.timeOrigin + performance.now();
  Atomics.store(progress, 1, chunk);
  Atomics.store(progress, 0, index);
}

async function score(sample: RewardSample): Promise<RewardResult> {
  try {
    return await scorer.scoreSample(sample, init.config);
  } catch (error) {
    return failedResult('failed', `scoring failed: ${(error as Error).message ?? String(error)}`);
  }
}

async function scoreChunk(request: WorkerRequest): Promise<void> {
  let results: RewardResult[] | EncodedItemOutcome[];
  if ('samples' in request) {
    const scored: RewardResult[] = [];
    for (let i = 0; i < request.samples.length; i++) {
      begin(request.id, i);
      scored.push(await score(request.samples[i]));
    }
    results = scored;
  } else {
    const outcomes: EncodedItemOutcome[] = [];
    for (let i = 0; i < request.ends.length; i++) {
      begin(request.id, i);
      const parsed = sampleFromJson(decoder.decode(request.bytes.subarray(i === 0 ? 0 : request.ends[i - 1], request.ends[i])));
      outcomes.push('sample' in parsed ? encodedOutcome(await score(parsed.sample)) : parsed);
    }
    results = outcomes;
  }
  Atomics.store(progress, 0, -1);
  port.postMessage({ type: 'done', id: request.id, results } satisfies WorkerReply);
}

// One chunk at a time, in the order they came: a scorer that awaits must not let the next chunk interleave.
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue
    .then(() => scoreChunk(request))
    .catch((error: unknown) => {
      // Not an item's failure (those are caught per item): crash, so the pool replaces this worker.
      setImmediate(() => {
        throw error;
      });
    });
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
