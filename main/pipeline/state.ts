// pipelines/<name>/state.json: what each stage did, written atomically after every change so a crash
// leaves either the previous or the new state, and so the Recipe page (pipeline.status) can poll it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { workspacePaths, writeFileAtomic } from '../store/index.ts';
import type { StageName } from './stage-names.ts';

export const PIPELINE_STATE_FORMAT = 'saenggak-pipeline/1';

/**
 * pending: not reached; running; finished; skipped (finished earlier with the same config and inputs);
 * stopped (cancelled; the next run resumes it); failed; unavailable (the stage's module has not landed).
 */
export type StageStatus = 'pending' | 'running' | 'finished' | 'skipped' | 'stopped' | 'failed' | 'unavailable';
export type PipelineStatus = 'idle' | 'running' | 'finished' | 'stopped' | 'failed';

export interface StageProgress {
  done: number;
  total: number;
  unit: string;
}

export interface StageState {
  status: StageStatus;
  /** Hash of the resolved config + input fingerprints of the attempt recorded here. */
  hash?: string;
  /**
   * Names this attempt's run folders and evaluations: the hash's first 10 characters, plus a suffix when the
   * stage was forced (a forced rerun must train afresh, not resume the finished run of the same hash).
   */
  runId?: string;
  /** What the stage published for later stages (${stage.key}). */
  outputs?: Record<string, unknown>;
  startedAt?: string;
  finishedAt?: string;
  /** Wall time of the last attempt (a skipped stage: 0). */
  seconds?: number;
  progress?: StageProgress;
  /** Seconds left, extrapolated from the progress so far. */
  etaSeconds?: number | null;
  /** A short summary for the Recipe page (loss, accuracy, ...). */
  summary?: Record<string, unknown>;
  error?: string;
  /** The run folder / eval names the stage wrote, for links into their pages. */
  links?: { page: string; id?: string }[];
}

export interface PipelineState {
  format: typeof PIPELINE_STATE_FORMAT;
  name: string;
  status: PipelineStatus;
  /** The recipe file the last run used. */
  recipePath?: string;
  updatedAt: string;
  /** pid of the process running it (a stale 'running' with a dead pid reads as stopped). */
  pid?: number;
  stages: Partial<Record<StageName, StageState>>;
  /** Report paths once the report stage finished. */
  report?: { markdown?: string; html?: string };
}

export function pipelineDir(workspace: string, name: string): string {
  return join(workspacePaths(workspace).pipelines, name);
}

export function statePath(workspace: string, name: string): string {
  return join(pipelineDir(workspace, name), 'state.json');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The saved state, or null; a 'running' state whose process is gone reads as 'stopped'. */
export function readPipelineState(workspace: string, name: string): PipelineState | null {
  const path = statePath(workspace, name);
  if (!existsSync(path)) return null;
  const state = JSON.parse(readFileSync(path, 'utf8')) as PipelineState;
  if (state.format !== PIPELINE_STATE_FORMAT) throw new Error(`${path}: unknown format ${String(state.format)} (expected ${PIPELINE_STATE_FORMAT})`);
  if (state.status === 'running' && (state.pid === undefined || (state.pid !== process.pid && !processAlive(state.pid)))) {
    state.status = 'stopped';
    for (const stage of Object.values(state.stages)) if (stage?.status === 'running') stage.status = 'stopped';
  }
  return state;
}

export async function writePipelineState(workspace: string, state: PipelineState): Promise<void> {
  await mkdir(pipelineDir(workspace, state.name), { recursive: true });
  state.updatedAt = new Date().toISOString();
  await writeFileAtomic(statePath(workspace, state.name), JSON.stringify(state, null, 2) + '\n');
}
