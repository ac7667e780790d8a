// Training checkpoints: parameters and optimizer state as safetensors plus a small JSON with the
// step, the run's config, the data cursor and the RNG state: everything needed for a resumed run to
// produce the same losses as an uninterrupted one.
//
// Layout under a run's checkpoint root:
//   step-00000120/model.safetensors       trainable parameters (their Hugging Face names)
//   step-00000120/optimizer.safetensors   AdamW moments, keyed by state-slot name
//   step-00000120/trainer_state.json      { step, config, dataCursor, rng, ... }
//   latest.json                           { "checkpoint": "step-00000120", "step": 120 }
// A checkpoint folder is written under a temporary name, every file fsynced, then renamed into
// place; latest.json is replaced the same way (tmp + fsync + rename), so a crash at any moment
// leaves the previous checkpoint intact and `latest.json` pointing at a complete folder.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { OnnxDataType } from './onnx/model.ts';
import type { RngState } from './rng.ts';
import { readSafetensors, writeSafetensors, type SafeTensor, type SafetensorsDtype } from './safetensors.ts';
import type { HostTensor } from './runtime/tensors.ts';

export const CHECKPOINT_FORMAT = 'saenggak-checkpoint/1';

export type CheckpointState = {
  step: number;
  params: Record<string, HostTensor>;
  optimizerState: Record<string, HostTensor>;
  /** The run's configuration (JSON), stored so a resume can refuse a changed config. */
  config: unknown;
  /** Where the data loader is (JSON), e.g. { epoch, index }. */
  dataCursor: unknown;
  rng: RngState | null;
};

type TrainerStateJson = {
  format: string;
  step: number;
  config: unknown;
  dataCursor: unknown;
  rng: RngState | null;
  savedAt: string;
};

const SAFETENSORS_DTYPE: Partial<Record<OnnxDataType, SafetensorsDtype>> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};
const ONNX_DTYPE = Object.fromEntries(Object.entries(SAFETENSORS_DTYPE).map(([k, v]) => [v, k])) as Record<SafetensorsDtype, OnnxDataType>;

export function checkpointFolderName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * Writes a checkpoint for `state.step` under `root` and points latest.json at it. Keeps the newest
 * `keep` checkpoints (default 2) and deletes older ones. Returns the checkpoint folder.
 */
export function saveCheckpoint(root: string, state: CheckpointState, options: { keep?: number } = {}): string {
  if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`checkpoint: step must be a non-negative integer, got ${state.step}`);
  mkdirSync(root, { recursive: true });
  const name = checkpointFolderName(state.step);
  const final = join(root, name);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);

  writeSafetensors(join(tmp, 'model.safetensors'), toSafetensors(state.params, 'parameter'), { format: 'pt' });
  writeSafetensors(join(tmp, 'optimizer.safetensors'), toSafetensors(state.optimizerState, 'optimizer state'));
  const trainerState: TrainerStateJson = {
    format: CHECKPOINT_FORMAT,
    step: state.step,
    config: state.config ?? null,
    dataCursor: state.dataCursor ?? null,
    rng: state.rng,
    savedAt: new Date().toISOString(),
  };
  writeFileSynced(join(tmp, 'trainer_state.json'), JSON.stringify(trainerState, null, 2));
  for (const file of ['model.safetensors', 'optimizer.safetensors']) fsyncPath(join(tmp, file));
  fsyncPath(tmp);

  // A folder for this step may exist from an earlier attempt that crashed before latest.json moved.
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  replaceFileAtomically(join(root, 'latest.json'), JSON.stringify({ checkpoint: name, step: state.step }) + '\n');
  fsyncPath(root);

  pruneCheckpoints(root, options.keep ?? 2, name);
  return final;
}

/** The step of the newest complete checkpoint (latest.json), or null: without loading it (#21, what a stopped run resumes from). */
export function latestCheckpointStep(root: string): number | null {
  try {
    const step = (JSON.parse(readFileSync(join(root, 'latest.json'), 'utf8')) as { step?: unknown }).step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

/**
 * Loads the checkpoint latest.json points at, or null when the root has none. With `expectConfig`,
 * refuses (throws, naming the differing keys) a checkpoint saved under a different run config.
 */
export function loadLatestCheckpoint(root: string, options: { expectConfig?: unknown } = {}): CheckpointState | null {
  const pointer = join(root, 'latest.json');
  if (!existsSync(pointer)) return null;
  let latest: { checkpoint?: unknown };
  try {
    latest = JSON.parse(readFileSync(pointer, 'utf8'));
  } catch (error) {
    throw new Error(`checkpoint: ${pointer} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof latest.checkpoint !== 'string' || !/^step-\d+$/.test(latest.checkpoint)) {
    throw new Error(`checkpoint: ${pointer} does not name a checkpoint folder`);
  }
  const state = loadCheckpoint(join(root, latest.checkpoint));
  if (options.expectConfig !== undefined) {
    const changed = differingKeys(state.config, options.expectConfig);
    if (changed.length) {
      throw new Error(`checkpoint: ${join(root, latest.checkpoint)} was saved with a different config (${changed.join(', ')}); resume with the original config or start a new run`);
    }
  }
  return state;
}

/** Dotted paths where two JSON values differ. */
function differingKeys(a: unknown, b: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differingKeys(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
}

/** Loads one checkpoint folder. */
export function loadCheckpoint(folder: string): CheckpointState {
  const statePath = join(folder, 'trainer_state.json');
  if (!existsSync(statePath)) throw new Error(`checkpoint: ${folder} has no trainer_state.json (incomplete or not a checkpoint)`);
  const meta = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerStateJson;
  if (meta.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: ${statePath} has format '${meta.format}', expected '${CHECKPOINT_FORMAT}'`);
  return {
    step: meta.step,
    params: fromSafetensors(join(folder, 'model.safetensors')),
    optimizerState: fromSafetensors(join(folder, 'optimizer.safetensors')),
    config: meta.config,
    dataCursor: meta.dataCursor,
    rng: meta.rng,
  };
}

// ---------------------------------------------------------------------------------------------

function toSafetensors(tensors: Record<string, HostTensor>, what: string): Record<string, SafeTensor> {
  const out: Record<string, SafeTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = SAFETENSORS_DTYPE[t.dtype];
    if (!dtype) throw new Error(`checkpoint: ${what} '${name}' has dtype ${t.dtype}, which safetensors cannot store`);
    out[name] = { dtype, shape: [...t.dims], data: t.data };
  }
  return out;
}

function fromSafetensors(path: string): Record<string, HostTensor> {
  // rawHalf keeps float16/bfloat16 as their exact bits: a resume must not round anything.
  const { tensors } = readSafetensors(path, { rawHalf: true });
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of tensors) out[name] = { dtype: ONNX_DTYPE[t.dtype], dims: [...t.shape], data: t.data as HostTensor['data'] };
  return out;
}

function writeFileSynced(path: string, text: string): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function replaceFileAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSynced(tmp, text);
  renameSync(tmp, path);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function pruneCheckpoints(root: string, keep: number, current: string): void {
  if (keep < 1) return;
  const folders = readdirSync(root).filter((n) => /^step-\d+$/.test(n)).sort();
  const stale = folders.filter((n) => n !== current).slice(0, Math.max(0, folders.length - keep));
  for (const name of stale) rmSync(join(root, name), { recursive: true, force: true });
  // Leftovers of crashed saves.
  for (const name of readdirSync(root)) if (/^\.step-\d+\.tmp-\d+$/.test(name) && !name.endsWith(`-${process.pid}`)) rmSync(join(root, name), { recursive: true, force: true });
}
