// Collecting responses: for each prompt, one or more responses from each generator (OpenAI-compatible
// endpoints through the data build's TeacherClient, local model folders through LocalGenerator), or
// existing responses imported from a dataset or a JSONL file (one row per prompt × model).
//
// Storage, under workspacePaths(root).pairs/<collection>/ (sets live beside it in pairs/<set>/, see set-store.ts):
//   collection.json   marks the folder as a collection (a set's folder has set.json)
//   prompts.jsonl     the prompts with category and lang (replaced atomically on each run)
//   responses.jsonl   the data build's ResponseLog format, `teacher` = generator name
// Why a durable JSONL log and not a workspace dataset: responses arrive one by one from slow endpoints over
// hours; an append-only fsynced log acknowledges each as it lands and lets an interrupted collection resume
// exactly where it stopped (the log's keys are the done set). A dataset version is written whole, once; the
// preference sets built from the collection are datasets.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { apiKeyFrom } from '../llm/recipe-fields.ts';
import { datasetRows } from '../store/dataset-rows.ts';
import { generateResponses } from '../llm/generate.ts';
import { ResponseLog, type LoggedResponse } from '../llm/response-log.ts';
import { TeacherClient } from '../llm/teacher-client.ts';
import { detectLanguage } from '../rewards/language/consistency.ts';
import { splitThinking } from '../rewards/think-split.ts';
import { writeFileAtomic, type Workspace } from '../store/index.ts';
import { LocalGenerator } from './local-generator.ts';
import type { GeneratorRecipe, PairsRecipe } from './recipe.ts';
import { responseId, type CollectedResponse, type PromptRecord } from './types.ts';

export type CollectOptions = {
  workspace: Workspace;
  recipe: PairsRecipe;
  /** Folder relative paths in the recipe are resolved from. */
  baseDir: string;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (progress: { done: number; total: number; failed: number }) => void;
};

export function collectionDir(workspace: Workspace, collection: string): string {
  return join(workspace.paths.pairs, collection);
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function promptIdFor(prompt: string): string {
  return `p-${createHash('sha256').update(prompt).digest('hex').slice(0, 12)}`;
}

function langOf(value: string | null, prompt: string): string {
  return value || detectLanguage(prompt) || 'und';
}

function requireColumns(row: Record<string, unknown>, wanted: Record<string, string | undefined>, where: string): void {
  for (const [role, column] of Object.entries(wanted)) {
    if (column !== undefined && !(column in row)) {
      throw new Error(`${where}.columns.${role}: the first row has no column "${column}" (it has ${Object.keys(row).join(', ')})`);
    }
  }
}

async function loadPrompts(workspace: Workspace, spec: NonNullable<PairsRecipe['prompts']>): Promise<PromptRecord[]> {
  const prompts: PromptRecord[] = [];
  const seen = new Set<string>();
  let index = 0;
  for await (const row of datasetRows(workspace, spec.dataset)) {
    if (index === 0) requireColumns(row, spec.columns, 'prompts');
    index++;
    if (spec.limit !== undefined && prompts.length >= spec.limit) break;
    const prompt = text(row[spec.columns.prompt]);
    if (!prompt || !prompt.trim()) continue;
    const id = spec.columns.id ? text(row[spec.columns.id]) : promptIdFor(prompt);
    if (!id) throw new Error(`prompts: row ${index - 1} of "${spec.dataset}" has no ${spec.columns.id} (prompts.columns.id)`);
    if (seen.has(id)) continue; // the same prompt twice (no id column): collect it once
    seen.add(id);
    const category = (spec.columns.category ? text(row[spec.columns.category]) : null) || 'general';
    prompts.push({ id, prompt, category, lang: langOf(spec.columns.lang ? text(row[spec.columns.lang]) : null, prompt) });
  }
  if (prompts.length === 0) throw new Error(`prompts: dataset "${spec.dataset}" has no non-empty "${spec.columns.prompt}" values`);
  return prompts;
}

async function* fileRows(path: string): AsyncGenerator<Record<string, unknown>> {
  const content = await readFile(path, 'utf8');
  if (/\.json$/i.test(path)) {
    const value = JSON.parse(content) as unknown;
    if (!Array.isArray(value)) throw new Error(`${path}: expected a JSON array of rows`);
    yield* value as Record<string, unknown>[];
    return;
  }
  if (!/\.jsonl$/i.test(path)) throw new Error(`responses.path: ${path} must be .jsonl or .json (import other formats as a dataset and use responses.dataset)`);
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      yield JSON.parse(lines[i]) as Record<string, unknown>;
    } catch {
      throw new Error(`${path}:${i + 1}: not valid JSON`);
    }
  }
}

type Generator = Pick<TeacherClient, 'name' | 'concurrency' | 'generate'>;

