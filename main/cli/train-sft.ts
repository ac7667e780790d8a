// `saenggak train sft --config run.yaml [--workspace DIR] [--resume [RUN]] [--json]`: supervised
// fine-tuning (distillation on teacher traces). The config is the same object the Train page sends
// and the run saves as runs/<name>/config.yaml, so `--config runs/<name>/config.yaml` reproduces a run.
// Relative paths in the file (model, .jsonl data) are read from the file's folder. Ctrl-C stops at a
// step boundary with a checkpoint; `--resume` continues from it.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { cliAction, ensureWorkspace, workspaceFrom } from './workspace.ts';
import { stopOnSignals } from './signals.ts';
import { processTraffic } from '../engine/runtime/traffic.ts';

type SftCliOptions = {
  config?: string;
  workspace?: string;
  precision?: string;
  stepsPerRun?: string;
  resume?: string | boolean;
  name?: string;
  maxSteps?: string;
  learningRate?: string;
  provider?: string;
  neurons?: string;
  json?: boolean;
};

export function registerTrainSftCommand(parent: Command): void {
  parent
    .command('sft')
    .description('supervised fine-tuning on chat data (loss on assistant tokens, packing, full / LoRA / selective)')
    .option('--config <file>', 'run config (YAML or JSON); see main/train/sft/config.ts for every field')
    .option('--workspace <dir>', 'workspace folder (default: the config\'s workspace, then $SAENGGAK_WORKSPACE)')
    .option('--resume [run]', 'continue a stopped or crashed run from its latest checkpoint (name defaults to the config\'s)')
    .option('--name <run>', 'run name (overrides the config)')
    .option('--max-steps <n>', 'optimizer steps (overrides the config)')
    .option('--learning-rate <lr>', 'peak learning rate (overrides the config)')
    .option('--provider <p>', 'auto | cpu | cuda | webgpu (overrides the config)')
    .option('--precision <p>', 'fp32 | bf16 | fp16 compute; master weights stay fp32 (overrides the config; default bf16 on GPUs, fp32 on CPU)')
    .option('--steps-per-run <n>', "optimizer steps per onnxruntime run of the loop step, or 'auto' (overrides the config)")
    .option('--neurons <file>', 'train only these MLP neurons: a `saenggak neurons find` selection file (method becomes selective)')
    .option('--json', 'print one final JSON line {run, output, steps, loss, evalLoss, tokensPerSecond, packingEfficiency, traffic}')
    .action(
      cliAction(async (options: SftCliOptions) => {
        const { parseSftConfig, runSft } = await import('../train/sft/index.ts');
        const { parse } = await import('yaml');
        const { readFileSync } = await import('node:fs');
        const { RunFolder } = await import('../train/run/index.ts');

        const resumeName = typeof options.resume === 'string' ? options.resume : undefined;
        let raw: Record<string, unknown>;
        let baseDir = process.cwd();
        let workspace = options.workspace;
        if (options.config) {
          raw = parse(readFileSync(options.config, 'utf8')) as Record<string, unknown>;
          if (!raw || typeof raw !== 'object') throw new Error(`${options.config}: expected a mapping of config fields`);
          baseDir = dirname(resolve(options.config));
        } else if (resumeName) {
          // Resume by name: the run's own saved config.
          workspace ??= workspaceFrom(undefined);
          raw = parse(RunFolder.inWorkspace(workspace, resumeName).configText()) as Record<string, unknown>;
        } else throw new Error('give --config run.yaml (or --resume RUN to continue a run with its saved config)');

        workspace ??= typeof raw.workspace === 'string' ? raw.workspace : workspaceFrom(undefined);
        await ensureWorkspace(workspace);
        const overrides: Record<string, unknown> = {};
        if (options.name ?? resumeName) overrides.name = options.name ?? resumeName;
        if (options.maxSteps) overrides.maxSteps = Number(options.maxSteps);
        if (options.learningRate) overrides.learningRate = Number(options.learningRate);
        if (options.provider) overrides.provider = options.provider;
        if (options.precision) overrides.precision = options.precision;
        if (options.stepsPerRun) overrides.stepsPerRun = options.stepsPerRun === 'auto' ? 'auto' : Number(options.stepsPerRun);
        if (options.neurons) {
          // Selective tuning of the file's neurons, keeping any layers / parameters the config already selects.
          const method = raw.method && typeof raw.method === 'object' && (raw.method as { kind?: unknown }).kind === 'selective' ? (raw.method as Record<string, unknown>) : {};
          overrides.method = { ...method, kind: 'selective', neurons: JSON.parse(readFileSync(options.neurons, 'utf8')) as unknown };
        }
        const config = parseSftConfig(resolvePaths({ ...raw, ...overrides }, baseDir));

        const stop = stopOnSignals({ notice: 'stopping after this step (checkpoint, then exit)…' });
        try {
          const result = await runSft(config, {
            workspace,
            resume: options.resume !== undefined,
            signal: stop.signal,
            log: (line) => process.stderr.write(line + '\n'),
          });
          const s = result.summary;
          if (options.json) {
            process.stdout.write(JSON.stringify({ run: result.run, output: result.output, status: s.status, steps: s.steps, loss: s.loss, evalLoss: s.evalLoss, tokensPerSecond: s.tokensPerSecond, packingEfficiency: s.packingEfficiency, traffic: processTraffic() }) + '\n');
          } else {
            process.stdout.write(`${s.status === 'finished' ? 'finished' : 'stopped'} run ${result.run}: ${s.steps}/${s.totalSteps} steps, loss ${s.loss.toFixed(4)}${s.evalLoss === null ? '' : `, eval loss ${s.evalLoss.toFixed(4)}`}, ${Math.round(s.tokensPerSecond)} tokens/s, packing ${(100 * s.packingEfficiency).toFixed(1)}%\n`);
            if (result.output) process.stdout.write(`output: ${result.output}\n`);
          }
        } finally {
          stop.release();
        }
      }),
    );
}

/** Model folders and data files named relative to the config file are read from its folder. */
function resolvePaths(raw: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const out = { ...raw };
  const here = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const isFile = (p: string) => /\.(jsonl|json|ndjson)$/i.test(p) || existsSync(resolve(baseDir, p));
  if (typeof out.model === 'string') out.model = here(out.model);
  if (typeof out.data === 'string' && isFile(out.data)) out.data = here(out.data);
  else if (out.data && typeof out.data === 'object') {
    const data = { ...(out.data as Record<string, unknown>) };
    if (typeof data.source === 'string' && isFile(data.source)) data.source = here(data.source);
    out.data = data;
  }
  if (out.evalSplit && typeof out.evalSplit === 'object') {
    const split = { ...(out.evalSplit as Record<string, unknown>) };
    if (typeof split.source === 'string' && isFile(split.source)) split.source = here(split.source);
    out.evalSplit = split;
  }
  return out;
}
