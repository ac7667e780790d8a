// A run's GPU telemetry kept with the run (#21): while a job runs on cuda:N, the readings of that GPU are
// appended to runs/<name>/telemetry.jsonl (one JSON line per sample: {time, gpus: [...]}), next to the
// run's metrics, so its page can show utilisation and memory beside tokens/s after the fact.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { watchGpus, type TelemetryWatch } from './telemetry.ts';

export type TelemetryRecorder = { stop(): Promise<void> };

export async function recordTelemetry(path: string, gpuIndex: number | null, intervalMs = 1000): Promise<TelemetryRecorder> {
  await mkdir(dirname(path), { recursive: true });
  let writes = Promise.resolve();
  const watch: TelemetryWatch = await watchGpus({
    intervalMs,
    onSample: (sample) => {
      const gpus = gpuIndex === null ? sample.gpus : sample.gpus.filter((g) => g.index === gpuIndex);
      if (!gpus.length) return;
      const line = JSON.stringify({ time: sample.time, gpus }) + '\n';
      writes = writes.then(() => appendFile(path, line)).catch(() => undefined);
    },
  });
  return {
    async stop() {
      watch.stop();
      await watch.done;
      await writes;
    },
  };
}
