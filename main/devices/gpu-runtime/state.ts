// state.json under <userData>/gpu-runtime: which installed runtime the app should load, and what the last
// check of it found. Read synchronously by the binding redirect (it runs inside a require), written
// atomically (temp file + rename) because the app and its job processes may write it at the same time.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuRuntimeRoot } from './paths.ts';

export type RuntimeCheck = { ok: boolean; at: string; detail: string };

export type GpuRuntimeState = {
  /** Folder name under gpu-runtime/ of the installed runtime, or null when none is installed. */
  active: string | null;
  /** The onnxruntime version that runtime was copied from; a different bundled version ignores it. */
  onnxruntime: string | null;
  target: string | null;
  /** false after a failed check: the app loads the bundled binding until GPU support is reinstalled. */
  enabled: boolean;
  installedAt: string | null;
  /** The last verification (a session created through the copy in a child process). */
  verified: RuntimeCheck | null;
  /** Set when the copy failed and the app went back to the bundled binding. */
  rolledBack: { at: string; reason: string } | null;
};

export const EMPTY_STATE: GpuRuntimeState = {
  active: null,
  onnxruntime: null,
  target: null,
  enabled: false,
  installedAt: null,
  verified: null,
  rolledBack: null,
};

export function statePath(root: string): string {
  return join(root, 'state.json');
}

export function readState(root = gpuRuntimeRoot()): GpuRuntimeState {
  try {
    return { ...EMPTY_STATE, ...(JSON.parse(readFileSync(statePath(root), 'utf8')) as Partial<GpuRuntimeState>) };
  } catch {
    return { ...EMPTY_STATE };
  }
}

export function writeState(root: string, state: GpuRuntimeState): void {
  mkdirSync(root, { recursive: true });
  const tmp = `${statePath(root)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, statePath(root));
}

export function updateState(root: string, change: Partial<GpuRuntimeState>): GpuRuntimeState {
  const next = { ...readState(root), ...change };
  writeState(root, next);
  return next;
}

/** The folder to load onnxruntime from, or null to use the bundled one (with the reason). */
export function activeRuntimeDir(root: string, bundledVersion: string): { dir: string | null; why: string } {
  const state = readState(root);
  if (!state.active) return { dir: null, why: 'GPU support is not installed' };
  if (!state.enabled) return { dir: null, why: `GPU support is disabled: ${state.rolledBack?.reason ?? 'a check failed'}` };
  if (state.onnxruntime !== bundledVersion) {
    return { dir: null, why: `GPU support was installed for onnxruntime ${state.onnxruntime}, the app now bundles ${bundledVersion}: install it again` };
  }
  const dir = join(root, state.active);
  if (!existsSync(join(dir, 'onnxruntime_binding.node'))) return { dir: null, why: `${dir} has no onnxruntime_binding.node` };
  return { dir, why: 'installed' };
}
