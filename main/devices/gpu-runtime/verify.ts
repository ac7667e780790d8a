// "Verified at start, rolled back if it fails": a child process loads onnxruntime through the redirect
// and runs a session on the CPU provider. If the child did not load the installed copy, or could not run
// a session with it (a crash counts), GPU support is disabled in state.json and every process loads the
// bundled binding again. The CUDA provider is probed too, but a failing CUDA probe does not roll back:
// missing system libraries are reported by the prerequisite check, and CPU and WebGPU keep working.
import { probeProvider, type ProbeResult } from '../providers.ts';
import { gpuRuntimeRoot, bundledOrtVersion, userDataDir } from './paths.ts';
import { activeRuntimeDir, readState, updateState, type GpuRuntimeState } from './state.ts';

export type VerifyResult = {
  /** 'none' when GPU support is not installed (nothing to check). */
  outcome: 'ok' | 'rolled-back' | 'none';
  detail: string;
  cpu: ProbeResult | null;
  cuda: ProbeResult | null;
  state: GpuRuntimeState;
};

export async function verifyGpuRuntime(options: { userData?: string; probeCuda?: boolean; timeoutMs?: number } = {}): Promise<VerifyResult> {
  const userData = options.userData ?? userDataDir();
  const root = gpuRuntimeRoot(userData);
  const active = activeRuntimeDir(root, bundledOrtVersion());
  if (!active.dir) return { outcome: 'none', detail: active.why, cpu: null, cuda: null, state: readState(root) };
  const env = { SAENGGAK_USER_DATA: userData };
  const cpu = await probeProvider('cpu', options.timeoutMs, env);
  const at = new Date().toISOString();
  const loadedCopy = cpu.binding?.fromGpuRuntime === true;
  if (!cpu.available || !loadedCopy) {
    const reason = !cpu.available
      ? `a session through the installed GPU runtime failed: ${cpu.detail}`
      : `the installed GPU runtime was not loaded: ${cpu.binding?.reason ?? 'unknown reason'}`;
    const state = updateState(root, { enabled: false, verified: { ok: false, at, detail: reason }, rolledBack: { at, reason } });
    return { outcome: 'rolled-back', detail: `${reason}; the app uses the bundled onnxruntime again`, cpu, cuda: null, state };
  }
  const cuda = options.probeCuda === false ? null : await probeProvider('cuda', options.timeoutMs, env);
  const detail = `loaded ${cpu.binding!.path} and ran a CPU session` + (cuda ? `; CUDA: ${cuda.available ? 'created and ran a session' : cuda.detail}` : '');
  const state = updateState(root, { verified: { ok: true, at, detail } });
  return { outcome: 'ok', detail, cpu, cuda, state };
}
