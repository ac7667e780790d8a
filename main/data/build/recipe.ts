// RECIPE.yaml: what a build does, validated with zod. Keys are snake_case as users write YAML; errors
// name the key path and what to set. API keys are never written in a recipe (it gets saved with the
// build): `api_key_env` names the environment variable that holds one.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { endpointFields, requestFields } from '../../llm/recipe-fields.ts';

// The endpoint and request fields live with the LLM client (llm/recipe-fields.ts): pairs recipes use them too.
export { endpointFields, requestFields, samplingSchema } from '../../llm/recipe-fields.ts';

const name = z.string().regex(/^[\p{L}\p{N}_.-]+$/u, 'use letters, digits, "_", "-" and "." only');
const unit = z.number().min(0).max(1);
const field = z.enum(['prompt', 'response', 'thinking', 'answer', 'prompt_and_response']);

export const teacherSchema = z.strictObject({
  name,
  ...endpointFields,
  requests_per_second: z.number().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.int().positive().optional(),
  ...requestFields,
  system_prompt: z.string().optional(),
  /** Stream replies (server-sent events): timeout_s then counts silence, and a cut stream is retried. */
  stream: z.boolean().optional(),
  price: z.strictObject({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) }).optional(),
});

const evalSet = z.union([
  z.strictObject({ dataset: name, column: z.string().default('problem') }),
  z.strictObject({ path: z.string().min(1), column: z.string().default('problem') }),
  z.strictObject({ name: z.string().min(1), texts: z.array(z.string()).min(1) }),
]);

/** Near-dedup embedders: the built-in character n-gram one, or a local transformers.js feature-extraction model folder. */
export const embedderSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('ngram') }),
  z.strictObject({
    kind: z.literal('transformers'),
    /** Folder (relative to the recipe) with config.json, tokenizer files and onnx/model.onnx. */
    model: z.string().min(1),
    pooling: z.enum(['mean', 'cls']).default('mean'),
    /** E5 models expect "query: ". */
    prefix: z.string().default(''),
    batch_size: z.int().min(1).max(4096).default(32),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']).default('fp32'),
  }),
]);

export const filterSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('outcome'), name: name.optional(), missing_gold: z.enum(['keep', 'drop']).default('keep') }),
  z.strictObject({ type: z.literal('format'), name: name.optional(), require_answer: z.union([z.enum(['boxed', 'any']), z.literal(false)]).default(false), allow_implicit_open: z.boolean().default(true) }),
  z.strictObject({
    type: z.literal('length'),
    name: name.optional(),
    min_chars: z.int().min(0).optional(),
    max_chars: z.int().min(1).optional(),
    min_thinking_chars: z.int().min(0).optional(),
    max_thinking_chars: z.int().min(1).optional(),
    allow_truncated: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal('language'), name: name.optional(), target: z.string().optional(), min_score: unit, field: field.default('thinking') }),
  z.strictObject({ type: z.literal('judge'), name: name.optional(), ...endpointFields, min_score: unit, rubric: z.enum(['ko', 'en']).default('ko'), field: z.enum(['answer', 'response']).default('answer') }),
  z.strictObject({ type: z.literal('exact_dedup'), name: name.optional(), field: field.default('response') }),
  z.strictObject({
    type: z.literal('near_dedup'),
    name: name.optional(),
    field: field.default('prompt'),
    threshold: z.number().gt(0).max(1).default(0.7),
    k: z.int().min(1).max(100).default(10),
    embedder: embedderSchema.default({ kind: 'ngram' }),
  }),
  z.strictObject({ type: z.literal('decontaminate'), name: name.optional(), eval_sets: z.array(evalSet).min(1), ngram: z.int().min(2).default(8), field: field.default('prompt_and_response') }),
  z.strictObject({
    type: z.literal('difficulty'),
    name: name.optional(),
    samples: z.strictObject({
      dataset: name,
      prompt_id_column: z.string().default('prompt_id'),
      correct_column: z.string().optional(),
      response_column: z.string().optional(),
    }),
    easy_at: unit.default(1),
    hard_at: unit.default(0),
    keep: z.array(z.enum(['easy', 'learnable', 'too_hard'])).min(1).default(['easy', 'learnable']),
    missing: z.enum(['keep', 'drop']).default('keep'),
  }),
]);

/** Which columns hold the prompt, gold answer, id and category, and how many prompts to take. */
const promptSelection = {
  columns: z
    .strictObject({ prompt: z.string().default('prompt'), answer: z.string().optional(), id: z.string().optional(), category: z.string().optional() })
    .default({ prompt: 'prompt' }),
  limit: z.int().positive().optional(),
};

export const recipeSchema = z.strictObject({
  /** Name of the dataset the build writes (a new version when it exists). */
  output: name,
  /** Prompts from a workspace dataset (`dataset`) or a Hugging Face dataset by name (`hf`, downloaded into the workspace). */
  prompts: z.union([
    z.strictObject({ dataset: name, ...promptSelection }),
    z.strictObject({
      hf: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'hf is a Hugging Face dataset name such as openai/gsm8k'),
      config: z.string().min(1).optional(),
      split: z.string().min(1).optional(),
      ...promptSelection,
    }),
  ], { error: 'prompts needs either dataset (a workspace dataset) or hf (a Hugging Face dataset name), plus columns' }),
  teachers: z.array(teacherSchema).min(1, 'list at least one teacher (name, base_url, model)'),
  samples_per_prompt: z.int().min(1).max(1024).default(1),
  filters: z.array(filterSchema).default([]),
});

export type Recipe = z.infer<typeof recipeSchema>;
export type PromptSource = Recipe['prompts'];
export type TeacherRecipe = z.infer<typeof teacherSchema>;
export type FilterRecipe = z.infer<typeof filterSchema>;
export type EmbedderRecipe = z.infer<typeof embedderSchema>;

export class RecipeError extends Error {
  override readonly name = 'RecipeError';
}

/** Validates a parsed recipe object; the error lists every problem with its key path. */
export function parseRecipe(value: unknown, source = 'recipe'): Recipe {
  const result = recipeSchema.safeParse(value);
  if (!result.success) throw new RecipeError(`${source} is not a valid build recipe:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function readRecipeFile(path: string): Promise<Recipe> {
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new RecipeError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseRecipe(value, path);
}
