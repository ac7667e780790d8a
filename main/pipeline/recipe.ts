// RECIPE.yaml for the one-click pipeline: which stages run, in which order, on what. Every stage is
// optional; a stage's artifacts are read by the stages after it. The stage sections of the trainers
// (`sft`, `rewardModel`, `grpo`), of `pairs` and of `data.build` are those stages' own config schemas;
// here they are kept as objects and validated against the stage's schema by `pipeline check` and before
// the stage runs (so a recipe keeps parsing while a stage's schema grows, and the verl exporter can read
// the recipe without importing every trainer).
//
// Stage configs refer to earlier stages' outputs symbolically, as whole strings or inside strings:
//   sft:  { model: ${model.output}, data: ${data.train} }
// References resolve when the stage runs (see references.ts); a reference to a stage the recipe does
// not have, or to a later stage, is an error of `pipeline check`. Stage sections that leave `model` or
// the data out get the natural defaults (the previous model, the data stage's splits).
//
// Paths in a recipe are workspace-relative unless absolute. Keys are camelCase, as in the trainers'
// configs. Names stay stable: the verl exporter (main/export/verl) reads this schema.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { recipeSchema as dataBuildRecipeSchema } from '../data/build/recipe.ts';
import { referenceProblems } from './references.ts';
import { STAGE_ORDER, type StageName } from './stage-names.ts';

const name = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u, 'use letters, digits, "_", "-" and "." only (starting with a letter or digit)');
const share = z.number().min(0).max(1);

/** A stage's own config, validated against that stage's schema when the stage runs (see stages/). */
const stageConfig = z.record(z.string(), z.unknown());

// ---- model: the model the recipe starts from ------------------------------------------------------

/** A decoder shape for a model made on the fly (a custom alternative to the presets). */
export const modelShapeSchema = z.strictObject({
  hiddenSize: z.int().positive(),
  numLayers: z.int().positive(),
  numHeads: z.int().positive(),
  numKvHeads: z.int().positive(),
  intermediateSize: z.int().positive(),
  maxPositionEmbeddings: z.int().positive().default(1024),
});

export const makeModelSchema = z
  .strictObject({
    family: z.enum(['qwen2', 'qwen3', 'llama']).default('qwen2'),
    /** A preset size (models/presets.ts) or a custom `shape`. */
    preset: z.enum(['tiny', 'small']).optional(),
    shape: modelShapeSchema.optional(),
    /**
     * `compact`: the character-level tokenizer of the synthetic task (main/train/tasks, vocabulary ≈ 70),
     * `qwen`: the bundled Qwen tokenizer (151k ids), or a folder holding tokenizer.json.
     */
    tokenizer: z.union([z.enum(['compact', 'qwen']), z.string().min(1)]).default('compact'),
    /** Characters the compact tokenizer knows besides the arithmetic task's (e.g. the self-correction phrases). */
    extraCharacters: z.string().optional(),
    seed: z.int().min(0).default(0),
  })
  .refine((m) => (m.preset === undefined) !== (m.shape === undefined), { message: 'set exactly one of model.make.preset (tiny | small) or model.make.shape' });

const modelBranches = {
  make: z.strictObject({ make: makeModelSchema }),
  /** A Hugging Face model folder (workspace-relative or absolute). */
  path: z.strictObject({ path: z.string().min(1) }),
  /** A Hugging Face model id; it must have been downloaded (pipeline check names where it is looked for). */
  hub: z.strictObject({ hub: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'a Hugging Face model id such as Qwen/Qwen2.5-1.5B-Instruct'), revision: z.string().optional() }),
};
export const modelStageSchema = z.union([modelBranches.make, modelBranches.path, modelBranches.hub]);

// ---- data: training data, RL prompts and the held-out split ---------------------------------------

