// Near-duplicate search over embeddings in LanceDB: the vectors go into a scratch table, an ANN index is
// built when the table is large enough for one to pay off, and every vector asks for its `k` nearest
// neighbours (many query vectors per LanceDB query, the next batch searched while this one's results are
// filed; LanceDB's compute pool gets one thread per core, see lance-threads.ts). Then one greedy pass in input order: an item is a
// duplicate when one of its neighbours came earlier, was kept, and is at least `threshold` similar. The
// first item of every cluster of near-copies survives, so the output does not depend on ANN tie order.
import { Field, FixedSizeList, Float32, Int32, Schema, makeData, RecordBatch, Struct, Table as ArrowTable } from 'apache-arrow';
import { Index, type Connection } from '@lancedb/lancedb';
import { useAllCoresForLance } from './lance-threads.ts';

// Before any LanceDB search in this process, so the searches below can use every core.
useAllCoresForLance();

export type NearDuplicateOptions = {
  connection: Connection;
  /** Scratch table name; replaced if it exists, dropped afterwards unless `keepTable`. */
  tableName: string;
  /** Row-major [count × dimension] unit vectors. */
  vectors: Float32Array;
  dimension: number;
  /** Cosine similarity at or above which two items are near-duplicates (default 0.7 for the n-gram embedder). */
  threshold?: number;
  /** Neighbours looked at per item (default 10). */
  k?: number;
  /** Build an IVF index from this many items on (default 20 000); below it the search is exact. */
  indexFrom?: number;
  /** Query vectors sent in one LanceDB query (default 1024). */
  queryBatch?: number;
  /**
   * IVF partitions probed per query (default 2). Near-duplicates at the default threshold are close enough
   * to land in the same or the next partition: on the 200k-sample bench, recall of planted duplicates is
   * the same at 2 probes as at 6 (0.997), and each probe adds about a sixth to the search time.
   */
  nprobes?: number;
  keepTable?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

export type NearDuplicateResult = {
  /** For each item, the index of the kept item it duplicates, or -1 when it is kept. */
  duplicateOf: Int32Array;
  /** Similarity to that item (0 for kept items). */
  similarity: Float32Array;
  /** Whether an ANN index was used (else exact search). */
  indexed: boolean;
  /** Where the time went (seconds). */
  timings: { writeSeconds: number; indexSeconds: number; searchSeconds: number };
};

const ID = 'id';
const VECTOR = 'vector';

function vectorBatch(schema: Schema, vectors: Float32Array, dimension: number, start: number, end: number): ArrowTable {
  const n = end - start;
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = start + i;
  const values = vectors.subarray(start * dimension, end * dimension);
  const listType = schema.fields[1].type as FixedSizeList<Float32>;
  const valueData = makeData({ type: new Float32(), length: values.length, data: values });
  const listData = makeData({ type: listType, length: n, nullCount: 0, child: valueData });
  const idData = makeData({ type: new Int32(), length: n, data: ids });
  const struct = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: [idData, listData] });
  return new ArrowTable([new RecordBatch(schema, struct)]);
}

