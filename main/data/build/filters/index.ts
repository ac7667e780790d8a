// Filter steps from recipe entries. Steps that need data (eval sets, precomputed samples) load it here
// through the workspace, so the filters themselves stay plain classes over samples.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { verifyResponse } from '../../../rewards/index.ts';
import type { Workspace } from '../../../store/index.ts';
import { datasetRows } from '../../../store/dataset-rows.ts';
import { apiKeyFrom } from '../../../llm/recipe-fields.ts';
import { NgramHashEmbedder, type Embedder } from '../../embed/index.ts';
import type { EmbedderRecipe, FilterRecipe } from '../recipe.ts';
import type { SampleFilter } from '../sample.ts';
import { DecontaminateFilter, type EvalSet } from './decontaminate.ts';
import { DifficultyFilter, type PassRate } from './difficulty.ts';
import { ExactDedupFilter } from './exact-dedup.ts';
import { FormatFilter } from './format.ts';
import { JudgeFilter } from './judge.ts';
import { LanguageFilter } from './language.ts';
import { LengthFilter } from './length.ts';
import { NearDedupFilter } from './near-dedup.ts';
import { OutcomeFilter } from './outcome.ts';

export { DecontaminateFilter, DifficultyFilter, ExactDedupFilter, FormatFilter, JudgeFilter, LanguageFilter, LengthFilter, NearDedupFilter, OutcomeFilter };
export { classifyDifficulty, type Difficulty, type PassRate } from './difficulty.ts';
export type { EvalSet } from './decontaminate.ts';
// Shared with the pairs stage, so they live below both: the store reads rows, the LLM recipe fields read keys.
export { apiKeyFrom, datasetRows };

export type FilterDeps = {
  workspace: Workspace;
  /** Relative paths in a recipe are resolved from here (the recipe's folder). */
  baseDir: string;
  env: Record<string, string | undefined>;
  /** Gold answers by prompt id (difficulty from responses). */
  goldByPrompt: ReadonlyMap<string, string | null>;
};


function columnText(row: Record<string, unknown>, column: string, where: string): string | null {
  const value = row[column];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where}: column "${column}" holds ${Array.isArray(value) ? 'an array' : typeof value}, expected text`);
}


async function loadEvalSet(spec: Extract<FilterRecipe, { type: 'decontaminate' }>['eval_sets'][number], deps: FilterDeps): Promise<EvalSet> {
  if ('texts' in spec) return { name: spec.name, texts: spec.texts };
  const texts: string[] = [];
  if ('dataset' in spec) {
    for await (const row of datasetRows(deps.workspace, spec.dataset)) {
      const text = columnText(row, spec.column, `eval set "${spec.dataset}"`);
      if (text) texts.push(text);
    }
    if (texts.length === 0) throw new Error(`eval set "${spec.dataset}" has no rows with a "${spec.column}" column (set column: to the one holding the problems)`);
    return { name: spec.dataset, texts };
  }
  const path = resolve(deps.baseDir, spec.path);
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const text = columnText(JSON.parse(line) as Record<string, unknown>, spec.column, `${path} line ${i + 1}`);
    if (text) texts.push(text);
  });
  if (texts.length === 0) throw new Error(`eval set ${path} has no lines with a "${spec.column}" field (set column: to the one holding the problems)`);
  return { name: spec.path, texts };
}

async function loadPassRates(spec: Extract<FilterRecipe, { type: 'difficulty' }>['samples'], deps: FilterDeps): Promise<Map<string, PassRate>> {
  if (!spec.correct_column && !spec.response_column) throw new Error('difficulty.samples: set correct_column (true/false per sample) or response_column (verified against the gold answer)');
  const rates = new Map<string, PassRate>();
  for await (const row of datasetRows(deps.workspace, spec.dataset)) {
    const promptId = columnText(row, spec.prompt_id_column, `difficulty samples "${spec.dataset}"`);
    if (promptId === null) throw new Error(`difficulty samples "${spec.dataset}": a row has no "${spec.prompt_id_column}" (set prompt_id_column)`);
    let correct: boolean;
    if (spec.correct_column) {
      const v = row[spec.correct_column];
      correct = v === true || v === 1 || v === 'true';
    } else {
      const gold = deps.goldByPrompt.get(promptId);
      const response = columnText(row, spec.response_column!, `difficulty samples "${spec.dataset}"`) ?? '';
      correct = gold ? verifyResponse(response, gold).correct : false;
    }
    const rate = rates.get(promptId) ?? { correct: 0, total: 0 };
    rate.total++;
    if (correct) rate.correct++;
    rates.set(promptId, rate);
  }
  return rates;
}

/** The embedder a recipe names: the built-in n-gram one, or a local transformers.js model (imported only then). */
export async function createEmbedder(spec: EmbedderRecipe, baseDir: string): Promise<Embedder> {
  if (spec.kind === 'ngram') return new NgramHashEmbedder();
  const { TransformersEmbedder } = await import('../../embed/transformers.ts');
  return TransformersEmbedder.load({ model: resolve(baseDir, spec.model), pooling: spec.pooling, prefix: spec.prefix, batchSize: spec.batch_size, dtype: spec.dtype });
}

export async function createFilter(spec: FilterRecipe, deps: FilterDeps): Promise<SampleFilter> {
  switch (spec.type) {
    case 'outcome':
      return new OutcomeFilter({ name: spec.name, missingGold: spec.missing_gold });
    case 'format':
      return new FormatFilter({ name: spec.name, requireAnswer: spec.require_answer, allowImplicitOpen: spec.allow_implicit_open });
    case 'length':
      return new LengthFilter({
        name: spec.name,
        minChars: spec.min_chars,
        maxChars: spec.max_chars,
        minThinkingChars: spec.min_thinking_chars,
        maxThinkingChars: spec.max_thinking_chars,
        allowTruncated: spec.allow_truncated,
      });
    case 'language':
      return new LanguageFilter({ name: spec.name, target: spec.target, minScore: spec.min_score, field: spec.field });
    case 'judge':
      return new JudgeFilter({
        name: spec.name,
        minScore: spec.min_score,
        rubric: spec.rubric,
        field: spec.field,
        client: {
          baseUrl: spec.base_url,
          model: spec.model,
          apiKey: apiKeyFrom(deps.env, spec.api_key_env, `judge filter`),
          concurrency: spec.concurrency,
          timeoutMs: spec.timeout_s ? spec.timeout_s * 1000 : undefined,
          maxRetries: spec.max_retries,
        },
      });
    case 'exact_dedup':
      return new ExactDedupFilter({ name: spec.name, field: spec.field });
    case 'near_dedup':
      return new NearDedupFilter({ name: spec.name, field: spec.field, threshold: spec.threshold, k: spec.k, embedder: await createEmbedder(spec.embedder, deps.baseDir) });
    case 'decontaminate':
      return new DecontaminateFilter({ name: spec.name, ngram: spec.ngram, field: spec.field, evalSets: await Promise.all(spec.eval_sets.map((s) => loadEvalSet(s, deps))) });
    case 'difficulty':
      return new DifficultyFilter({ name: spec.name, passRates: await loadPassRates(spec.samples, deps), easyAt: spec.easy_at, hardAt: spec.hard_at, keep: spec.keep, missing: spec.missing });
  }
}
