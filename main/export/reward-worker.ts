// A reward-scoring worker thread. It scores one chunk of samples at a time and, before each sample, writes
// which sample it is on and when it started into memory shared with the pool: the pool's watchdog reads it
// to stop a worker stuck on one sample (main/export/reward-pool.ts) without a message per sample.
import { parentPort, workerData } from 'node:worker_threads';
import type { RewardConfig, RewardSample } from '../rewards/index.ts';
import { failedResult, type RewardResult, type SampleScorer } from './reward-scoring.ts';

export type WorkerInit = { config: RewardConfig; scorerUrl: string; progress: SharedArrayBuffer };
export type WorkerRequest = { samples: RewardSample[] };
export type WorkerReply = { type: 'ready' } | { type: 'done'; results: RewardResult[] };

const init = workerData as WorkerInit;
const scorer = (await import(init.scorerUrl)) as SampleScorer;
// [0]: index of the sample being scored in the current chunk, -1 when idle; bytes 8..16: its start time (ms).
const current = new Int32Array(init.progress, 0, 1);
const startedAt = new Float64Array(init.progress, 8, 1);
const port = parentPort!;

port.on('message', async ({ samples }: WorkerRequest) => {
  const results: RewardResult[] = [];
  for (let i = 0; i < samples.length; i++) {
    startedAt[0] = performance.timeOrigin + performance.now();
    Atomics.store(current, 0, i);
    try {
      results.push(await scorer.scoreSample(samples[i], init.config));
    } catch (error) {
      results.push(failedResult('failed', `scoring failed: ${(error as Error).message ?? String(error)}`));
    }
  }
  Atomics.store(current, 0, -1);
  port.postMessage({ type: 'done', results } satisfies WorkerReply);
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
