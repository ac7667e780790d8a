// RECIPE.yaml of `saenggak pairs build` (and of the `pairs` job), validated with zod. Keys are snake_case
// as users write YAML; errors name the key path. API keys never appear in a recipe: `api_key_env` names
// the environment variable holding one.
//
//   collection: ko-chat-v1              # pairs/<collection>/ holds prompts, responses and scores
//   prompts: {dataset: prompts, columns: {prompt: prompt, id: id, category: category, lang: lang}}
//   generators:                         # or `responses:` to import existing ones (one row per prompt × model)
//     - {name: qwen-72b, type: openai, base_url: http://gpu:8000/v1, model: Qwen/Qwen2.5-72B-Instruct}
//     - {name: tiny, type: local, model_dir: models/tiny, max_new_tokens: 256}
//   scorers:                            # one to three
//     - {name: skywork, type: reward_model, model_dir: models/skywork-rm}
//     - {name: judge, type: judge, base_url: ..., model: ..., rubric: ko}
//   recentre: {calibration: all, weight_by_accuracy: {labels_of: ko-bvw}, bins: 20}
//   sets:
//     - {name: ko-consensus, construction: consensus, min_margin: 0.3}
//     - {name: ko-bvw, construction: best_vs_worst, min_margin: 1.0}
//     - {name: ko-balanced, construction: balanced, min_margin: 0.5, per_category: 200}
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { endpointFields as endpoint, requestFields } from '../llm/recipe-fields.ts';

const name = z.string().regex(/^[\p{L}\p{N}_.-]+$/u, 'use letters, digits, "_", "-" and "." only').max(128);
const columns = {
  category: z.string().optional(),
  lang: z.string().optional(),
};

export const generatorSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('openai'),
    name,
    ...endpoint,
    requests_per_second: z.number().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.int().positive().optional(),
    ...requestFields,
    system_prompt: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('local'),
    name,
    /** A Hugging Face causal-LM folder (relative paths: from the recipe's folder). */
    model_dir: z.string().min(1),
    max_new_tokens: z.int().min(1).max(32768).default(512),
    temperature: z.number().min(0).max(2).default(0),
    top_p: z.number().gt(0).max(1).optional(),
    seed: z.int().default(0),
    batch_size: z.int().min(1).max(256).default(8),
  }),
]);

export const scorerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('reward_model'),
    name,
    /** A `*ForSequenceClassification` folder with its tokenizer (relative paths: from the recipe's folder). */
    model_dir: z.string().min(1),
    batch_size: z.int().min(1).max(256).default(8),
    /** Longest scored sequence in tokens; longer ones are cut to their first max_tokens tokens (and logged). */
    max_tokens: z.int().min(16).max(131072).default(4096),
  }),
  z.strictObject({ type: z.literal('judge'), name, ...endpoint, rubric: z.enum(['ko', 'en']).default('ko') }),
]);

const calibrationSchema = z.union([
  z.literal('all'),
  z.strictObject({ category: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ model: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ lang: z.array(z.string().min(1)).min(1) }),
]);

export const setSchema = z.discriminatedUnion('construction', [
  z.strictObject({ name, construction: z.literal('consensus'), min_margin: z.number().min(0).default(0), max_per_prompt: z.int().min(1).default(1) }),
  z.strictObject({ name, construction: z.literal('best_vs_worst'), min_margin: z.number().min(0).default(0.5) }),
  z.strictObject({ name, construction: z.literal('balanced'), min_margin: z.number().min(0).default(0.5), per_category: z.int().min(1).optional() }),
]);

export const pairsRecipeSchema = z
  .strictObject({
    collection: name,
    prompts: z
      .strictObject({
        dataset: name,
        columns: z.strictObject({ prompt: z.string().default('prompt'), id: z.string().optional(), ...columns }).default({ prompt: 'prompt' }),
        limit: z.int().positive().optional(),
      })
      .optional(),
    generators: z.array(generatorSchema).min(1).optional(),
    samples_per_prompt: z.int().min(1).max(64).default(1),
    responses: z
      .strictObject({
        dataset: name.optional(),
        path: z.string().min(1).optional(),
        columns: z
          .strictObject({ prompt: z.string().default('prompt'), response: z.string().default('response'), model: z.string().default('model'), id: z.string().optional(), ...columns })
          .default({ prompt: 'prompt', response: 'response', model: 'model' }),
      })
      .refine((r) => (r.dataset === undefined) !== (r.path === undefined), 'give exactly one of responses.dataset or responses.path')
      .optional(),
    scorers: z.array(scorerSchema).min(1, 'list at least one scorer').max(3, 'at most three scorers'),
    recentre: z
      .strictObject({
        calibration: calibrationSchema.default('all'),
        weight_by_accuracy: z.strictObject({ labels_of: name }).optional(),
        bins: z.int().min(1).max(200).default(20),
      })
      .default({ calibration: 'all', bins: 20 }),
    sets: z.array(setSchema).min(1, 'list at least one set to build (consensus, best_vs_worst or balanced)'),
  })
  .superRefine((recipe, ctx) => {
    const generating = recipe.generators !== undefined;
    if (generating === (recipe.responses !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['generators'], message: 'give either generators (with prompts) to collect responses, or responses to import existing ones, not both' });
    }
    if (generating && !recipe.prompts) ctx.addIssue({ code: 'custom', path: ['prompts'], message: 'generators need prompts: {dataset: NAME}' });
    const unique = (list: { name: string }[], key: string) => {
      const seen = new Set<string>();
      for (const [i, item] of list.entries()) {
        if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `"${item.name}" is used twice; names must be unique` });
        seen.add(item.name);
      }
    };
    unique(recipe.generators ?? [], 'generators');
    unique(recipe.scorers, 'scorers');
    unique(recipe.sets, 'sets');
  });

export type PairsRecipe = z.infer<typeof pairsRecipeSchema>;
export type GeneratorRecipe = z.infer<typeof generatorSchema>;
export type ScorerRecipe = z.infer<typeof scorerSchema>;
export type SetRecipe = z.infer<typeof setSchema>;
export type CalibrationRecipe = z.infer<typeof calibrationSchema>;

export class PairsRecipeError extends Error {
  override readonly name = 'PairsRecipeError';
}

export function parsePairsRecipe(value: unknown, source = 'recipe'): PairsRecipe {
  const result = pairsRecipeSchema.safeParse(value);
  if (!result.success) throw new PairsRecipeError(`${source} is not a valid pairs recipe:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function readPairsRecipeFile(path: string): Promise<PairsRecipe> {
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PairsRecipeError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parsePairsRecipe(value, path);
}