export async function findNearDuplicates(options: NearDuplicateOptions): Promise<NearDuplicateResult> {
  const { connection, tableName, vectors, dimension } = options;
  const threshold = options.threshold ?? 0.7;
  const k = options.k ?? 10;
  const count = vectors.length / dimension;
  if (!Number.isInteger(count)) throw new Error(`vectors hold ${vectors.length} floats, not a multiple of the dimension ${dimension}`);
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`near-duplicate threshold must be in (0, 1], got ${threshold}`);
  const duplicateOf = new Int32Array(count).fill(-1);
  const similarity = new Float32Array(count);
  if (count < 2) return { duplicateOf, similarity, indexed: false, timings: { writeSeconds: 0, indexSeconds: 0, searchSeconds: 0 } };

  const schema = new Schema([
    new Field(ID, new Int32(), false),
    new Field(VECTOR, new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);
  const writeBatch = 50_000;
  const begun = performance.now();
  const timings = { writeSeconds: 0, indexSeconds: 0, searchSeconds: 0 };
  if ((await connection.tableNames()).includes(tableName)) await connection.dropTable(tableName);
  const table = await connection.createEmptyTable(tableName, schema);
  try {
    for (let start = 0; start < count; start += writeBatch) {
      options.signal?.throwIfAborted();
      await table.add(vectorBatch(schema, vectors, dimension, start, Math.min(count, start + writeBatch)));
    }
    const indexed = count >= (options.indexFrom ?? 20_000);
    timings.writeSeconds = (performance.now() - begun) / 1000;
    if (indexed) {
      // IVF with exact (flat) distances inside the probed partitions: no quantization error near the threshold.
      // ~400 vectors per partition: fewer partitions train faster; a query scans nprobes × 400 vectors.
      const numPartitions = Math.max(16, Math.round(count / 400));
      const started = performance.now();
      // k-means trains on 64 vectors per partition instead of LanceDB's 256: a third less index time on the
      // 200k bench, recall of planted duplicates 0.995 instead of 0.997 (the partitions only route queries).
      await table.createIndex(VECTOR, { config: Index.ivfFlat({ numPartitions, distanceType: 'cosine', sampleRate: 64 }) });
      timings.indexSeconds = (performance.now() - started) / 1000;
    }
    // neighbours[i*k + j] = neighbour id (or -1), sims likewise.
    const neighbours = new Int32Array(count * k).fill(-1);
    const sims = new Float32Array(count * k);
    const queryBatch = options.queryBatch ?? 1024;
    const search = (start: number): Promise<ArrowTable> => {
      const end = Math.min(count, start + queryBatch);
      let query = table.query().nearestTo(vectors.subarray(start * dimension, (start + 1) * dimension)).distanceType('cosine').limit(k + 1).select([ID, '_distance']);
      for (let i = start + 1; i < end; i++) query = query.addQueryVector(vectors.subarray(i * dimension, (i + 1) * dimension));
      if (indexed) query = query.nprobes(options.nprobes ?? 2);
      return query.toArrow() as Promise<ArrowTable>;
    };
    // One batch is searched ahead: LanceDB works on it while this thread files the previous batch's results.
    let ahead: Promise<ArrowTable> | null = search(0);
    ahead.catch(() => undefined); // awaited below; an abort meanwhile must not leave it unhandled
    for (let start = 0; start < count; start += queryBatch) {
      const end = Math.min(count, start + queryBatch);
      const pending: Promise<ArrowTable> = ahead!;
      ahead = null;
      options.signal?.throwIfAborted();
      if (end < count) {
        ahead = search(end);
        ahead.catch(() => undefined);
      }
      const result = await pending;
      const ids = result.getChild(ID)!.toArray() as Int32Array;
      const distances = result.getChild('_distance')!.toArray() as Float32Array;
      const queryIndexColumn = result.getChild('query_index');
      const queryIndex = queryIndexColumn ? (queryIndexColumn.toArray() as ArrayLike<number | bigint>) : null;
      const filled = new Int32Array(end - start);
      for (let r = 0; r < ids.length; r++) {
        const q = start + (queryIndex ? Number(queryIndex[r]) : 0);
        const id = ids[r];
        if (id === q) continue;
        const slot = filled[q - start];
        if (slot >= k) continue;
        neighbours[q * k + slot] = id;
        sims[q * k + slot] = 1 - distances[r];
        filled[q - start] = slot + 1;
      }
      options.onProgress?.(end, count);
    }
    timings.searchSeconds = (performance.now() - begun) / 1000 - timings.writeSeconds - timings.indexSeconds;
    // Greedy pass in input order. Neighbour lists are read both ways (i found j, or j found i), so an
    // asymmetric ANN result still links the pair; for each later item the most similar kept earlier one wins.
    const candidates = new Map<number, { j: number; sim: number }[]>();
    for (let i = 0; i < count; i++) {
      for (let s = 0; s < k; s++) {
        const j = neighbours[i * k + s];
        if (j < 0) break;
        const sim = sims[i * k + s];
        if (sim < threshold || j === i) continue;
        const [late, early] = j < i ? [i, j] : [j, i];
        let list = candidates.get(late);
        if (!list) candidates.set(late, (list = []));
        list.push({ j: early, sim });
      }
    }
    for (let i = 0; i < count; i++) {
      const list = candidates.get(i);
      if (!list) continue;
      list.sort((a, b) => b.sim - a.sim || a.j - b.j);
      for (const { j, sim } of list) {
        if (duplicateOf[j] === -1) {
          duplicateOf[i] = j;
          similarity[i] = sim;
          break;
        }
      }
    }
    return { duplicateOf, similarity, indexed, timings };
  } finally {
    table.close();
    if (!options.keepTable) await connection.dropTable(tableName).catch(() => undefined);
  }
}
