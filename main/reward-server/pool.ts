// A pool of reward-scoring worker threads with a per-item time limit.
//
// A batch is cut into small chunks that go to the workers, so even one batch keeps every worker busy, and
// each worker holds a second chunk in reserve so it never waits for this thread (busy reading the next
// request) between chunks. Each worker publishes the chunk and item it is on and its start time in shared
// memory (progress.ts); a watchdog checks them every few milliseconds, and a worker that has spent
// longer than the limit on one item is terminated and replaced: that item scores 0 with a reason, and the
// rest of its chunks go back to the front of the queue. Workers score a chunk with one call, so the first
// time-out only says which chunk holds the stuck item; that chunk is then retried one item per call, and the
// item times out again, this time by name. A pathological response therefore costs two worker restarts and
// twice the item limit, never the batch.
//
// Items come as samples (score) or as the raw bytes of request items (scoreEncoded, used by the server so
// that decoding and parsing a large body is spread over the workers too; see request-split.ts).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { RewardConfig, RewardSample } from '../rewards/index.ts';
import { encodedOutcome, failedResult, type EncodedItemOutcome, type RewardResult } from './scoring.ts';
import { IDLE, PROGRESS_BYTES, progressViews, WHOLE_CHUNK } from './progress.ts';
import type { ChunkTiming, WorkerInit, WorkerReply, WorkerRequest } from './worker.ts';

export type RewardPoolOptions = {
  config: RewardConfig;
  /** Worker threads; default the number of cores. */
  workers?: number;
  /** Longest time one sample may take, in ms (default 2000). */
  itemTimeoutMs?: number;
  /** A module exporting `scoreSample` (tests); default the worker's own main/reward-server/scoring.ts. */
  scorerUrl?: string;
  /** Whether idle workers keep the process alive (default true). */
  holdProcess?: boolean;
};

/** The worker entry: the TypeScript source in development, reward-worker.js beside the Electron bundle. */
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('./worker.ts', import.meta.url) : new URL('./reward-worker.js', import.meta.url);

/**
 * Where a batch's items are: samples, or a request body and each item's [start, end) in it. The body lies
 * in a SharedArrayBuffer, so a chunk's message hands the workers the memory itself, not a copy.
 */
type Source = { samples: readonly RewardSample[] } | { body: SharedBytes; ranges: Int32Array };
type SharedBytes = Uint8Array<SharedArrayBuffer>;

/**
 * Where one batch's time went (the server reports it in a Server-Timing header; the benchmark breaks a round
 * trip down with it). Worker times are summed over the workers, so with N workers fully busy they add up to
 * N times the batch's wall time.
 */
export type PoolTrace = {
  /** Chunks the batch was cut into: one message to a worker and one back, each. */
  chunks: number;
  /** This thread's time making the chunks' messages and posting them, ms. */
  dispatchMs: number;
} & Record<keyof ChunkTiming, number>;

export function emptyPoolTrace(): PoolTrace {
  return { chunks: 0, dispatchMs: 0, decodeMs: 0, scoreMs: 0, serialiseMs: 0, busyMs: 0 };
}
type Outcome = RewardResult | EncodedItemOutcome;
type Batch = {
  source: Source;
  results: (Outcome | undefined)[];
  pending: number;
  resolve: (results: Outcome[]) => void;
  /** Settled early (an item was invalid): its remaining chunks are dropped. */
  done: boolean;
  trace: PoolTrace | undefined;
};
/** `oneByOne`: a retry after a whole-chunk call timed out; each item gets its own call (worker.ts). */
type Chunk = { batch: Batch; indices: number[]; oneByOne?: boolean };
/** A chunk sent to a worker, with the id the worker reports progress and results under. */
type Sent = { id: number; chunk: Chunk };
type Slot = {
  worker: Worker;
  /** What the worker is scoring (progress.ts). */
  progress: Int32Array;
  startedAt: Float64Array;
  ready: boolean;
  /** Chunks sent and not answered yet, oldest (the one in progress) first. */
  sent: Sent[];
};

