// GPUs as NVIDIA's driver reports them. `nvidia-smi` is the one source that works without any library of
// ours; when it is missing the list is empty and `source` says why.
import { execFile } from 'node:child_process';
import type { GpuInfo } from '../api/contract.ts';

export const NVIDIA_SMI_QUERY = ['--query-gpu=index,name,memory.total,memory.used,driver_version', '--format=csv,noheader,nounits'];

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.used,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(csv: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of csv.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 5) continue;
    // GPU names never contain commas today, but join the middle back in case one does.
    const [index, ...rest] = cells;
    const driver = rest.pop()!;
    const used = rest.pop()!;
    const total = rest.pop()!;
    gpus.push({
      index: Number(index),
      name: rest.join(', '),
      memoryTotalMiB: Number(total),
      memoryUsedMiB: Number(used),
      driver,
    });
  }
  return gpus;
}

export async function listGpus(timeoutMs = 10_000): Promise<{ gpus: GpuInfo[]; source: string }> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_QUERY, { timeout: timeoutMs }, (error, stdout) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        resolve({ gpus: [], source: missing ? 'nvidia-smi not found (no NVIDIA driver here)' : `nvidia-smi failed: ${error.message.split('\n')[0]}` });
        return;
      }
      resolve({ gpus: parseNvidiaSmiCsv(stdout), source: 'nvidia-smi' });
    });
  });
}
