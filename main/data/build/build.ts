// One dataset build, start to finish: prompts from a workspace dataset → teacher responses (resumable,
// in artifacts/builds/<output>/responses.jsonl) → filter steps → a new version of the output dataset with
// per-row provenance → stats.json and recipe.json beside the log. Running it again after a stop or crash
// resumes generation where the log ends; filters and the output are recomputed (they are cheap and
// deterministic, except the judge).
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, type Workspace } from '../../store/index.ts';
import { apiKeyFrom, createFilter, datasetRows } from './filters/index.ts';
import { generateResponses, type GenerationPrompt, type GenerationProgress, type GenerationSummary } from '../../llm/generate.ts';
import { runFilters } from './pipeline.ts';
import { ensureHfFiles, shardRows } from './hf-prompts.ts';
import type { PromptSource, Recipe } from './recipe.ts';
import { ResponseLog } from '../../llm/response-log.ts';
import { joinResponse, type BuildSample, type FilterDecision } from './sample.ts';
import { buildStats, type BuildStats } from './stats.ts';
import { TeacherClient } from '../../llm/teacher-client.ts';
import { usageByTeacher } from './usage.ts';

export type BuildOptions = {
  workspace: Workspace;
  recipe: Recipe;
  /** Folder that relative paths in the recipe are resolved from. */
  baseDir?: string;
  /** Environment for api_key_env lookups (default process.env). */
  env?: Record<string, string | undefined>;
  /** Discard responses of an earlier build with the same output (needed when the generation settings changed). */
  restart?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Progress per phase; in 'download' (Hugging Face prompt files) done/total are bytes of file `file` of `files`. */
  onProgress?: (progress: BuildProgress) => void;
  /** Injected for tests (Hugging Face downloads); default the global fetch. */
  fetch?: typeof fetch;
};

export type BuildProgress = GenerationProgress & { phase: 'download' | 'generate' | 'filter' | 'write'; file?: number; files?: number };

export type BuildResult = { dataset: string; rows: number; buildDir: string; stats: BuildStats; generation: GenerationSummary };

type SourcePrompt = GenerationPrompt & { gold: string | null; category: string | null };

