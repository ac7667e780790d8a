// A reward-scoring worker thread. It scores the chunks it is sent one after another, in order, and writes
// which chunk and item it is on and when it started into memory shared with the pool: the pool's watchdog
// reads it to stop a worker stuck on one item (main/reward-server/pool.ts) without a message per item.
//
// A chunk's samples are scored with one call (the scorer's `scoreSamples`, i.e. computeRewards on the
// chunk): calling computeRewards once per sample costs a quarter more CPU than once per chunk. During that
// call the progress says "the whole chunk" (WHOLE_CHUNK); if it outlives the item time limit, the pool stops
// the worker and sends the chunk's items again flagged `oneByOne`, which are scored one call per item with
// the item's index published, so the stuck item itself is found and scored 0. (A chunk whose items are only
// slow together goes the same way: every item is still scored, later.) A chunk call that throws is redone
// one item at a time here, so one failing item fails alone.
//
// A chunk comes either as samples (RewardPool.score) or as the raw UTF-8 bytes of request items
// (RewardPool.scoreEncoded): then decoding, JSON parsing and validation happen here, in parallel across
// the workers, and the results go back already serialised. Both count against the item's time limit.
import { parentPort, workerData } from 'node:worker_threads';
import type { RewardConfig, RewardSample } from '../rewards/index.ts';
import { IDLE, progressViews, WHOLE_CHUNK } from './progress.ts';
import * as builtinScorer from './scoring.ts';
import { encodedOutcome, failedResult, sampleFromJson, type EncodedItemOutcome, type RewardResult, type SampleScorer } from './scoring.ts';

/** `scorerUrl`: a module exporting `scoreSample` and optionally `scoreSamples` (tests); absent = scoring.ts, bundled with the worker. */
export type WorkerInit = { config: RewardConfig; scorerUrl?: string; progress: SharedArrayBuffer };
/**
 * `body` is the request body in shared memory; item k of the chunk is body[ranges[2k], ranges[2k+1]).
 * `oneByOne`: score each item with its own call (a retry after a whole-chunk call ran out of time).
 */
export type WorkerRequest = { id: number; oneByOne?: boolean } & ({ samples: RewardSample[] } | { body: Uint8Array<SharedArrayBuffer>; ranges: number[] });
/** Where a chunk's time went in the worker, ms (summed per batch into a PoolTrace, pool.ts). */
export type ChunkTiming = { decodeMs: number; scoreMs: number; serialiseMs: number; busyMs: number };
export type WorkerReply = { type: 'ready' } | { type: 'done'; id: number; results: RewardResult[] | EncodedItemOutcome[]; timing: ChunkTiming };

const init = workerData as WorkerInit;
const scorer: SampleScorer = init.scorerUrl ? ((await import(init.scorerUrl)) as SampleScorer) : builtinScorer;
const { progress, startedAt } = progressViews(init.progress);
const port = parentPort!;

function begin(chunk: number, index: number): void {
  startedAt[0] = performance.timeOrigin + performance.now();
  Atomics.store(progress, 1, chunk);
  Atomics.store(progress, 0, index);
}

async function scoreOne(sample: RewardSample): Promise<RewardResult> {
  try {
    return await scorer.scoreSample(sample, init.config);
  } catch (error) {
    return failedResult('failed', `scoring failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** Scores samples[k] (item positions[k] of chunk `id`), in one call when the scorer and the chunk allow. */
async function scoreMany(id: number, samples: RewardSample[], positions: readonly number[], oneByOne: boolean): Promise<RewardResult[]> {
  if (scorer.scoreSamples && !oneByOne && samples.length > 1) {
    begin(id, WHOLE_CHUNK);
    try {
      const results = await scorer.scoreSamples(samples, init.config);
      if (results.length === samples.length) return results;
    } catch {
      // Redone below one item at a time, so that only the failing item fails.
    }
  }
  const results: RewardResult[] = [];
  for (let k = 0; k < samples.length; k++) {
    begin(id, positions[k]);
    results.push(await scoreOne(samples[k]));
  }
  return results;
}

async function scoreChunk(request: WorkerRequest): Promise<void> {
  const chunkStart = performance.now();
  const timing: ChunkTiming = { decodeMs: 0, scoreMs: 0, serialiseMs: 0, busyMs: 0 };
  const oneByOne = request.oneByOne === true;
  let results: RewardResult[] | EncodedItemOutcome[];
  if ('samples' in request) {
    results = await scoreMany(request.id, request.samples, request.samples.map((_, k) => k), oneByOne);
    timing.scoreMs = performance.now() - chunkStart;
  } else {
    const { ranges } = request;
    const body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    const outcomes: EncodedItemOutcome[] = new Array(ranges.length / 2);
    const samples: RewardSample[] = [];
    const positions: number[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      begin(request.id, i);
      const parsed = sampleFromJson(body.toString('utf8', ranges[2 * i], ranges[2 * i + 1]));
      if ('sample' in parsed) {
        samples.push(parsed.sample);
        positions.push(i);
      } else outcomes[i] = parsed;
    }
    const decoded = performance.now();
    timing.decodeMs = decoded - chunkStart;
    const scored = await scoreMany(request.id, samples, positions, oneByOne);
    const serialising = performance.now();
    timing.scoreMs = serialising - decoded;
    scored.forEach((result, k) => (outcomes[positions[k]] = encodedOutcome(result)));
    timing.serialiseMs = performance.now() - serialising;
    results = outcomes;
  }
  Atomics.store(progress, 0, IDLE);
  timing.busyMs = performance.now() - chunkStart;
  port.postMessage({ type: 'done', id: request.id, results, timing } satisfies WorkerReply);
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
