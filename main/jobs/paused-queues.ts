// Which device queues are paused (#21), kept in <workspace>/jobs/paused-queues.json so a pause survives an
// app restart like the waiting jobs do. Written atomically (temp file + rename); a missing or unreadable
// file means nothing is paused. A device that was lost during a job (CUDA launch failure, WebGPU device
// lost) is paused with the reason in `lost`, until the user resumes its queue after a reset.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why a device's queue was paused by the app itself: the job that lost it and its message. */
export type LostDevice = { device: string; jobId: string; message: string; at: string };

const file = (workspace: string) => join(workspace, 'jobs', 'paused-queues.json');
const DEVICE = /^(cpu|webgpu|cuda:\d+)$/;

function read(workspace: string): { paused?: unknown; lost?: unknown } {
  try {
    if (!existsSync(file(workspace))) return {};
    const value = JSON.parse(readFileSync(file(workspace), 'utf8')) as { paused?: unknown; lost?: unknown } | null;
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

export function readPausedQueues(workspace: string): string[] {
  const { paused } = read(workspace);
  return Array.isArray(paused) ? paused.filter((d): d is string => typeof d === 'string' && DEVICE.test(d)) : [];
}

export function readLostDevices(workspace: string): LostDevice[] {
  const { lost } = read(workspace);
  if (!Array.isArray(lost)) return [];
  return lost.filter(
    (l): l is LostDevice =>
      !!l && typeof l === 'object' && typeof l.device === 'string' && DEVICE.test(l.device) && typeof l.jobId === 'string' && typeof l.message === 'string' && typeof l.at === 'string',
  );
}

export function writePausedQueues(workspace: string, paused: readonly string[], lost: readonly LostDevice[] = []): void {
  mkdirSync(join(workspace, 'jobs'), { recursive: true });
  const tmp = `${file(workspace)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ paused, ...(lost.length ? { lost } : {}) }) + '\n');
  renameSync(tmp, file(workspace));
}
