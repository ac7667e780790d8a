// Loads onnxruntime's native binding from the installed GPU runtime (a writable copy with the CUDA
// provider libraries beside libonnxruntime) instead of the bundled one. Imported for its side effect as
// the FIRST import of every entry point that may load onnxruntime (app, job worker, device probe, CLI),
// so it is in place before onnxruntime-node's binding.js runs `require('…/onnxruntime_binding.node')`.
//
// Only the native part moves: the JavaScript of onnxruntime-node stays the bundled one (same version, the
// copy is refused otherwise), so every module keeps sharing one onnxruntime-common. If the copy fails to
// load, the bundled binding is loaded instead and the failure is written to state.json (rolled back).
import Module from 'node:module';
import { basename, join } from 'node:path';
import { gpuRuntimeRoot, bundledOrtVersion } from './paths.ts';
import { activeRuntimeDir, updateState } from './state.ts';

export type LoadedBinding = {
  /** The .node file that was loaded. */
  path: string;
  /** true when it came from the installed GPU runtime. */
  fromGpuRuntime: boolean;
  /** Why the bundled binding was used (not installed, disabled, or the copy failed to load). */
  reason: string;
};

type NodeLoader = (module: unknown, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, NodeLoader> })._extensions;
const KEY = Symbol.for('saenggak.ortBindingRedirect');
const registry = globalThis as unknown as Record<symbol, { loaded: LoadedBinding | null } | undefined>;

/** What this process loaded (null until onnxruntime-node is first imported). */
export function loadedBinding(): LoadedBinding | null {
  return registry[KEY]?.loaded ?? null;
}

function install(): void {
  if (registry[KEY]) return; // once per process, even if bundled twice
  const slot: { loaded: LoadedBinding | null } = { loaded: null };
  registry[KEY] = slot;
  const original = extensions['.node']!;
  extensions['.node'] = function (this: unknown, module: unknown, filename: string) {
    if (basename(filename) !== 'onnxruntime_binding.node' || slot.loaded) return original.call(this, module, filename);
    const root = gpuRuntimeRoot();
    let reason: string;
    try {
      const active = activeRuntimeDir(root, bundledOrtVersion());
      reason = active.why;
      if (active.dir) {
        const copy = join(active.dir, 'onnxruntime_binding.node');
        try {
          original.call(this, module, copy);
          slot.loaded = { path: copy, fromGpuRuntime: true, reason: 'installed GPU runtime' };
          return;
        } catch (error) {
          reason = `the GPU runtime's binding failed to load (${(error as Error).message.split('\n')[0]}); using the bundled one`;
          updateState(root, { enabled: false, rolledBack: { at: new Date().toISOString(), reason } });
        }
      }
    } catch (error) {
      reason = `could not read the GPU runtime state: ${(error as Error).message}`;
    }
    original.call(this, module, filename);
    slot.loaded = { path: filename, fromGpuRuntime: false, reason };
  };
}

install();
