// When a job waiting for its device should start (#21): the running job's remaining time (its progress
// ETA), plus, for each job ahead in line, the mean run time of finished jobs of the same kind on that
// device. Null when any part is unknown (no progress rate yet, no past run of a kind): the page then
// shows the place in line only, rather than a made-up time.
import type { JobRecord } from '../api/types.ts';

function seconds(job: JobRecord): number | null {
  if (!job.startedAt || !job.endedAt) return null;
  return (Date.parse(job.endedAt) - Date.parse(job.startedAt)) / 1000;
}

/** Seconds until `job` (waiting in its device's line) should start, or null when that cannot be told. */
export function estimatedStartSeconds(job: JobRecord, all: readonly JobRecord[]): number | null {
  if (!job.queue) return null;
  const { device, position } = job.queue;
  const running = all.find((j) => j.status === 'running' && j.device === device);
  const left = running ? running.progress?.etaSeconds ?? null : 0;
  if (left === null) return null;
  let total = left;
  const ahead = all.filter((j) => j.queue?.device === device && j.queue.position < position);
  for (const other of ahead) {
    const past = all.filter((j) => j.status === 'succeeded' && j.device === device && j.kind === other.kind).map(seconds).filter((s): s is number => s !== null);
    if (past.length === 0) return null;
    total += past.reduce((a, b) => a + b, 0) / past.length;
  }
  return total;
}
