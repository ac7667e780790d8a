// `saenggak devices`: which execution providers work here, the GPUs, and how to set up CUDA.
import type { Command } from 'commander';
import { cliAction } from './workspace.ts';

export function registerDevicesCommand(program: Command): void {
  program
    .command('devices')
    .description('list the ONNX Runtime execution providers that can create a session here, and the GPUs')
    .option('--json', 'print the device report as one JSON object')
    .action(
      cliAction(async (options: { json?: boolean }) => {
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
          out.push(`  [${g.index}] ${g.name}  ${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB used  driver ${g.driver}`);
        }
        out.push(`CPU: ${info.cpu.model}, ${info.cpu.cores} cores, ${Math.round(info.cpu.memoryTotalMiB / 1024)} GiB`);
        if (!info.providers.find((p) => p.name === 'cuda')?.available) out.push(`CUDA set-up: ${info.gpuSetupCommand}`);
        process.stdout.write(out.join('\n') + '\n');
      }),
    );
}
