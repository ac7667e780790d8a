// The devices a run form offers and the one it starts on unless the user picks another (#21): the first
// free GPU, else the CPU. A GPU is free when the CUDA provider can run here, no job of this app runs or
// waits on it (the device queues), and under FREE_MEMORY_SHARE of its memory is in use (something else,
// another user's process, is on it otherwise). The reason is shown before start, so nobody is surprised.
import type { ExecutionProviderStatus, GpuInfo } from './types.ts';

/** The CPU default's reasons in English (the UI words the code in its language). */
const REASONS: Record<Exclude<DeviceReasonCode, 'firstFree'>, string> = {
  noGpu: 'no NVIDIA GPU here',
  noCuda: 'CUDA support is not installed (Devices page)',
  allBusy: 'every GPU is busy (a job of this app, or over 10% of its memory in use)',
};

/** A GPU with more than this share of its memory in use counts as taken by another process. */
export const FREE_MEMORY_SHARE = 0.1;

export type DeviceChoice = {
  /** What runs.start / eval.start / the CLI take: cpu, webgpu, cuda:N. */
  device: string;
  /** For the picker: `cuda:1 · NVIDIA H100 · 70.2 of 80 GiB free · 1 job waiting`. */
  label: string;
  /** The provider can run here (CUDA libraries installed, WebGPU adapter found). */
  available: boolean;
  /** Jobs of this app running or waiting on it. */
  jobs: number;
  /** The label's pieces, for a UI that words it in its own language (a GPU's name and memory, what is wrong). */
  parts?: { gpuName: string; freeGiB: string; totalGiB: string; noCuda: boolean; lost: boolean };
};

/** Why the default is the default, as a code a UI words itself (`reason` is the English sentence). */
export type DeviceReasonCode = 'firstFree' | 'noGpu' | 'noCuda' | 'allBusy';

export type DeviceChoices = { choices: DeviceChoice[]; default: string; reason: string; reasonCode: DeviceReasonCode };

type Queue = { device: string; running: string | null; waiting: string[] };

/** `lost`: devices lost during a job (#21) whose queue is still paused: labelled so, never the default. */
export function deviceChoices(machine: { providers: ExecutionProviderStatus[]; gpus: GpuInfo[] }, queues: readonly Queue[], lost: readonly string[] = []): DeviceChoices {
  const can = (name: string) => machine.providers.some((p) => p.name === name && p.available);
  const jobsOn = (device: string) => {
    const q = queues.find((x) => x.device === device);
    return q ? (q.running ? 1 : 0) + q.waiting.length : 0;
  };
  const gib = (mib: number) => (mib / 1024).toFixed(1);
  const jobsText = (n: number) => (n === 0 ? '' : ` · ${n} job${n === 1 ? '' : 's'} queued`);
  const gpus = [...machine.gpus].sort((a, b) => a.index - b.index).map((g) => {
    const device = `cuda:${g.index}`;
    const jobs = jobsOn(device);
    const gone = lost.includes(device);
    const label = `${device} · ${g.name} · ${gib(g.memoryTotalMiB - g.memoryUsedMiB)} of ${gib(g.memoryTotalMiB)} GiB free${jobsText(jobs)}${can('cuda') ? '' : ' · CUDA support not installed'}${gone ? ' · lost during a job, queue paused' : ''}`;
    const parts = { gpuName: g.name, freeGiB: gib(g.memoryTotalMiB - g.memoryUsedMiB), totalGiB: gib(g.memoryTotalMiB), noCuda: !can('cuda'), lost: gone };
    return { gpu: g, choice: { device, label, available: can('cuda') && !gone, jobs, parts } };
  });
  const choices: DeviceChoice[] = [
    ...gpus.map((g) => g.choice),
    ...(can('webgpu') ? [{ device: 'webgpu', label: `webgpu${jobsText(jobsOn('webgpu'))}`, available: true, jobs: jobsOn('webgpu') }] : []),
    { device: 'cpu', label: `cpu${jobsText(jobsOn('cpu'))}`, available: true, jobs: jobsOn('cpu') },
  ];
  const free = gpus.find((g) => g.choice.available && g.choice.jobs === 0 && g.gpu.memoryUsedMiB <= FREE_MEMORY_SHARE * g.gpu.memoryTotalMiB);
  if (free) return { choices, default: free.choice.device, reason: `${free.choice.device} is the first free GPU`, reasonCode: 'firstFree' };
  const reasonCode: DeviceReasonCode = gpus.length === 0 ? 'noGpu' : !can('cuda') ? 'noCuda' : 'allBusy';
  return { choices, default: 'cpu', reason: `cpu: ${REASONS[reasonCode]}`, reasonCode };
}
