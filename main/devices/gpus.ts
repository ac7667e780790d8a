// GPUs as NVIDIA's driver reports them. `nvidia-smi` is the one source that works without any library of
// ours; when it is missing the list is empty and `source` says why. One query serves the device list and
// live telemetry (utilisation, memory, temperature, power): the same CSV, once or every N ms with `-lms`.
import { execFile } from 'node:child_process';
import type { GpuInfo } from './types.ts';

/** The fields, in the order nvidia-smi prints them. */
export const NVIDIA_SMI_FIELDS = [
  'index',
  'name',
  'uuid',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'temperature.gpu',
  'power.draw',
  'driver_version',
] as const;

export const NVIDIA_SMI_QUERY = [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

/** A number, or null for nvidia-smi's "[N/A]" / "[Not Supported]" (power on some boards, MIG slices). */
function reading(cell: string): number | null {
  const value = Number(cell);
  return cell === '' || cell.startsWith('[') || !Number.isFinite(value) ? null : value;
}

/** Parses one line of the query above; null for a line that is not a GPU row. */
export function parseNvidiaSmiLine(line: string): GpuInfo | null {
  const cells = line.split(',').map((c) => c.trim());
  const n = NVIDIA_SMI_FIELDS.length;
  if (cells.length < n || !/^\d+$/.test(cells[0]!)) return null;
  // GPU names never contain commas today, but join the middle back in case one does.
  const tail = cells.slice(cells.length - (n - 2));
  const name = cells.slice(1, cells.length - (n - 2)).join(', ');
  const [uuid, total, used, utilization, temperature, power, driver] = tail as [string, string, string, string, string, string, string];
  return {
    index: Number(cells[0]),
    name,
    uuid,
    memoryTotalMiB: reading(total) ?? 0,
    memoryUsedMiB: reading(used) ?? 0,
    utilization: reading(utilization),
    temperature: reading(temperature),
    powerW: reading(power),
    driver,
  };
}

export function parseNvidiaSmiCsv(csv: string): GpuInfo[] {
  return csv
    .split(/\r?\n/)
    .map(parseNvidiaSmiLine)
    .filter((g): g is GpuInfo => g !== null);
}

export function whyNoNvidiaSmi(error: NodeJS.ErrnoException): string {
  return error.code === 'ENOENT' ? 'nvidia-smi not found (no NVIDIA driver here)' : `nvidia-smi failed: ${error.message.split('\n')[0]}`;
}

export async function listGpus(timeoutMs = 10_000): Promise<{ gpus: GpuInfo[]; source: string }> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_QUERY, { timeout: timeoutMs }, (error, stdout) => {
      if (error) {
        resolve({ gpus: [], source: whyNoNvidiaSmi(error as NodeJS.ErrnoException) });
        return;
      }
      resolve({ gpus: parseNvidiaSmiCsv(stdout), source: 'nvidia-smi' });
    });
  });
}
