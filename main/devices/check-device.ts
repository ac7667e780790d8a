// One device check for both front doors (#21): `--device` on the long commands (cli/device-option.ts) and
// the device of a run, eval, reward-model or pipeline form (api/handlers/job-device.ts). The text is parsed
// and checked against this machine, so "cuda:3" on a two-GPU box is refused at once naming the devices that
// exist. Each door says how it reads the machine: the CLI asks nvidia-smi afresh and probes WebGPU only when
// asked for it; the app uses its cached device report.
import { parseDeviceSpec, resolveDevice, type DeviceSpec, type ResolvedDevice } from './device-spec.ts';
import type { GpuInfo } from './types.ts';

export type MachineReader = (spec: DeviceSpec) => Promise<{ gpus: GpuInfo[]; webgpu: boolean }>;

/** The device TEXT names here; the CPU needs no look at the machine. Throws with the devices that exist. */
export async function checkDevice(text: string, readMachine: MachineReader): Promise<ResolvedDevice> {
  const spec = parseDeviceSpec(text);
  const machine = spec.kind === 'cpu' ? { gpus: [], webgpu: false } : await readMachine(spec);
  return resolveDevice(spec, machine);
}
