// A pool of reward-scoring worker threads with a per-sample time limit.
//
// A batch is cut into chunks that go to idle workers. Each worker publishes the sample it is on and its start
// time in shared memory; a watchdog checks them every few milliseconds, and a worker that has spent longer
// than the limit on one sample is terminated and replaced: that sample scores 0 with a reason, and the rest
// of its chunk goes back to the front of the queue. A pathological response therefore costs one worker
// restart, never the batch.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { RewardConfig, RewardSample } from '../rewards/index.ts';
import { failedResult, type RewardResult } from './reward-scoring.ts';
import type { WorkerInit, WorkerReply } from './reward-worker.ts';

export type RewardPoolOptions = {
  config: RewardConfig;
  /** Worker threads; default the number of cores. */
  workers?: number;
  /** Longest time one sample may take, in ms (default 2000). */
  itemTimeoutMs?: number;
  /** A module exporting `scoreSample` (tests); default main/export/reward-scoring.ts. */
  scorerUrl?: string;
  /** Whether idle workers keep the process alive (default true). */
  holdProcess?: boolean;
};

const DEFAULT_SCORER_URL = new URL('./reward-scoring.ts', import.meta.url).href;
const WORKER_URL = new URL('./reward-worker.ts', import.meta.url);

type Batch = { results: (RewardResult | undefined)[]; pending: number; resolve: (results: RewardResult[]) => void };
type Chunk = { batch: Batch; indices: number[]; samples: RewardSample[] };
type Slot = { worker: Worker; current: Int32Array; startedAt: Float64Array; ready: boolean; chunk?: Chunk };

/**
 * Starts a worker on a TypeScript entry when this process runs TypeScript through tsx (development, tests):
 * worker threads do not inherit tsx's module hooks, so the worker registers them before importing the entry.
 */
