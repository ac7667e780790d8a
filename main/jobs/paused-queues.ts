// Which device queues are paused (#21), kept in <workspace>/jobs/paused-queues.json so a pause survives an
// app restart like the waiting jobs do. Written atomically (temp file + rename); a missing or unreadable
// file means nothing is paused.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = (workspace: string) => join(workspace, 'jobs', 'paused-queues.json');

export function readPausedQueues(workspace: string): string[] {
  try {
    if (!existsSync(file(workspace))) return [];
    const value = JSON.parse(readFileSync(file(workspace), 'utf8')) as { paused?: unknown };
    return Array.isArray(value.paused) ? value.paused.filter((d): d is string => typeof d === 'string' && /^(cpu|webgpu|cuda:\d+)$/.test(d)) : [];
  } catch {
    return [];
  }
}

export function writePausedQueues(workspace: string, paused: readonly string[]): void {
  mkdirSync(join(workspace, 'jobs'), { recursive: true });
  const tmp = `${file(workspace)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ paused }) + '\n');
  renameSync(tmp, file(workspace));
}