/** Chunks a worker holds at once: the one it scores and one in reserve. */
const CHUNKS_PER_WORKER = 2;
let nextChunkId = 0;

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
  private readonly scorerUrl: string | undefined;
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
    this.scorerUrl = options.scorerUrl;
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

  /** Items waiting for a worker. */
  get queuedSamples(): number {
    return this.queue.reduce((n, c) => n + c.indices.length, 0);
  }

  /** Scores the samples in order; never rejects for one sample (a failed or slow sample scores 0). */
  score(samples: readonly RewardSample[], trace?: PoolTrace): Promise<RewardResult[]> {
    return this.enqueue({ samples }, samples.length, trace) as Promise<RewardResult[]>;
  }

  /**
   * Decodes, validates and scores request items given as UTF-8 JSON bytes (item k is
   * body[ranges[2k], ranges[2k+1])), in order. Results come back serialised. As soon as an item turns out
   * not to be valid JSON or not a valid item, the promise resolves with that outcome in its place and the
   * batch's queued items are dropped (the whole request will be refused). `trace`, when given, is added to
   * as the batch's chunks are sent and answered.
   */
  scoreEncoded(body: Uint8Array, ranges: Int32Array, trace?: PoolTrace): Promise<EncodedItemOutcome[]> {
    if (ranges.length % 2 !== 0) return Promise.reject(new Error('ranges must hold a start and an end per item'));
    return this.enqueue({ body: inSharedMemory(body), ranges }, ranges.length / 2, trace) as Promise<EncodedItemOutcome[]>;
  }

  private enqueue(source: Source, count: number, trace: PoolTrace | undefined): Promise<Outcome[]> {
    if (this.closed) return Promise.reject(new Error('the reward pool is closed'));
    if (this.startupError) return Promise.reject(this.startupError);
    if (count === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const batch: Batch = { source, results: new Array(count), pending: count, resolve, done: false, trace };
      // About eight chunks per worker: the last chunks of a batch end close together (a worker idles at most
      // one small chunk's time), and small chunks also bound the re-done work after a kill.
      const chunkSize = Math.max(1, Math.min(64, Math.ceil(count / (this.size * 8))));
      for (let start = 0; start < count; start += chunkSize) {
        const indices = Array.from({ length: Math.min(chunkSize, count - start) }, (_, k) => start + k);
        this.queue.push({ batch, indices });
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
    const shared = new SharedArrayBuffer(PROGRESS_BYTES);
    const { progress, startedAt } = progressViews(shared);
    progress[0] = IDLE;
    const worker = spawnWorker(WORKER_URL, { config: this.config, scorerUrl: this.scorerUrl, progress: shared });
    const slot: Slot = { worker, progress, startedAt, ready: false, sent: [] };
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
        // Replies come in the order the chunks were sent.
        const at = slot.sent.findIndex((s) => s.id === reply.id);
        if (at >= 0) {
          const [{ chunk }] = slot.sent.splice(at, 1);
          const trace = chunk.batch.trace;
          if (trace) for (const key of Object.keys(reply.timing) as (keyof ChunkTiming)[]) trace[key] += reply.timing[key];
          chunk.indices.forEach((index, k) => this.settle(chunk.batch, index, reply.results[k]));
        }
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

  /** Tops every worker up to CHUNKS_PER_WORKER chunks, round-robin so one batch reaches every worker first. */
  private dispatch(): void {
    for (let round = 0; round < CHUNKS_PER_WORKER; round++) {
      for (const slot of this.slots) {
        if (!slot.ready || slot.sent.length > round) continue;
        let chunk = this.queue.shift();
        while (chunk?.batch.done) chunk = this.queue.shift();
        if (!chunk) return;
        const id = nextChunkId;
        nextChunkId = (nextChunkId + 1) % 0x7fffffff; // ids travel through an Int32Array
        slot.sent.push({ id, chunk });
        const started = performance.now();
        slot.worker.postMessage(chunkMessage(chunk, id));
        const trace = chunk.batch.trace;
        if (trace) {
          trace.chunks++;
          trace.dispatchMs += performance.now() - started;
        }
      }
    }
  }

  private settle(batch: Batch, index: number, result: Outcome): void {
    if (batch.done || batch.results[index] !== undefined) return;
    batch.results[index] = result;
    if ('badJson' in result || 'issues' in result) {
      batch.done = true;
      batch.resolve(batch.results as Outcome[]);
      return;
    }
    if (--batch.pending === 0) {
      batch.done = true;
      batch.resolve(batch.results as Outcome[]);
    }
  }

  private checkDeadlines(): void {
    const now = performance.timeOrigin + performance.now();
    for (const slot of this.slots) {
      if (slot.sent.length === 0 || Atomics.load(slot.progress, 0) === IDLE) continue;
      if (now - slot.startedAt[0] > this.itemTimeoutMs) {
        this.replace(slot, `timed out: scoring took longer than ${this.itemTimeoutMs} ms and was stopped`, 'timeout');
      }
    }
  }

  /**
   * Stops a worker, scores the item it is stuck on 0 with `reason`, re-queues the rest of its chunks (in
   * their order, at the front), starts another.
   */
  private replace(slot: Slot, reason: string, error: 'timeout' | 'failed'): void {
    if (!this.slots.delete(slot)) return;
    const stuckAt = Atomics.load(slot.progress, 0);
    const stuckChunk = Atomics.load(slot.progress, 1);
    const sent = slot.sent.splice(0);
    void slot.worker.terminate();
    this.restarts++;
    const requeue: Chunk[] = [];
    for (const { id, chunk } of sent) {
      // Stopped in a whole-chunk call: the culprit is one of its items, so they are retried one by one.
      const rest: Chunk = { batch: chunk.batch, indices: [], oneByOne: chunk.oneByOne || (stuckAt === WHOLE_CHUNK && id === stuckChunk) };
      chunk.indices.forEach((index, k) => {
        if (stuckAt >= 0 && id === stuckChunk && k === stuckAt) this.settle(chunk.batch, index, failure(chunk.batch, error, reason));
        else if (chunk.batch.results[index] === undefined) rest.indices.push(index);
      });
      // Without a known culprit (a crash between items), the chunks are retried whole: no item is lost.
      if (rest.indices.length > 0) requeue.push(rest);
    }
    this.queue.unshift(...requeue);
    if (!this.closed) {
      this.addWorker().catch(() => this.failQueued());
    }
    this.dispatch();
  }

  /** When replacement workers cannot start, the waiting batches finish with failures instead of hanging. */
  private failQueued(): void {
    const reason = this.startupError?.message ?? 'no reward worker could be started';
    for (const chunk of this.queue.splice(0)) for (const index of chunk.indices) this.settle(chunk.batch, index, failure(chunk.batch, 'failed', reason));
  }
}

/** A failed item in the batch's own result form. */
function failure(batch: Batch, error: 'timeout' | 'failed', reason: string): Outcome {
  const result = failedResult(error, reason);
  return 'samples' in batch.source ? result : encodedOutcome(result);
}

/** `bytes` itself when it already lies in shared memory (the server reads bodies so), else a shared copy. */
export function inSharedMemory(bytes: Uint8Array): SharedBytes {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes as SharedBytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/**
 * The worker message for a chunk. Encoded items are sent as their ranges in the shared body: posting a
 * view of shared memory copies nothing (the body stays unchanged while its batch is scored).
 */
function chunkMessage(chunk: Chunk, id: number): WorkerRequest {
  const source = chunk.batch.source;
  const oneByOne = chunk.oneByOne === true;
  if ('samples' in source) return { id, oneByOne, samples: chunk.indices.map((i) => source.samples[i]) };
  const { body, ranges } = source;
  const itemRanges: number[] = [];
  for (const i of chunk.indices) itemRanges.push(ranges[2 * i], ranges[2 * i + 1]);
  return { id, oneByOne, body, ranges: itemRanges };
}
