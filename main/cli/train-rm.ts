// `saenggak train rm --model DIR --data FILE_OR_SET --out DIR [--epochs N] [--lr X] [--lora-rank R]
// [--workspace DIR] [--json]`: Bradley-Terry reward-model training. --data is a preference file (.jsonl /
// .json / .parquet in TRL's layout) or a preference set of the workspace. The run folder is
// <workspace>/runs/<name>/ (or OUT.run/ without a workspace); the reward model is saved to OUT as a
// Hugging Face *ForSequenceClassification folder. Ctrl-C stops at a step boundary with a checkpoint;
// --resume RUN continues it.
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cliAction, ensureWorkspace, WORKSPACE_ENV } from './workspace.ts';
import { stopOnSignals } from './signals.ts';
import { processTraffic } from '../engine/runtime/traffic.ts';
import { fileInTheWay } from '../store/system-errors.ts';
import { removeEmptyRunsSince, runFolderNames } from '../train/run/abandoned-runs.ts';

type RmCliOptions = {
  model: string;
  data: string;
  out: string;
  epochs?: string;
  lr?: string;
  loraRank?: string;
  workspace?: string;
  name?: string;
  resume?: string;
  maxSteps?: string;
  pairsPerBatch?: string;
  maxLength?: string;
  centering?: string;
  precision?: string;
  stepsPerRun?: string;
  json?: boolean;
};

function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag}: expected a number, got "${value}"`);
  return n;
}

/**
 * --out must be a folder (missing, empty, or an earlier reward model's): a file there, or a file where a
 * parent folder should be, used to fail only after training, with a raw EEXIST / ENOTDIR.
 */
function checkOutFolder(out: string): void {
  const blocker = fileInTheWay(out);
  if (blocker === resolve(out)) throw new Error(`--out ${out} is a file: give a folder for the reward model (a new one, or an empty one)`);
  if (blocker) throw new Error(`--out ${out}: ${blocker} is a file, not a folder`);
}

export function registerTrainRmCommand(parent: Command): void {
  parent
    .command('rm')
    .description('train a reward model (Bradley-Terry on chosen/rejected pairs) and save it as a *ForSequenceClassification folder')
    .requiredOption('--model <dir>', 'base model folder (an instruct / SFT causal LM gets a fresh score head)')
    .requiredOption('--data <file-or-set>', 'preference pairs: .jsonl / .json / .parquet (prompt, chosen, rejected[, margin]) or a workspace preference set')
    .requiredOption('--out <dir>', 'where to save the reward model')
    .option('--epochs <n>', 'passes over the training pairs (default 1)')
    .option('--lr <x>', 'peak learning rate (default 1e-5)')
    .option('--lora-rank <r>', 'train LoRA adapters of this rank (plus the score head) instead of every weight')
    .option('--workspace <dir>', `workspace folder for the run and for preference sets (default: $${WORKSPACE_ENV})`)
    .option('--name <run>', 'run name (default rm, rm-2, …)')
    .option('--resume <run>', 'continue a stopped run from its latest checkpoint')
    .option('--max-steps <n>', 'optimizer steps (overrides --epochs)')
    .option('--pairs-per-batch <n>', 'pairs per optimizer step (default 8)')
    .option('--max-length <n>', 'longest prompt + answer in tokens (default 1024; longer pairs are dropped)')
    .option('--centering <c>', 'reward-centring coefficient (adds c · mean r², e.g. 0.01)')
    .option('--precision <p>', 'fp32 | bf16 | fp16 compute; master weights stay fp32 (default bf16 on CUDA, fp16 on WebGPU, fp32 on CPU)')
    .option('--steps-per-run <n>', "optimizer steps per onnxruntime run of the loop step, or 'auto' (default)")
    .option('--json', 'print one final JSON line {run, output, status, steps, loss, accuracy, eval, pairsPerSecond, data, traffic}')
    .action(
      cliAction(async (options: RmCliOptions) => {
        const { runRewardModelTraining, parseRmConfig } = await import('../train/rm/index.ts');
        const workspace = options.workspace ?? process.env[WORKSPACE_ENV];
        checkOutFolder(options.out);
        if (workspace) await ensureWorkspace(workspace);
        // Where the run folder goes: runs/<name>/ of the workspace, or OUT.run/ without one.
        const runsDir = workspace ? join(resolve(workspace), 'runs') : dirname(resolve(options.out));
        const runsBefore = runFolderNames(runsDir);
        const loraRank = number('--lora-rank', options.loraRank);
        const config = parseRmConfig({
          model: options.model,
          data: options.data,
          out: options.out,
          ...(options.resume ?? options.name ? { name: options.resume ?? options.name } : {}),
          ...(options.epochs !== undefined ? { epochs: number('--epochs', options.epochs) } : {}),
          ...(options.lr !== undefined ? { learningRate: number('--lr', options.lr) } : {}),
          ...(options.maxSteps !== undefined ? { maxSteps: number('--max-steps', options.maxSteps) } : {}),
          ...(options.pairsPerBatch !== undefined ? { pairsPerBatch: number('--pairs-per-batch', options.pairsPerBatch) } : {}),
          ...(options.maxLength !== undefined ? { maxLength: number('--max-length', options.maxLength) } : {}),
          ...(options.centering !== undefined ? { centeringCoefficient: number('--centering', options.centering) } : {}),
          ...(options.precision !== undefined ? { precision: options.precision } : {}),
          ...(options.stepsPerRun !== undefined ? { stepsPerRun: options.stepsPerRun === 'auto' ? 'auto' : number('--steps-per-run', options.stepsPerRun) } : {}),
          ...(loraRank !== undefined ? { method: { kind: 'lora', r: loraRank, alpha: 2 * loraRank } } : {}),
        });
        const stop = stopOnSignals({ notice: 'stopping after this step (checkpoint, then exit)…' });
        try {
          let lastPrinted = 0;
          const result = await runRewardModelTraining(config, {
            workspace,
            resume: options.resume !== undefined,
            signal: stop.signal,
            log: (line) => process.stderr.write(line + '\n'),
            onProgress: (p) => {
              if (options.json || (p.step - lastPrinted < 10 && p.step !== p.totalSteps)) return;
              lastPrinted = p.step;
              process.stderr.write(`step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  acc ${(p.accuracy * 100).toFixed(1)}%  margin ${p.margin.toFixed(3)}  ${p.pairsPerSecond.toFixed(1)} pairs/s\n`);
            },
          });
          const s = result.summary;
          if (options.json) {
            process.stdout.write(JSON.stringify({ run: result.run, runDir: result.runDir, output: result.output, status: s.status, steps: s.steps, loss: s.loss, accuracy: s.accuracy, eval: s.eval, pairsPerSecond: s.pairsPerSecond, data: s.data, traffic: processTraffic() }) + '\n');
          } else if (s.status === 'stopped') {
            process.stdout.write(`Stopped at step ${s.steps}/${s.totalSteps}; continue with --resume ${result.run}\n`);
          } else {
            const held = s.eval ? `, held-out accuracy ${(s.eval.accuracy * 100).toFixed(1)}% on ${s.eval.n} pairs` : '';
            process.stdout.write(`Reward model saved to ${result.output} (${s.steps} steps${held})\n`);
          }
          if (s.status === 'stopped') process.exitCode = 130;
        } catch (error) {
          // Without a workspace the run folder is OUT.run/ beside OUT: only that one is ours to remove.
          if (options.resume === undefined) removeEmptyRunsSince(runsDir, runsBefore, workspace ? undefined : `${basename(resolve(options.out))}.run`);
          throw error;
        } finally {
          stop.release();
        }
      }),
    );
}
