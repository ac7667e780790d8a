// K-quant encoding spread over worker threads. Q4_K and Q6_K search each block's scales (ggml's reference
// quantizers), about 1.5 µs per weight in one JS thread: a 1.5B model would take most of an hour on one core.
// Blocks are independent, so a slice is cut at block boundaries, encoded in parallel and put back in order;
// the bytes are the same as one thread's.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GGML_BLOCK, type GGMLType } from './constants.ts';

type Pending = { resolve: (b: Uint8Array) => void; reject: (e: Error) => void };

function spawn(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  // Worker threads do not inherit tsx's module hooks: register them first (as reward-server/pool.ts does).
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true });
}

export class QuantPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private next = 0;

  private constructor(size: number) {
    const entry = new URL(import.meta.url.endsWith('.ts') ? './quant-worker.ts' : './quant-worker.js', import.meta.url);
    this.workers = Array.from({ length: size }, () => {
      const w = spawn(entry);
      w.on('message', (m: { id: number; bytes?: Uint8Array; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error));
        else p.resolve(new Uint8Array(m.bytes!.buffer, m.bytes!.byteOffset, m.bytes!.byteLength));
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return w;
    });
  }

  /** A pool of `size` threads (default: the machine's parallelism, at most 8). */
  static create(size = Math.min(8, availableParallelism())): QuantPool {
    if (!Number.isInteger(size) || size < 1) throw new Error(`quantization threads must be a positive integer, got ${size}`);
    return new QuantPool(size);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Encodes `values` (whole blocks) as `type`, one part per thread; same bytes as quantize(). */
  async encode(values: Float32Array, type: GGMLType): Promise<Uint8Array> {
    const block = GGML_BLOCK[type];
    const blocks = values.length / block.elements;
    const parts = Math.min(this.workers.length, blocks);
    const per = Math.ceil(blocks / parts);
    const jobs: Promise<Uint8Array>[] = [];
    for (let b = 0; b < blocks; b += per) {
      const slice = values.slice(b * block.elements, Math.min(blocks, b + per) * block.elements); // a copy, transferred
      const id = this.nextId++;
      const worker = this.workers[this.next++ % this.workers.length];
      jobs.push(new Promise<Uint8Array>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        worker.postMessage({ id, type, values: slice }, [slice.buffer]);
      }));
    }
    const encoded = await Promise.all(jobs);
    const out = new Uint8Array(blocks * block.bytes);
    let at = 0;
    for (const e of encoded) {
      out.set(e, at);
      at += e.length;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
