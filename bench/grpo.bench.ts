// bench:grpo — the demo recipe (assets/recipes/demo.yaml) end to end on CPU, in a fresh workspace: the GRPO
// stage's rollout and update throughput (tokens/s) and time split (rollout / reward / update) from the run's
// metrics, every stage's wall time, and the whole recipe's wall time (goal: under 10 minutes on 2 cores).
// Also the held-out greedy accuracy and Korean share of the thinking of the base, the SFT model and the
// final (GRPO) model: what GRPO added is the difference between the last two rows.
//
//   npm run bench:grpo [-- --recipe assets/recipes/demo.yaml --keep]
//   npm run bench:grpo -- --recipe bench/recipes/grpo-0.5b-lora.yaml   (on a GPU: Qwen2.5-0.5B shape, LoRA)
// The demo recipe writes bench/results/grpo.json; any other recipe grpo-<recipe name>.json, so a GPU run
// does not replace the CPU demo's figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readRecipeFile, runPipeline } from '../main/pipeline/index.ts';
import { readMetrics } from '../main/train/run/index.ts';
import { printTable, writeResult } from './lib/results.ts';

const { values } = parseArgs({ options: { recipe: { type: 'string', default: 'assets/recipes/demo.yaml' }, keep: { type: 'boolean', default: false } } });
const recipe = await readRecipeFile(values.recipe);
const workspace = mkdtempSync(join(tmpdir(), 'bench-grpo-'));
const loadBefore = loadavg()[0];
try {
  const started = performance.now();
  const result = await runPipeline(recipe, { workspace, log: (line) => /step \d+\/|finished in/.test(line) && process.stderr.write(`${line}\n`) });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 'finished') throw new Error(`the recipe did not finish: ${result.status} ${result.error ?? ''}`);
  const run = result.state.stages.grpo?.outputs?.run;
  if (typeof run !== 'string') throw new Error('the recipe has no grpo stage');
  const train = readMetrics(join(workspace, 'runs', run, 'metrics.jsonl')).records.filter((r) => r.split === 'train');
  const sum = (key: string) => train.reduce((s, r) => s + (typeof r[key] === 'number' ? (r[key] as number) : 0), 0);
  const rollout = sum('rollout_s');
  const reward = sum('reward_s');
  const update = sum('update_s');
  // Tokens over seconds of the whole stage (not a mean of per-step rates).
  const rolloutTokens = train.reduce((s, r) => s + (r.rollout_tokens_per_s as number) * (r.rollout_s as number), 0);
  const updateTokens = train.reduce((s, r) => s + (r.update_tokens_per_s as number) * (r.update_s as number), 0);
  const grpo = {
    steps: train.length,
    rolloutTokensPerSecond: rolloutTokens / rollout,
    updateTokensPerSecond: updateTokens / update,
    seconds: { rollout, reward, update, stage: result.stages.find((s) => s.name === 'grpo')!.seconds },
    share: { rollout: rollout / (rollout + reward + update), reward: reward / (rollout + reward + update), update: update / (rollout + reward + update) },
  };
  printTable([
    [`GRPO stage (recipe ${recipe.name})`, 'value'],
    ['steps', grpo.steps],
    ['rollout tokens/s', grpo.rolloutTokensPerSecond],
    ['update tokens/s', grpo.updateTokensPerSecond],
    ['rollout s (share)', `${rollout.toFixed(1)} (${(grpo.share.rollout * 100).toFixed(1)}%)`],
    ['reward s (share)', `${reward.toFixed(2)} (${(grpo.share.reward * 100).toFixed(1)}%)`],
    ['update s (share)', `${update.toFixed(1)} (${(grpo.share.update * 100).toFixed(1)}%)`],
  ]);
  console.log();
  printTable([['stage', 'status', 'seconds'], ...result.stages.map((s) => [s.name, s.status, s.seconds])]);
  console.log();
  if (result.before || result.sft || result.after) printTable([
    ['held-out (greedy)', 'accuracy', 'Korean share of thinking'],
    ['before (base)', result.before?.accuracy ?? NaN, result.before?.lang ?? NaN],
    ['after SFT', result.sft?.accuracy ?? NaN, result.sft?.lang ?? NaN],
    ['after GRPO (final)', result.after?.accuracy ?? NaN, result.after?.lang ?? NaN],
  ]);
  if (result.sft && result.after) {
    const gain = (key: 'accuracy' | 'lang') => `${((result.after![key] - result.sft![key]) * 100).toFixed(1)} points`;
    console.log(`GRPO over SFT: accuracy ${gain('accuracy')}, Korean share ${gain('lang')} (goal: both up)`);
  }
  console.log(`\nwhole recipe: ${wallSeconds.toFixed(1)} s on ${cpus().length} cores (goal < 600 s); load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
  const path = writeResult(recipe.name === 'demo' ? 'grpo' : `grpo-${recipe.name}`, {
    recipe: values.recipe,
    grpo,
    stages: result.stages,
    recipeWallSeconds: wallSeconds,
    before: result.before,
    sft: result.sft,
    after: result.after,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    provider: recipe.provider,
    note: 'the machine may be shared with other work, so the load average is recorded',
  });
  console.log(`wrote ${path}`);
} finally {
  if (!values.keep) rmSync(workspace, { recursive: true, force: true });
}
