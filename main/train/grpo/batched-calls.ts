// Calls made at the same time, answered by one batched call. The reward composition (rewards/compose.ts)
// asks the reward model for one sample at a time, several samples at once (its concurrency); scoring each
// alone ran one onnxruntime run per response. This gathers the calls made before the event loop turns and
// answers them with runs of up to `maxBatch` items (issue #20: reward-model scoring batched).

export function batchedCalls<I, O>(run: (items: I[]) => Promise<O[]>, maxBatch = 8): (item: I) => Promise<O> {
  let pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  const flush = async () => {
    const calls = pending;
    pending = [];
    for (let start = 0; start < calls.length; start += maxBatch) {
      const chunk = calls.slice(start, start + maxBatch);
      try {
        const out = await run(chunk.map((c) => c.item));
        if (out.length !== chunk.length) throw new Error(`batched call: ${chunk.length} items gave ${out.length} results`);
        chunk.forEach((c, i) => c.resolve(out[i]));
      } catch (error) {
        for (const c of chunk) c.reject(error);
      }
    }
  };
  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      if (pending.length === 0) setImmediate(() => void flush());
      pending.push({ item, resolve, reject });
    });
}
