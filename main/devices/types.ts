// What the machine offers: execution providers, GPUs (as nvidia-smi reports them) and the devices
// summary. The app contract (main/api/contract.ts) re-exports these.

export type ExecutionProviderStatus = {
  name: 'cpu' | 'webgpu' | 'cuda';
  available: boolean;
  /** Why it is unavailable, or what was checked. */
  detail: string;
};

export type GpuInfo = {
  index: number;
  name: string;
  /** GPU-… as nvidia-smi prints it: stable across reboots, unlike the index. */
  uuid: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  /** Percent busy over the last sample period; null where the driver does not say. */
  utilization: number | null;
  /** °C; null where not reported. */
  temperature: number | null;
  /** Watts drawn; null where not reported (some boards, MIG slices). */
  powerW: number | null;
  driver: string;
};

export type DevicesInfo = {
  providers: ExecutionProviderStatus[];
  gpus: GpuInfo[];
  /** Where the GPU list came from ('nvidia-smi' or a reason it is empty). */
  gpuSource: string;
  /** The documented command that installs onnxruntime-node's CUDA libraries. */
  gpuSetupCommand: string;
  onnxruntimeVersion: string;
  cpu: { model: string; cores: number; memoryTotalMiB: number };
};
