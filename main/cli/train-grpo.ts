// `saenggak train grpo --config run.yaml [--workspace DIR] [--json]`: GRPO from a run config
// (main/train/grpo/config.ts). Running the same config again resumes from the run's last checkpoint.
import type { Command } from 'commander';
import { cliAction, ensureWorkspace, workspaceFrom } from './workspace.ts';
import { stopOnSignals } from './signals.ts';
import { processTraffic } from '../engine/runtime/traffic.ts';

type GrpoCliOptions = { config: string; workspace?: string; precision?: string; json?: boolean };

export function registerTrainGrpoCommand(parent: Command): void {
  parent
    .command('grpo')
    .description('reinforcement learning with GRPO on verifiable rewards (resumes an interrupted run with the same config)')
    .requiredOption('--config <file>', 'run config (YAML): model, prompts, rollout, rewards, objective, …')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--precision <p>', 'fp32 | bf16 | fp16 compute of the update; master weights stay fp32 (overrides the config; default bf16 on CUDA, fp16 on WebGPU, fp32 on CPU)')
    .option('--json', 'print {run, output, steps, reward, accuracy, lang, traffic} as the last stdout line')
    .action(
      cliAction(async (options: GrpoCliOptions) => {
        const { readFileSync } = await import('node:fs');
        const { dirname, resolve } = await import('node:path');
        const { parse } = await import('yaml');
        const { runGrpo } = await import('../train/grpo/trainer.ts');
        const configPath = resolve(options.config);
        const config = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
        if (options.precision) config.precision = options.precision;
        const workspace = await ensureWorkspace(workspaceFrom(options.workspace));
        const stop = stopOnSignals();
        try {
          const result = await runGrpo(config as never, {
            workspace,
            baseDir: dirname(configPath),
            signal: stop.signal,
            log: (line) => process.stderr.write(`${line}\n`),
          });
          const { steps, reward, accuracy, lang } = result.summary;
          if (options.json) process.stdout.write(JSON.stringify({ run: result.run, output: result.output, steps, reward, accuracy: accuracy ?? null, lang: lang ?? null, traffic: processTraffic() }) + '\n');
          else if (!result.output) process.stdout.write(`GRPO run "${result.run}" stopped after step ${steps}; run the same command again to resume\n`);
          else process.stdout.write(`GRPO run "${result.run}" finished: ${steps} steps, reward ${reward.toFixed(3)}${accuracy !== undefined ? `, held-out accuracy ${accuracy.toFixed(3)}, Korean share ${lang.toFixed(3)}` : ''}; model in ${result.output}\n`);
        } finally {
          stop.release();
        }
      }),
    );
}