export const arithmeticTaskSchema = z.strictObject({
  task: z.literal('korean-arithmetic'),
  /** SFT examples (prompt + teacher thinking + answer). */
  train: z.int().positive().default(600),
  /** RL prompts (answers kept for the math reward). */
  prompts: z.int().min(0).default(200),
  /** Held-out problems, used by the evaluation stage (never trained on). */
  heldout: z.int().positive().default(64),
  /** Operations per problem. */
  steps: z.int().min(1).max(6).default(2),
  /** Share of training samples whose teacher thinks in English (so the language reward has room). */
  englishThinkingShare: share.default(0.5),
  /** Share of training samples whose teacher skips the working and states only the result (a habit GRPO's accuracy reward can remove). */
  shortcutShare: share.default(0),
  seed: z.int().min(0).default(0),
});

/** A dataset: a workspace dataset name, a .jsonl / .parquet path, or a Hugging Face dataset id (downloaded). */
export const datasetRefSchema = z.union([
  z.string().min(1),
  z.strictObject({ hub: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'a Hugging Face dataset id such as AI-MO/aimo-validation-amc'), split: z.string().optional(), config: z.string().optional() }),
]);

const dataBranches = {
  task: arithmeticTaskSchema,
  /** A data build (main/data/build recipe): teachers, filters, dedup. */
  build: z.strictObject({ build: dataBuildRecipeSchema, prompts: datasetRefSchema.optional(), heldout: datasetRefSchema.optional() }),
  /** Existing data. */
  train: z.strictObject({ train: datasetRefSchema, prompts: datasetRefSchema.optional(), heldout: datasetRefSchema.optional() }),
};
export const dataStageSchema = z.union([dataBranches.task, dataBranches.build, dataBranches.train]);

/**
 * The branch of a keyed union a section means (by its first distinguishing key), so errors come from that
 * branch ("at model.make.preset") instead of zod's "Invalid input" for the whole union.
 */
function branchIssues(section: string, value: unknown, branches: Record<string, z.ZodType>): z.core.$ZodIssue[] {
  if (value === undefined) return [];
  const keys = Object.keys(branches);
  const key = value && typeof value === 'object' && !Array.isArray(value) ? keys.find((k) => k in value) : undefined;
  if (key === undefined) return [{ code: 'custom', message: `${section} needs one of: ${keys.join(', ')}`, path: [section], input: value } as z.core.$ZodIssue];
  const result = branches[key].safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => ({ ...issue, path: [section, ...issue.path] }));
}

// ---- eval and report ------------------------------------------------------------------------------

export const benchmarkRefSchema = z.strictObject({
  name,
  /** Dataset ref, or `${data.heldout}` (the default benchmark is the held-out split). */
  source: datasetRefSchema,
  /** Target language of the thinking (default: detected by the evaluator). */
  lang: z.string().optional(),
  columns: z.strictObject({ problem: z.string(), answer: z.string(), id: z.string().optional() }).optional(),
});

export const evalStageSchema = z.strictObject({
  /** Default: the held-out split as benchmark "heldout". */
  benchmarks: z.array(benchmarkRefSchema).min(1).optional(),
  /** Which models to compare (default: every model the recipe has: base, sft, grpo). */
  models: z.array(z.enum(['base', 'sft', 'grpo'])).min(1).optional(),
  /** Samples per problem; 1 with temperature 0 is greedy accuracy. */
  k: z.int().positive().default(1),
  temperature: z.number().min(0).max(2).default(0),
  topP: z.number().gt(0).max(1).optional(),
  maxNewTokens: z.int().positive().default(512),
  seed: z.int().min(0).default(0),
  batchSize: z.int().positive().optional(),
});

export const reportStageSchema = z.strictObject({
  title: z.string().optional(),
  formats: z.array(z.enum(['md', 'html'])).min(1).default(['md', 'html']),
});

// ---- the recipe -----------------------------------------------------------------------------------

