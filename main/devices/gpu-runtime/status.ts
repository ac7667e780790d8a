// One answer to "can this app use CUDA, and if not, what exactly is missing": the plan for the bundled
// onnxruntime version, the installed runtime's state, the prerequisites, and (when asked) a fresh check
// through the installed runtime with a CUDA test session. The CLI (`setup gpu --check`) and the Devices
// page show the same object, including where to put the archive by hand on an offline machine.
import { join } from 'node:path';
import { listGpus } from '../gpus.ts';
import { dryRunPlan } from './install.ts';
import { bundledOrtVersion, gpuRuntimeRoot, userDataDir } from './paths.ts';
import { checkPrerequisites, readProcDriverVersion, type PrerequisiteReport } from './prerequisites.ts';
import { activeRuntimeDir, readState, type GpuRuntimeState } from './state.ts';
import { verifyGpuRuntime } from './verify.ts';

export type GpuSetupStatus = {
  onnxruntime: string;
  /** The download for this machine, or why there is none (unknown version, no CUDA build for the platform). */
  plan: ReturnType<typeof dryRunPlan> | null;
  planError: string | null;
  /** The folder the app loads onnxruntime from when GPU support is active, or null. */
  runtimeDir: string | null;
  runtimeWhy: string;
  state: GpuRuntimeState;
  prerequisites: PrerequisiteReport;
  /** The last check's result (fresh when `verify` was asked for). */
  check: { ok: boolean; detail: string; cuda: { available: boolean; detail: string } | null } | null;
  cudaUsable: boolean;
  /** Offline: which files to fetch elsewhere and where they go. */
  byHand: { folder: string; files: { name: string; url: string; sha256: string | null }[] } | null;
  summary: string[];
};

export async function gpuSetupStatus(options: { userData?: string; verify?: boolean; prerequisites?: PrerequisiteReport } = {}): Promise<GpuSetupStatus> {
  const userData = options.userData ?? userDataDir();
  const root = gpuRuntimeRoot(userData);
  const onnxruntime = bundledOrtVersion();
  let plan: GpuSetupStatus['plan'] = null;
  let planError: string | null = null;
  try {
    plan = dryRunPlan({ onnxruntime });
  } catch (error) {
    planError = (error as Error).message;
  }
  let prerequisites = options.prerequisites;
  if (!prerequisites) {
    const { gpus } = await listGpus();
    prerequisites = await checkPrerequisites({ onnxruntime, driverVersion: gpus[0]?.driver ?? readProcDriverVersion() });
  }
  let check: GpuSetupStatus['check'] = null;
  if (options.verify) {
    const v = await verifyGpuRuntime({ userData });
    if (v.outcome !== 'none') {
      check = { ok: v.outcome === 'ok', detail: v.detail, cuda: v.cuda ? { available: v.cuda.available, detail: v.cuda.detail } : null };
    }
  }
  const state = readState(root);
  if (!check && state.verified) check = { ok: state.verified.ok, detail: state.verified.detail, cuda: null };
  const active = activeRuntimeDir(root, onnxruntime);
  const cudaUsable = Boolean(active.dir && check?.ok && check.cuda?.available);
  const folder = join(root, 'downloads');
  const byHand = plan ? { folder, files: plan.files.map((f) => ({ name: f.name, url: f.url, sha256: f.sha256 })) } : null;

  const summary: string[] = [`onnxruntime ${onnxruntime}: ${plan ? `CUDA download ${plan.target}` : planError}`];
  summary.push(`GPU runtime: ${active.dir ? active.dir : active.why}`);
  if (check) summary.push(`last check: ${check.detail}`);
  summary.push('prerequisites:');
  for (const c of prerequisites.checks) {
    summary.push(`  ${c.found ? '✓' : '✗'} ${c.label} (${c.needed})${c.found ? `: ${c.where}` : ` — ${c.installLine}`}`);
  }
  if (!active.dir && byHand) {
    summary.push(`offline: download ${byHand.files.map((f) => f.url).join(', ')} elsewhere, copy it into ${folder}, then run \`saenggak setup gpu\` again`);
  }
  summary.push(cudaUsable ? 'CUDA: usable (created and ran a session)' : 'CUDA: not usable yet');
  return { onnxruntime, plan, planError, runtimeDir: active.dir, runtimeWhy: active.why, state, prerequisites, check, cudaUsable, byHand, summary };
}
