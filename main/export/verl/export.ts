// `saenggak export verl`: a recipe's RL stage as a folder verl runs on a cluster.
//
//   train.parquet, val.parquet        RL prompts in verl's layout (parquet.ts)
//   sft_train.parquet, sft_val.parquet  the SFT conversations for verl's SFT trainer (when the recipe has them)
//   verl_grpo.yaml                    the trainer config mapped from the grpo stage (trainer-config.ts)
//   rewards.yaml                      the reward composition for `saenggak serve rewards --config`
//   saenggak_reward.py                verl's custom reward function, calling the reward server
//   run_single_node.sh, run_ray_cluster.sh, README.md, export.json (what was written and every warning)
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { readRecipeFile, type PipelineRecipe } from '../../pipeline/recipe.ts';
import type { StageOutputs } from '../../pipeline/references.ts';
import { parseGrpoConfig, type GrpoConfig } from '../../train/grpo/config.ts';
import { bundledQwenTokenizerDir, Tokenizer } from '../../models/tokenizer.ts';
import { writeFileAtomic } from '../../store/durable.ts';
import { servedRewardConfig } from '../../reward-server/config.ts';
import { exportDataOf, isReference, pipelineOutputs, resolveWhatWeCan, type ExportData } from './recipe-data.ts';
import { rlRow, writeRlParquet, writeSftParquet, type RlPrompt } from './parquet.ts';
import { verlTrainerConfig, VERL_VERSION, type MappingWarning, type VerlEntry } from './trainer-config.ts';
import { CONFIG_NAME, rayClusterScript, singleNodeScript } from './scripts.ts';
import { exportReadme } from './readme.ts';

export const REWARD_CLIENT_FILE = fileURLToPath(new URL('./saenggak_reward.py', import.meta.url));

export interface ExportVerlOptions {
  recipe: string;
  out: string;
  /** Workspace root: workspace datasets, workspace-relative paths, models/ for hub ids. */
  workspace?: string;
  /** data.max_prompt_length; default: the longest templated prompt, rounded up to a multiple of 64. */
  maxPromptLength?: number;
  /** Validation share when the recipe has no held-out set (default 0.05). */
  valShare?: number;
  /** Work out what would be written (files, rows, warnings) without writing: the recipe page's preview. */
  dryRun?: boolean;
}

// The result type lives in result.ts (the README writer reads it without importing the exporter).
export type { ExportVerlResult } from './result.ts';
import type { ExportVerlResult } from './result.ts';

/** The grpo section made parseable on its own: references and pipeline-filled fields get stand-ins. */
function grpoConfigOf(recipe: PipelineRecipe, outputs: StageOutputs): { grpo: GrpoConfig; raw: Record<string, unknown> } {
  if (!recipe.grpo) throw new Error(`recipe "${recipe.name}" has no grpo stage: the verl export runs the recipe's GRPO stage on verl`);
  const raw = resolveWhatWeCan(recipe.grpo, outputs);
  const prepared: Record<string, unknown> = { ...raw };
  // The data comes from exportDataOf; the schema only needs some prompt source to validate the rest.
  prepared.prompts = { path: 'train.parquet', ...(raw.prompts && typeof raw.prompts === 'object' ? { columns: (raw.prompts as { columns?: unknown }).columns } : {}) };
  if (prepared.heldOut !== undefined) prepared.heldOut = { path: 'val.parquet' };
  if (typeof raw.model !== 'string' || isReference(raw.model)) prepared.model = 'MODEL_PATH';
  if (typeof raw.rewardModelPath === 'string' && isReference(raw.rewardModelPath)) prepared.rewardModelPath = 'reward-model';
  return { grpo: parseGrpoConfig(prepared), raw };
}

/**
 * The policy model: grpo.model, else (as the pipeline does) the model the stage before GRPO produced —
 * the SFT stage's output when the pipeline ran — else the recipe's model stage. '' when unknown.
 */
function modelPathOf(recipe: PipelineRecipe, raw: Record<string, unknown>, base: string, outputs: StageOutputs): string {
  const local = (path: string) => (isAbsolute(path) || !path.includes('/') || existsSync(resolve(base, path)) ? resolve(base, path) : path);
  if (typeof raw.model === 'string' && !isReference(raw.model)) return local(raw.model);
  if (raw.model === undefined) {
    const previous = outputs.sft?.output ?? outputs.model?.output;
    if (typeof previous === 'string') return local(previous);
  }
  const model = recipe.model;
  if (model && 'hub' in model) return model.hub;
  if (model && 'path' in model) return resolve(base, model.path);
  return '';
}

/**
 * Tokens of the longest prompt as the policy sees it (chat template, generation prompt), rounded up to 64.
 * Without the model's own tokenizer (a hub id, not downloaded here) the bundled Qwen tokenizer stands in,
 * with a 25% margin: verl refuses prompts over the limit (data.truncation=error).
 */
