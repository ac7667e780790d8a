// `--device cpu|webgpu[:N]|cuda[:N]`: which device a long command runs on. A CUDA device is pinned for the
// whole process with CUDA_VISIBLE_DEVICES=<uuid> (nvidia-smi's uuid, so nvidia-smi's index and CUDA's
// enumeration order cannot disagree), after which it is CUDA device 0 for onnxruntime; the provider choice
// is passed down as SAENGGAK_DEVICE_PROVIDER (engine/runtime/providers.ts honours it over a config's).
//
// onnxruntime-node 1.30's binding reads only `deviceId` from a CUDA provider option object
// (js/node/src/session_options_helper.cc): gpu_mem_limit and arena_extend_strategy cannot be passed from
// Node, so the memory bound comes from the planner check before start, not from a provider option.
import type { GpuInfo } from './types.ts';

export type DeviceKind = 'cpu' | 'webgpu' | 'cuda';
export type DeviceSpec = { kind: DeviceKind; index: number | null };

export type ResolvedDevice = {
  spec: DeviceSpec;
  /** `cuda:1`, `webgpu`, `cpu`. */
  label: string;
  provider: DeviceKind;
  gpu: GpuInfo | null;
  /** Environment for the process that runs the work. */
  env: Record<string, string>;
};

export function parseDeviceSpec(text: string): DeviceSpec {
  const m = /^(cpu|webgpu|cuda)(?::(\d+))?$/.exec(text.trim().toLowerCase());
  if (!m) throw new Error(`--device must be cpu, webgpu, webgpu:N, cuda or cuda:N, got "${text}"`);
  const kind = m[1] as DeviceKind;
  const index = m[2] === undefined ? null : Number(m[2]);
  if (kind === 'cpu' && index !== null) throw new Error(`--device cpu takes no index (got "${text}")`);
  return { kind, index };
}

/** What exists here, for error messages: `cpu, webgpu, cuda:0 (NVIDIA H100 80GB HBM3), cuda:1 (…)`. */
export function describeDevices(gpus: GpuInfo[], webgpu: boolean): string {
  return ['cpu', ...(webgpu ? ['webgpu'] : []), ...gpus.map((g) => `cuda:${g.index} (${g.name})`)].join(', ');
}

/**
 * Checks the spec against this machine's GPUs (nvidia-smi) and providers; throws naming the devices that
 * exist when it does not. `cuda` without an index is the GPU with the most free memory.
 */
export function resolveDevice(spec: DeviceSpec, machine: { gpus: GpuInfo[]; webgpu: boolean }): ResolvedDevice {
  const existing = () => `devices here: ${describeDevices(machine.gpus, machine.webgpu)}`;
  if (spec.kind === 'cpu') return { spec, label: 'cpu', provider: 'cpu', gpu: null, env: { SAENGGAK_DEVICE_PROVIDER: 'cpu' } };
  if (spec.kind === 'webgpu') {
    if (!machine.webgpu) throw new Error(`--device webgpu: the WebGPU provider cannot create a session here; ${existing()}`);
    // The binding passes no adapter choice to the WebGPU provider: it picks the adapter itself.
    if (spec.index !== null && spec.index !== 0) {
      throw new Error(`--device webgpu:${spec.index}: onnxruntime-node chooses the WebGPU adapter itself, so only webgpu (or webgpu:0) can be asked for; ${existing()}`);
    }
    return { spec, label: 'webgpu', provider: 'webgpu', gpu: null, env: { SAENGGAK_DEVICE_PROVIDER: 'webgpu' } };
  }
  if (machine.gpus.length === 0) throw new Error(`--device ${spec.index === null ? 'cuda' : `cuda:${spec.index}`}: no NVIDIA GPU here; ${existing()}`);
  const gpu =
    spec.index === null
      ? [...machine.gpus].sort((a, b) => b.memoryTotalMiB - b.memoryUsedMiB - (a.memoryTotalMiB - a.memoryUsedMiB))[0]!
      : machine.gpus.find((g) => g.index === spec.index);
  if (!gpu) throw new Error(`--device cuda:${spec.index}: there is no GPU ${spec.index}; ${existing()}`);
  return {
    spec,
    label: `cuda:${gpu.index}`,
    provider: 'cuda',
    gpu,
    env: {
      SAENGGAK_DEVICE_PROVIDER: 'cuda',
      SAENGGAK_DEVICE: `cuda:${gpu.index}`,
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      CUDA_VISIBLE_DEVICES: gpu.uuid || String(gpu.index),
    },
  };
}