export const pipelineRecipeSchema = z.strictObject({
  /** Pipeline name: its state lives in <workspace>/pipelines/<name>/ and its runs are named after it. */
  name,
  description: z.string().optional(),
  /** Default seed for stages that do not set their own. */
  seed: z.int().min(0).default(0),
  /** Execution provider for the trainers and the evaluator. */
  provider: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'),
  /** Memory the trainers may use, in GiB (pipeline check compares each stage's estimate with it). */
  memoryGiB: z.number().positive().optional(),
  model: modelStageSchema.optional(),
  data: dataStageSchema.optional(),
  sft: stageConfig.optional(),
  /** A pairs build recipe (main/pairs). */
  pairs: stageConfig.optional(),
  rewardModel: stageConfig.optional(),
  grpo: stageConfig.optional(),
  /** GRPO arms × seeds from the same model, compared over seeds (stages/ablation.ts). */
  ablation: stageConfig.optional(),
  /** Seed 001's comparison: full / LoRA / discovered neurons / random neurons on self-correction data → the same GRPO (stages/alignment.ts). */
  alignment: stageConfig.optional(),
  eval: evalStageSchema.optional(),
  report: reportStageSchema.optional(),
});

export type PipelineRecipe = z.infer<typeof pipelineRecipeSchema>;
export type ModelStage = z.infer<typeof modelStageSchema>;
export type MakeModel = z.infer<typeof makeModelSchema>;
export type DataStage = z.infer<typeof dataStageSchema>;
export type ArithmeticTask = z.infer<typeof arithmeticTaskSchema>;
export type DatasetRef = z.infer<typeof datasetRefSchema>;
export type EvalStage = z.infer<typeof evalStageSchema>;
export type ReportStage = z.infer<typeof reportStageSchema>;

export { STAGE_ORDER, type StageName };

/** The stages a recipe has, in run order. */
export function recipeStages(recipe: PipelineRecipe): StageName[] {
  return STAGE_ORDER.filter((s) => recipe[s] !== undefined);
}

export class PipelineRecipeError extends Error {
  override readonly name = 'PipelineRecipeError';
  readonly code = 'invalid_recipe';
}

/** Validates a parsed recipe; the error lists every problem with its key path. */
export function parsePipelineRecipe(value: unknown, source = 'recipe'): PipelineRecipe {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PipelineRecipeError(`${source} is not a pipeline recipe: expected a YAML mapping with at least "name" and one stage (${STAGE_ORDER.join(', ')})`);
  const sections = value as Record<string, unknown>;
  const branchProblems = [...branchIssues('model', sections.model, modelBranches), ...branchIssues('data', sections.data, dataBranches)];
  if (branchProblems.length > 0) throw new PipelineRecipeError(`${source} is not a valid pipeline recipe:\n${z.prettifyError(new z.ZodError(branchProblems))}`);
  const result = pipelineRecipeSchema.safeParse(value);
  if (!result.success) throw new PipelineRecipeError(`${source} is not a valid pipeline recipe:\n${z.prettifyError(result.error)}`);
  const stages = recipeStages(result.data);
  if (stages.length === 0) throw new PipelineRecipeError(`${source} has no stages: add at least one of ${STAGE_ORDER.join(', ')}`);
  const problems = stages.flatMap((stage) => referenceProblems(stage, result.data[stage], stages));
  if (problems.length > 0) throw new PipelineRecipeError(`${source} has references that cannot resolve:\n${problems.map((p) => `  ✖ ${p}`).join('\n')}`);
  return result.data;
}

/** Parses YAML text as a recipe. */
export function parsePipelineRecipeText(text: string, source = 'recipe'): PipelineRecipe {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new PipelineRecipeError(`${source} is not valid YAML: ${(error as Error).message}`);
  }
  return parsePipelineRecipe(value, source);
}

/** Reads and validates RECIPE.yaml. */
export async function readRecipeFile(path: string): Promise<PipelineRecipe> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PipelineRecipeError(`cannot read recipe ${path}: ${(error as Error).message}`);
  }
  return parsePipelineRecipeText(text, path);
}