function measurePromptLength(prompts: readonly RlPrompt[], modelPath: string): number {
  const own = modelPath !== '' && existsSync(join(modelPath, 'tokenizer.json'));
  const tokenizer = Tokenizer.load(own ? modelPath : bundledQwenTokenizerDir());
  let longest = 0;
  for (const p of prompts) {
    let n: number;
    try {
      n = tokenizer.encodeChat([{ role: 'user', content: p.prompt }], { addGenerationPrompt: true }).length;
    } catch {
      // No chat template: the text plus a generous allowance for role markers.
      n = tokenizer.encode(p.prompt).length + 32;
    }
    longest = Math.max(longest, n);
  }
  if (!own) longest = Math.ceil(longest * 1.25);
  return Math.max(128, Math.ceil(longest / 64) * 64);
}

/** The rule-based reward composition the server scores with (judge and reward model removed: see warnings). */
function servedRewards(grpo: GrpoConfig): Record<string, unknown> {
  const { judge: _judge, rewardModel: _rewardModel, ...rest } = grpo.rewards;
  return servedRewardConfig(rest, 'grpo.rewards') as Record<string, unknown>;
}

function splitTail<T>(rows: readonly T[], share: number): [T[], T[]] {
  if (rows.length < 2) return [[...rows], [...rows]];
  const count = Math.max(1, Math.round(rows.length * share));
  return [rows.slice(0, rows.length - count), rows.slice(rows.length - count)];
}

export async function exportVerl(options: ExportVerlOptions): Promise<ExportVerlResult> {
  const recipePath = resolve(options.recipe);
  const recipe = await readRecipeFile(recipePath);
  const workspace = options.workspace ? resolve(options.workspace) : undefined;
  const outputs = pipelineOutputs(workspace, recipe.name);
  const { grpo, raw } = grpoConfigOf(recipe, outputs);
  const base = workspace ?? dirname(recipePath);
  const data = await exportDataOf(recipe, { workspace, outputs, recipeDir: dirname(recipePath), valShare: options.valShare });
  const modelPath = modelPathOf(recipe, raw, base, outputs);
  const maxPromptLength = options.maxPromptLength ?? measurePromptLength([...data.train, ...data.val], modelPath);

  const mapped = verlTrainerConfig(grpo, {
    project: 'saenggak',
    experiment: grpo.name ?? recipe.name,
    maxPromptLength,
    // '???' is Hydra's "must be set": the scripts set it from MODEL_PATH.
    modelPath: modelPath || '???',
    raw,
  });
  const out = resolve(options.out);
  const sftSplit = data.sft && data.sft.length > 0 ? splitTail(data.sft, options.valShare ?? 0.05) : null;
  const result: ExportVerlResult = {
    out,
    files: [
      'train.parquet', 'val.parquet', ...(sftSplit ? ['sft_train.parquet', 'sft_val.parquet'] : []),
      `${CONFIG_NAME}.yaml`, 'rewards.yaml', 'saenggak_reward.py', 'run_single_node.sh', 'run_ray_cluster.sh', 'README.md', 'export.json',
    ],
    entry: mapped.entry,
    verl: VERL_VERSION,
    rows: { train: data.train.length, val: data.val.length, sftTrain: sftSplit?.[0].length ?? 0, sftVal: sftSplit?.[1].length ?? 0 },
    sources: data.sources,
    maxPromptLength,
    warnings: mapped.warnings,
    written: !options.dryRun,
    lora: grpo.method.kind === 'lora' ? { r: grpo.method.r, alpha: grpo.method.alpha } : null,
  };
  if (options.dryRun) return result;

  await mkdir(out, { recursive: true });
  const write = (name: string, body: string | Uint8Array) => writeFileAtomic(join(out, name), body);
  await writeRlParquet(join(out, 'train.parquet'), data.train.map((p, i) => rlRow(p, i, 'train')));
  await writeRlParquet(join(out, 'val.parquet'), data.val.map((p, i) => rlRow(p, i, 'val')));
  if (sftSplit) {
    await writeSftParquet(join(out, 'sft_train.parquet'), sftSplit[0].map((messages) => ({ messages })));
    await writeSftParquet(join(out, 'sft_val.parquet'), sftSplit[1].map((messages) => ({ messages })));
  }
  const header = `# verl ${VERL_VERSION} trainer config for recipe "${recipe.name}" (written by \`saenggak export verl\`).\n# Run with run_single_node.sh / run_ray_cluster.sh; they pass the data, model and reward paths as overrides.\n# Field-by-field mapping: docs/verl.md. Warnings: README.md.\n`;
  await write(`${CONFIG_NAME}.yaml`, header + stringify(mapped.config));
  await write('rewards.yaml', `# Reward composition for \`saenggak serve rewards --config rewards.yaml\` (from the recipe's grpo.rewards).\n${stringify(servedRewards(grpo))}`);
  await copyFile(REWARD_CLIENT_FILE, join(out, 'saenggak_reward.py'));
  const scriptOptions = { entry: mapped.entry, modelPath };
  await write('run_single_node.sh', singleNodeScript(scriptOptions));
  await write('run_ray_cluster.sh', rayClusterScript(scriptOptions));
  await chmod(join(out, 'run_single_node.sh'), 0o755);
  await chmod(join(out, 'run_ray_cluster.sh'), 0o755);
  await write('README.md', exportReadme(recipe.name, result, modelPath));
  await write('export.json', JSON.stringify(result, null, 2) + '\n');
  return result;
}