function spawnWorker(entry: URL, workerData: WorkerInit): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export class RewardPool {
  readonly size: number;
  readonly itemTimeoutMs: number;
  private readonly config: RewardConfig;
  private readonly scorerUrl: string;
  private readonly holdProcess: boolean;
  private readonly slots = new Set<Slot>();
  private readonly queue: Chunk[] = [];
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;
  private restarts = 0;
  private startupError: Error | undefined;

  private constructor(options: RewardPoolOptions) {
    this.config = options.config;
    this.size = Math.max(1, options.workers ?? availableParallelism());
    this.itemTimeoutMs = options.itemTimeoutMs ?? 2000;
    if (!(this.itemTimeoutMs > 0)) throw new Error(`itemTimeoutMs must be positive, got ${options.itemTimeoutMs}`);
    this.scorerUrl = options.scorerUrl ?? DEFAULT_SCORER_URL;
    this.holdProcess = options.holdProcess ?? true;
    const period = Math.min(100, Math.max(2, this.itemTimeoutMs / 5));
    this.watchdog = setInterval(() => this.checkDeadlines(), period);
    this.watchdog.unref();
  }

  /** Starts the workers and waits until each has loaded the scorer. */
  static async start(options: RewardPoolOptions): Promise<RewardPool> {
    const pool = new RewardPool(options);
    const ready = Array.from({ length: pool.size }, () => pool.addWorker());
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Workers restarted after a time-out or a crash, since the start. */
  get workerRestarts(): number {
    return this.restarts;
  }

  /** Samples waiting for a worker. */
  get queuedSamples(): number {
    return this.queue.reduce((n, c) => n + c.samples.length, 0);
  }

  /** Scores the samples in order; never rejects for one sample (a failed or slow sample scores 0). */
  score(samples: readonly RewardSample[]): Promise<RewardResult[]> {
    if (this.closed) return Promise.reject(new Error('the reward pool is closed'));
    if (this.startupError) return Promise.reject(this.startupError);
    if (samples.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const batch: Batch = { results: new Array(samples.length), pending: samples.length, resolve: resolve as Batch['resolve'] };
      // Several chunks per worker balance the load; small chunks also bound the re-done work after a kill.
      const chunkSize = Math.max(1, Math.min(64, Math.ceil(samples.length / (this.size * 4))));
      for (let start = 0; start < samples.length; start += chunkSize) {
        const indices = Array.from({ length: Math.min(chunkSize, samples.length - start) }, (_, k) => start + k);
        this.queue.push({ batch, indices, samples: indices.map((i) => samples[i]) });
      }
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const workers = [...this.slots].map((s) => s.worker);
    this.slots.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private addWorker(): Promise<void> {
    const progress = new SharedArrayBuffer(16);
    const current = new Int32Array(progress, 0, 1);
    current[0] = -1;
    const worker = spawnWorker(WORKER_URL, { config: this.config, scorerUrl: this.scorerUrl, progress });
    const slot: Slot = { worker, current, startedAt: new Float64Array(progress, 8, 1), ready: false };
    this.slots.add(slot);
    return new Promise((resolveReady, rejectReady) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          slot.ready = true;
          // Only once it is up (a starting worker must hold the process, or an awaited start would be cut off).
          if (!this.holdProcess) worker.unref();
          resolveReady();
          this.dispatch();
          return;
        }
        const chunk = slot.chunk;
        slot.chunk = undefined;
        if (chunk) chunk.indices.forEach((index, k) => this.settle(chunk.batch, index, reply.results[k]));
        this.dispatch();
      });
      worker.on('error', (error) => {
        if (!slot.ready) {
          // A worker that cannot even load the scorer will not do better on a restart.
          this.startupError = new Error(`reward worker failed to start: ${error.message}`);
          this.slots.delete(slot);
          rejectReady(this.startupError);
          return;
        }
        this.replace(slot, `worker crashed: ${error.message}`, 'failed');
      });
      worker.on('exit', () => {
        if (this.slots.has(slot) && !this.closed) this.replace(slot, 'worker exited unexpectedly', 'failed');
      });
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.chunk) continue;
      const chunk = this.queue.shift()!;
      slot.chunk = chunk;
      slot.worker.postMessage({ samples: chunk.samples });
    }
  }

  private settle(batch: Batch, index: number, result: RewardResult): void {
    if (batch.results[index] !== undefined) return;
    batch.results[index] = result;
    if (--batch.pending === 0) batch.resolve(batch.results as RewardResult[]);
  }

  private checkDeadlines(): void {
    const now = performance.timeOrigin + performance.now();
    for (const slot of this.slots) {
      if (!slot.chunk || Atomics.load(slot.current, 0) < 0) continue;
      if (now - slot.startedAt[0] > this.itemTimeoutMs) {
        this.replace(slot, `timed out: scoring took longer than ${this.itemTimeoutMs} ms and was stopped`, 'timeout');
      }
    }
  }

  /** Stops a worker, scores its current sample 0 with `reason`, re-queues the rest of its chunk, starts another. */
  private replace(slot: Slot, reason: string, error: 'timeout' | 'failed'): void {
    if (!this.slots.delete(slot)) return;
    const chunk = slot.chunk;
    slot.chunk = undefined;
    const stuckAt = Atomics.load(slot.current, 0);
    void slot.worker.terminate();
    this.restarts++;
    if (chunk) {
      const rest: Chunk = { batch: chunk.batch, indices: [], samples: [] };
      chunk.indices.forEach((index, k) => {
        if (k === stuckAt) this.settle(chunk.batch, index, failedResult(error, reason));
        else if (chunk.batch.results[index] === undefined) {
          rest.indices.push(index);
          rest.samples.push(chunk.samples[k]);
        }
      });
      // Without a known culprit (a crash between samples), the chunk is retried whole: no sample is lost.
      if (rest.indices.length > 0) this.queue.unshift(rest);
    }
    if (!this.closed) {
      this.addWorker().catch(() => this.failQueued());
    }
    this.dispatch();
  }

  /** When replacement workers cannot start, the waiting batches finish with failures instead of hanging. */
  private failQueued(): void {
    const reason = this.startupError?.message ?? 'no reward worker could be started';
    for (const chunk of this.queue.splice(0)) for (const index of chunk.indices) this.settle(chunk.batch, index, failedResult('failed', reason));
  }
}