/** The settings that decide what the response log holds; a resumed build must match them. */
function generationFingerprint(recipe: Recipe): unknown {
  return {
    prompts: recipe.prompts,
    samples_per_prompt: recipe.samples_per_prompt,
    teachers: recipe.teachers.map((t) => ({ name: t.name, base_url: t.base_url, model: t.model, temperature: t.temperature ?? null, max_tokens: t.max_tokens ?? null, system_prompt: t.system_prompt ?? null })),
  };
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** What provenance calls the prompt source: the workspace dataset's name, or `hf:owner/name[/config][/split]`. */
export function promptSourceName(source: PromptSource): string {
  if ('dataset' in source) return source.dataset;
  return ['hf:' + source.hf, source.config, source.split].filter(Boolean).join('/');
}

/** Rows of the prompt source and a check that the mapped columns exist (given the first row's keys for HF files). */
async function promptRows(workspace: Workspace, source: PromptSource, options: BuildOptions): Promise<{ rows: AsyncIterable<Record<string, unknown>>; checkColumns: (names: string[]) => void }> {
  const describe = promptSourceName(source);
  const checkColumns = (names: string[]) => {
    for (const [role, column] of Object.entries(source.columns)) {
      if (column !== undefined && !names.includes(column)) {
        throw new Error(`prompts.columns.${role}: ${'dataset' in source ? 'dataset' : 'Hugging Face dataset'} "${describe}" has no column "${column}" (it has ${names.join(', ')})`);
      }
    }
  };
  if ('dataset' in source) {
    const info = await workspace.datasets.get(source.dataset);
    checkColumns(info.columns.map((c) => c.name));
    return { rows: datasetRows(workspace, source.dataset), checkColumns: () => undefined };
  }
  const files = await ensureHfFiles(workspace, source, {
    fetch: options.fetch,
    log: options.log,
    onProgress: (p) => options.onProgress?.({ done: p.bytes, total: p.bytesTotal ?? p.bytes, failed: 0, phase: 'download', file: p.file, files: p.files }),
  });
  if (!files.length) throw new Error(`prompts: no files of ${describe} matched config=${source.config ?? '*'} split=${source.split ?? '*'}`);
  return { rows: shardRows(files), checkColumns };
}

async function loadPrompts(workspace: Workspace, recipe: Recipe, options: BuildOptions): Promise<SourcePrompt[]> {
  const { columns, limit } = recipe.prompts;
  const source = promptSourceName(recipe.prompts);
  const { rows, checkColumns } = await promptRows(workspace, recipe.prompts, options);
  const prompts: SourcePrompt[] = [];
  const seen = new Set<string>();
  let index = 0;
  for await (const row of rows) {
    if (index === 0) checkColumns(Object.keys(row));
    if (limit !== undefined && prompts.length >= limit) break;
    const prompt = text(row[columns.prompt]);
    const id = columns.id ? text(row[columns.id]) : `row-${index}`;
    index++;
    if (!prompt || !prompt.trim()) continue;
    if (id === null) throw new Error(`prompts: row ${index - 1} of "${source}" has no ${columns.id} (prompts.columns.id)`);
    if (seen.has(id)) throw new Error(`prompts: id "${id}" appears twice in "${source}"; prompts.columns.id must name a unique column`);
    seen.add(id);
    prompts.push({ id, prompt, gold: columns.answer ? text(row[columns.answer]) : null, category: columns.category ? text(row[columns.category]) : null });
  }
  if (prompts.length === 0) throw new Error(`prompts: "${source}" has no non-empty "${columns.prompt}" values`);
  return prompts;
}

async function checkResume(buildDir: string, recipe: Recipe, restart: boolean): Promise<void> {
  const path = join(buildDir, 'generation.json');
  const wanted = JSON.stringify(generationFingerprint(recipe));
  let existing: string | null = null;
  try {
    existing = await readFile(path, 'utf8');
  } catch {
    // first run
  }
  if (existing !== null && existing.trim() !== wanted) {
    if (!restart) {
      throw new Error(
        `a build of "${recipe.output}" with other generation settings (prompts, teachers or samples_per_prompt) exists in ${buildDir}; ` +
          'use another output name, or restart to discard its responses',
      );
    }
  }
  if (restart) await rm(join(buildDir, 'responses.jsonl'), { force: true });
  await writeFileAtomic(path, wanted + '\n');
}

function outputRow(sample: BuildSample, recipe: Recipe, model: string, decisions: Record<string, FilterDecision>): Record<string, unknown> {
  return {
    messages: [
      { role: 'user', content: sample.prompt },
      { role: 'assistant', content: sample.response },
    ],
    prompt: sample.prompt,
    thinking: sample.thinking,
    answer: sample.answer,
    gold: sample.gold,
    category: sample.category,
    provenance: { source_dataset: promptSourceName(recipe.prompts), prompt_id: sample.promptId, teacher: sample.teacher, model, sample_idx: sample.sampleIdx, filters: decisions },
  };
}

export async function runBuild(options: BuildOptions): Promise<BuildResult> {
  const { workspace, recipe } = options;
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const buildDir = join(workspace.paths.artifacts, 'builds', recipe.output);
  await mkdir(buildDir, { recursive: true });
  // Validate everything cheap before spending teacher time.
  const teachers = recipe.teachers.map(
    (t) =>
      new TeacherClient({
        name: t.name,
        baseUrl: t.base_url,
        model: t.model,
        apiKey: apiKeyFrom(env, t.api_key_env, `teacher "${t.name}"`),
        concurrency: t.concurrency,
        requestsPerSecond: t.requests_per_second,
        temperature: t.temperature,
        maxTokens: t.max_tokens,
        sampling: t.sampling,
        extraBody: t.extra_body,
        deadlineMs: t.deadline_s ? t.deadline_s * 1000 : undefined,
        systemPrompt: t.system_prompt,
        stream: t.stream,
        timeoutMs: t.timeout_s ? t.timeout_s * 1000 : undefined,
        maxRetries: t.max_retries,
        log,
      }),
  );
  const prompts = await loadPrompts(workspace, recipe, options);
  const goldByPrompt = new Map(prompts.map((p) => [p.id, p.gold]));
  const filters = [];
  for (const spec of recipe.filters) filters.push(await createFilter(spec, { workspace, baseDir: options.baseDir ?? process.cwd(), env, goldByPrompt }));
  await checkResume(buildDir, recipe, options.restart ?? false);
  await writeFileAtomic(join(buildDir, 'recipe.json'), JSON.stringify(recipe, null, 2) + '\n');

  const responseLog = ResponseLog.open(join(buildDir, 'responses.jsonl'));
  if (responseLog.size > 0) log(`resuming: ${responseLog.size} responses already in ${responseLog.path}`);
  let generation;
  try {
    generation = await generateResponses({
      prompts,
      teachers,
      samplesPerPrompt: recipe.samples_per_prompt,
      log: responseLog,
      signal: options.signal,
      onLog: log,
      onProgress: (p) => options.onProgress?.({ ...p, phase: 'generate' }),
    });
  } finally {
    responseLog.close();
  }
  const reasons = Object.entries(generation.failedByReason).map(([code, n]) => `${code} ${n}`).join(', ');
  log(`generation: ${generation.generatedNow} new, ${generation.alreadyDone} from earlier runs, ${generation.failed} skipped${reasons ? ` (${reasons}; reasons in responses.jsonl, asked again on the next run)` : ''}`);

  // Samples in a fixed order (prompt, teacher, sample index) whatever order responses arrived in.
  const byKey = new Map(responseLog.all().map((e) => [`${e.prompt_id}/${e.teacher}/${e.sample_idx}`, e]));
  const samples: BuildSample[] = [];
  for (const prompt of prompts) {
    for (const teacher of teachers) {
      for (let s = 0; s < recipe.samples_per_prompt; s++) {
        const key = `${prompt.id}/${teacher.name}/${s}`;
        const entry = byKey.get(key);
        if (!entry || entry.status !== 'ok') continue;
        samples.push({
          key,
          promptId: prompt.id,
          prompt: prompt.prompt,
          gold: prompt.gold,
          category: prompt.category,
          teacher: teacher.name,
          sampleIdx: s,
          thinking: entry.thinking,
          answer: entry.answer,
          response: joinResponse(entry.thinking, entry.answer),
          finishReason: entry.finish_reason,
        });
      }
    }
  }
  options.onProgress?.({ done: 0, total: samples.length, failed: 0, phase: 'filter' });
  const scratchPrefix = `scratch_build_${process.pid}_${Date.now().toString(36)}`;
  const run = await runFilters(samples, filters, { signal: options.signal, log, connection: () => workspace.connection(), scratchPrefix });

  options.onProgress?.({ done: 0, total: run.kept.length, failed: 0, phase: 'write' });
  const models = new Map(teachers.map((t) => [t.name, t.model]));
  const writer = await workspace.datasets.beginWrite(recipe.output);
  try {
    for (let start = 0; start < run.kept.length; start += 5000) {
      options.signal?.throwIfAborted();
      const rows = run.kept.slice(start, start + 5000).map((s) => outputRow(s, recipe, models.get(s.teacher)!, run.decisions.get(s.key)!));
      await writer.append(rows as never);
    }
    const info = await writer.commit();
    const prices = new Map(recipe.teachers.map((t) => [t.name, t.price ? { inputPerMTok: t.price.input_per_mtok, outputPerMTok: t.price.output_per_mtok } : undefined]));
    const stats = buildStats(samples, run.kept, run.droppedBy, run.funnel, usageByTeacher(responseLog.all(), prices));
    await writeFileAtomic(join(buildDir, 'stats.json'), JSON.stringify({ dataset: info.name, rows: info.rows, version: info.updatedAt, builtAt: new Date().toISOString(), ...stats }, null, 2) + '\n');
    log(`wrote ${info.rows} rows to "${info.name}"; stats in ${join(buildDir, 'stats.json')}`);
    return { dataset: info.name, rows: info.rows, buildDir, stats, generation };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
