// Live GPU telemetry: one long-lived `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N`
// (the driver samples; no process per sample), its rows grouped into one sample per period. Used by
// `saenggak devices --watch`, the Devices page and runs' telemetry.jsonl.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { GpuInfo } from './types.ts';
import { NVIDIA_SMI_QUERY, listGpus, parseNvidiaSmiLine, whyNoNvidiaSmi } from './gpus.ts';

export type TelemetrySample = { time: string; gpus: GpuInfo[] };

export type TelemetryWatch = { stop(): void; readonly done: Promise<void> };

/**
 * Calls `onSample` once per period with every GPU's reading. A sample is complete when each GPU the first
 * listing found has reported (nvidia-smi prints them together each period). `onEnd` gets the reason when
 * nvidia-smi is missing or exits; `stop()` ends it quietly.
 */
export async function watchGpus(options: {
  intervalMs?: number;
  onSample: (s: TelemetrySample) => void;
  onEnd?: (reason: string | null) => void;
}): Promise<TelemetryWatch> {
  const { gpus, source } = await listGpus();
  if (gpus.length === 0) {
    options.onEnd?.(source === 'nvidia-smi' ? 'nvidia-smi lists no GPU' : source);
    return { stop: () => undefined, done: Promise.resolve() };
  }
  const expected = gpus.length;
  const interval = Math.max(100, Math.round(options.intervalMs ?? 1000));
  let stopped = false;
  const child: ChildProcess = spawn('nvidia-smi', [...NVIDIA_SMI_QUERY, `-lms`, String(interval)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let batch: GpuInfo[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const gpu = parseNvidiaSmiLine(line);
    if (!gpu) return;
    // A repeated index means a new period began although the last was short (a GPU fell off the bus).
    if (batch.some((g) => g.index === gpu.index)) flush();
    batch.push(gpu);
    if (batch.length >= expected) flush();
  });
  function flush(): void {
    if (batch.length === 0) return;
    const sample = { time: new Date().toISOString(), gpus: batch.sort((a, b) => a.index - b.index) };
    batch = [];
    options.onSample(sample);
  }
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const done = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      options.onEnd?.(whyNoNvidiaSmi(error as NodeJS.ErrnoException));
      resolve();
    });
    child.on('close', (code, signal) => {
      flush();
      if (!stopped) options.onEnd?.(`nvidia-smi ended (${signal ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
      else options.onEnd?.(null);
      resolve();
    });
  });
  return {
    stop() {
      stopped = true;
      child.kill('SIGTERM');
    },
    done,
  };
}
