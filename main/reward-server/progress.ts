// What a reward worker publishes, in memory shared with its pool, about the item it is scoring: the pool's
// watchdog reads it to stop a worker that has spent too long on one item (pool.ts), without a
// message per item. Layout of the 16-byte SharedArrayBuffer:
//
//   Int32 [0]   the item's index within its chunk, or IDLE, or WHOLE_CHUNK (the whole chunk is being scored
//               in one call: a time-out then cannot name the item, and the chunk is retried item by item)
//   Int32 [1]   the chunk's id
//   Float64 @8  when the item (or whole-chunk call) started, ms since the epoch (performance.timeOrigin-based)
export const PROGRESS_BYTES = 16;
export const IDLE = -1;
export const WHOLE_CHUNK = -2;

export type ProgressViews = { progress: Int32Array; startedAt: Float64Array };

export function progressViews(shared: SharedArrayBuffer): ProgressViews {
  return { progress: new Int32Array(shared, 0, 2), startedAt: new Float64Array(shared, 8, 1) };
}
