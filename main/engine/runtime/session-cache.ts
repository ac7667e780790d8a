// Sessions cached per shape bucket. A graph with symbolic dims (batch, seq) runs at any size, but a
// session specialized to fixed sizes (freeDimensionOverrides) plans its memory once and runs
// faster, so the executor keeps one session per bucket of sizes. Buckets must stay few: creating
// and releasing sessions grows process memory (onnxruntime issue #25325), so the cache is small and
// callers pad lengths up to a handful of sizes (see bucketSize).

import type * as ort from 'onnxruntime-node';

/** Values of a graph's symbolic dims for one call, e.g. { batch: 8, seq: 256 }. */
export type DimBucket = Record<string, number>;

export function bucketKey(dims: DimBucket): string {
  return Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(',');
}

/** The smallest of `sizes` that holds `length`: pad sequences up to it to reuse a cached session. */
export function bucketSize(length: number, sizes: readonly number[]): number {
  let best = Infinity;
  for (const size of sizes) if (size >= length && size < best) best = size;
  if (best === Infinity) throw new RangeError(`length ${length} exceeds the largest bucket (${Math.max(...sizes)})`);
  return best;
}

export class SessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private created = 0;

  constructor(
    private readonly createSession: (dims: DimBucket) => Promise<ort.InferenceSession>,
    readonly maxSessions = 4,
  ) {
    if (!(maxSessions >= 1)) throw new RangeError(`maxSessions must be at least 1, got ${maxSessions}`);
  }

  /** The session for these dim values, created on first use; the least recently used one is released when full. */
  async get(dims: DimBucket): Promise<ort.InferenceSession> {
    const key = bucketKey(dims);
    let session = this.sessions.get(key);
    if (session) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.sessions.delete(key);
      this.sessions.set(key, session);
      return session;
    }
    session = this.createSession(dims);
    this.sessions.set(key, session);
    this.created++;
    if (this.sessions.size > this.maxSessions) {
      const [oldestKey, oldest] = this.sessions.entries().next().value as [string, Promise<ort.InferenceSession>];
      this.sessions.delete(oldestKey);
      await oldest.then((s) => s.release(), () => undefined);
    }
    try {
      return await session;
    } catch (error) {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
      throw error;
    }
  }

  /** Sessions alive now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Sessions created over the cache's life (a growing number means buckets are thrashing). */
  get createdCount(): number {
    return this.created;
  }

  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }
}