function createGenerator(spec: GeneratorRecipe, baseDir: string, env: Record<string, string | undefined>, log: (line: string) => void): Generator {
  if (spec.type === 'local') {
    return new LocalGenerator({ name: spec.name, modelDir: resolve(baseDir, spec.model_dir), maxNewTokens: spec.max_new_tokens, temperature: spec.temperature, topP: spec.top_p, seed: spec.seed });
  }
  return new TeacherClient({
    name: spec.name,
    baseUrl: spec.base_url,
    model: spec.model,
    apiKey: apiKeyFrom(env, spec.api_key_env, `generator "${spec.name}"`),
    concurrency: spec.concurrency,
    requestsPerSecond: spec.requests_per_second,
    temperature: spec.temperature,
    maxTokens: spec.max_tokens,
    sampling: spec.sampling,
    extraBody: spec.extra_body,
    deadlineMs: spec.deadline_s ? spec.deadline_s * 1000 : undefined,
    systemPrompt: spec.system_prompt,
    timeoutMs: spec.timeout_s ? spec.timeout_s * 1000 : undefined,
    maxRetries: spec.max_retries,
    log,
  });
}

/** Reads imported responses into prompts and log entries (sample_idx counts rows per prompt × model). */
async function importResponses(options: CollectOptions, responseLog: ResponseLog): Promise<PromptRecord[]> {
  const spec = options.recipe.responses!;
  const { columns } = spec;
  const rows = spec.dataset ? datasetRows(options.workspace, spec.dataset) : fileRows(resolve(options.baseDir, spec.path!));
  const prompts = new Map<string, PromptRecord>();
  const samples = new Map<string, number>();
  let index = 0;
  for await (const row of rows) {
    if (index === 0) requireColumns(row, columns, 'responses');
    index++;
    const prompt = text(row[columns.prompt]);
    const response = text(row[columns.response]);
    const model = text(row[columns.model]);
    if (!prompt || !response || !model) continue;
    const id = (columns.id ? text(row[columns.id]) : null) ?? promptIdFor(prompt);
    if (!prompts.has(id)) {
      const category = (columns.category ? text(row[columns.category]) : null) || 'general';
      prompts.set(id, { id, prompt, category, lang: langOf(columns.lang ? text(row[columns.lang]) : null, prompt) });
    }
    const key = `${id}\u0000${model}`;
    const sampleIdx = samples.get(key) ?? 0;
    samples.set(key, sampleIdx + 1);
    const split = splitThinking(response);
    const thinks = split.status !== 'no_thinking';
    const entry: LoggedResponse = {
      prompt_id: id,
      teacher: model,
      sample_idx: sampleIdx,
      status: 'ok',
      thinking: thinks ? split.thinking : '',
      answer: thinks ? split.summary.trim() : response.trim(),
      thinking_source: thinks ? 'think_tags' : 'none',
      finish_reason: null,
      usage: null,
      created_at: new Date().toISOString(),
    };
    responseLog.add(entry);
  }
  responseLog.flush();
  if (prompts.size === 0) throw new Error(`responses: no row has all of "${columns.prompt}", "${columns.response}" and "${columns.model}"`);
  return [...prompts.values()];
}

/** Collects (or resumes collecting) the recipe's responses and returns every acknowledged one. */
export async function collectResponses(options: CollectOptions): Promise<{ dir: string; prompts: PromptRecord[]; responses: CollectedResponse[] }> {
  const { workspace, recipe } = options;
  const log = options.log ?? (() => undefined);
  const dir = collectionDir(workspace, recipe.collection);
  await mkdir(dir, { recursive: true });
  const generators = (recipe.generators ?? []).map((g) => createGenerator(g, options.baseDir, options.env ?? process.env, log));
  const responseLog = ResponseLog.open(join(dir, 'responses.jsonl'));
  let prompts: PromptRecord[];
  try {
    if (recipe.responses) {
      prompts = await importResponses(options, responseLog);
    } else {
      prompts = await loadPrompts(workspace, recipe.prompts!);
      if (responseLog.size > 0) log(`resuming: ${responseLog.size} responses already in ${responseLog.path}`);
      const summary = await generateResponses({
        prompts: prompts.map((p) => ({ id: p.id, prompt: p.prompt })),
        teachers: generators,
        samplesPerPrompt: recipe.samples_per_prompt,
        log: responseLog,
        signal: options.signal,
        onLog: log,
        onProgress: options.onProgress,
      });
      log(`collection: ${summary.generatedNow} new responses, ${summary.alreadyDone} from earlier runs, ${summary.failed} failed permanently`);
    }
  } finally {
    responseLog.close();
  }
  await writeFileAtomic(join(dir, 'prompts.jsonl'), prompts.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const byId = new Map(prompts.map((p) => [p.id, p]));
  // Responses of generators dropped from the recipe since an earlier run stay in the log but are not used.
  const current = recipe.generators ? new Set(recipe.generators.map((g) => g.name)) : null;
  const responses: CollectedResponse[] = [];
  for (const entry of responseLog.all()) {
    const prompt = byId.get(entry.prompt_id);
    if (!prompt || entry.status !== 'ok' || (current && !current.has(entry.teacher))) continue;
    responses.push({
      id: responseId(prompt.id, entry.teacher, entry.sample_idx),
      promptId: prompt.id,
      prompt: prompt.prompt,
      category: prompt.category,
      lang: prompt.lang,
      model: entry.teacher,
      sampleIdx: entry.sample_idx,
      thinking: entry.thinking,
      answer: entry.answer,
    });
  }
  return { dir, prompts, responses };
}
