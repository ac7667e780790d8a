// What this machine offers for training: execution providers that work, GPUs, and the CPU.
import os from 'node:os';
import { createRequire } from 'node:module';
import type { DevicesInfo } from './types.ts';
import { probeProviders } from './providers.ts';
import { listGpus } from './gpus.ts';

/** The documented command that installs GPU support into the user-data folder (main/cli/setup.ts). */
export const GPU_SETUP_COMMAND = 'npx saenggak setup gpu';

export function onnxruntimeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function detectDevices(options: { probeTimeoutMs?: number } = {}): Promise<DevicesInfo> {
  const [providers, { gpus, source }] = await Promise.all([probeProviders(options.probeTimeoutMs), listGpus()]);
  for (const p of providers) {
    if (p.name === 'cuda' && !p.available) p.detail += ` (install GPU support on the Devices page or with \`${GPU_SETUP_COMMAND}\`)`;
  }
  const cpus = os.cpus();
  return {
    providers,
    gpus,
    gpuSource: source,
    gpuSetupCommand: GPU_SETUP_COMMAND,
    onnxruntimeVersion: onnxruntimeVersion(),
    cpu: { model: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryTotalMiB: Math.round(os.totalmem() / 2 ** 20) },
  };
}

let cached: Promise<DevicesInfo> | null = null;

/** Probing takes seconds, so the answer is kept until `refresh` is asked for. */
export function getDevices(refresh = false): Promise<DevicesInfo> {
  if (refresh || !cached) {
    cached = detectDevices();
    cached.catch(() => (cached = null));
  }
  return cached;
}
