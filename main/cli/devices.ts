// `saenggak devices`: which execution providers work here, the GPUs, and how to set up CUDA.
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';
import type { GpuInfo } from '../api/contract.ts';

function gauges(g: GpuInfo): string {
  const show = (v: number | null, unit: string) => (v === null ? 'n/a' : `${v}${unit}`);
  return `${show(g.utilization, '%')} busy  ${show(g.temperature, '°C')}  ${show(g.powerW, ' W')}`;
}

/** `devices --watch`: one sample per period from one long-lived nvidia-smi, until Ctrl-C. */
async function watch(options: { json?: boolean; interval: string }): Promise<void> {
  const intervalMs = Number(options.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 100) throw new Error(`--interval must be a whole number of milliseconds ≥ 100, got "${options.interval}"`);
  const { watchGpus } = await import('../devices/telemetry.ts');
  let failure: string | null = null;
  const handle = await watchGpus({
    intervalMs,
    onSample: (s) => {
      if (options.json) process.stdout.write(JSON.stringify(s) + '\n');
      else process.stdout.write(`${s.time}\n${s.gpus.map((g) => `  [${g.index}] ${g.name}  ${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB  ${gauges(g)}`).join('\n')}\n`);
    },
    onEnd: (reason) => (failure = reason),
  });
  const stop = () => handle.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await handle.done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (failure) throw new Error(`cannot watch the GPUs: ${failure}`);
}

export function registerDevicesCommand(program: Command): void {
  program
    .command('devices')
    .description('list the ONNX Runtime execution providers that can create a session here, and the GPUs')
    .option('--json', 'print the device report as one JSON object')
    .option('--watch', 'print the GPUs every second (with --json: one JSON line per sample) until interrupted')
    .option('--interval <ms>', 'with --watch: the sampling period', '1000')
    .action(
      cliAction(async (options: { json?: boolean; watch?: boolean; interval: string }) => {
        if (options.watch) return watch(options);
        const { detectDevices } = await import('../devices/index.ts');
        const info = await detectDevices();
        if (options.json) {
          process.stdout.write(JSON.stringify(info) + '\n');
          return;
        }
        const out: string[] = [`onnxruntime-node ${info.onnxruntimeVersion}`, 'Execution providers:'];
        for (const p of info.providers) out.push(`  ${p.available ? '✓' : '✗'} ${p.name.padEnd(7)} ${p.detail}`);
        out.push(`GPUs (${info.gpuSource}):`);
        if (!info.gpus.length) out.push('  none');
        for (const g of info.gpus) {
          out.push(`  [${g.index}] ${g.name}  ${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB used  ${gauges(g)}  driver ${g.driver}  ${g.uuid}`);
        }
        out.push(`CPU: ${info.cpu.model}, ${info.cpu.cores} cores, ${Math.round(info.cpu.memoryTotalMiB / 1024)} GiB`);
        if (!info.providers.find((p) => p.name === 'cuda')?.available) out.push(`CUDA set-up: ${info.gpuSetupCommand}`);
        process.stdout.write(out.join('\n') + '\n');
      }),
    );
}
