// Evaluating one model on one benchmark: k samples per problem, each verified and appended to
// samples.jsonl as its batch finishes, then a summary. Resumable and reproducible:
// - Work is split into fixed batches planned from the whole benchmark (never from what is left), and a
//   batch with any missing (problem, sample) pair is regenerated whole, so its rows are exactly what an
//   uninterrupted run produces (same batch composition → same padding, same numerics); only missing pairs
//   are appended.
// - Sampling seeds come from (seed, problemId, sample): a sampled batch holds one problem's k samples and
//   sample j draws from seed problemSeed(seed, problemId) + j (generate() seeds row j with seed + j).
//   Greedy batches hold several problems (seeds do not matter there).
import { basename, dirname, resolve } from 'node:path';
import type { DecodeLoop } from '../models/decode-loop.ts';
import { generate } from '../models/generate.ts';
import type { ProviderRequest } from '../engine/index.ts';
import { openWorkspace, workspacePaths, type Workspace } from '../store/index.ts';
import { loadBenchmark, type Benchmark, type BenchmarkProblem, type BenchmarkSpec } from './benchmarks.ts';
import { evalSession, loadEvalModel, type EvalModel } from './model-source.ts';
import { EvalStore, pairKey, type EvalMeta, type EvalSettings, type EvalSummary, type SampleRow } from './store.ts';
import { metricsFromRows } from './summary.ts';
import { scoreSample } from './verify.ts';

export interface EvalOptions {
  /** Model folder (Hugging Face checkpoint) or PEFT LoRA adapter folder. */
  model: string;
  /** Base model folder for an adapter (default: adapter_config's base_model_name_or_path when it is a folder). */
  base?: string;
  /** An already loaded model (a trainer's current weights); `model` then only names it. */
  loadedModel?: EvalModel;
  /** Dataset name, file or folder path, a spec with a column mapping, or a loaded benchmark. */
  benchmark: string | BenchmarkSpec | Benchmark;
  /** Workspace folder: results go to its evals/ folder and dataset names resolve there. */
  workspace?: string;
  /** Folder holding eval folders, instead of the workspace's evals/. */
  evalsDir?: string;
  /** Eval folder name (default <model>--<benchmark>). An existing eval with the same settings is resumed. */
  name?: string;
  /** Samples per problem (default 1). */
  k?: number;
  /** Default 0 (greedy) for k = 1, 0.6 for k > 1. */
  temperature?: number;
  /** Nucleus mass (default 0.95 when sampling). */
  topP?: number;
  /** Default 2048. */
  maxNewTokens?: number;
  /** Default 0. */
  seed?: number;
  /** User message with `{problem}` (default "{problem}"). */
  template?: string;
  /** Wrap the message in the model's chat template with the generation prompt (default: when it has one). */
  chat?: boolean;
  /** Sequences per generation batch for greedy decoding (default 16). */
  batchSize?: number;
  provider?: ProviderRequest;
  /**
   * Folder of onnxruntime's optimised graphs (models/optimized-cache.ts); false: none. Default: the user's
   * cache for bf16/f16 checkpoints without an adapter (defaultEvalCacheDir), none otherwise.
   */
  optimizedCacheDir?: string | false;
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number; eval: string }) => void;
  log?: (line: string) => void;
}

export const DEFAULT_MAX_NEW_TOKENS = 2048;

/** Seed base of a problem's samples: FNV-1a of "seed:problemId" (sample j uses base + j). */
export function problemSeed(seed: number, problemId: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${problemId}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The user message for a problem. */
export function renderTemplate(template: string, problem: string): string {
  return template.split('{problem}').join(problem);
}

function defaultEvalName(model: string, benchmark: string): string {
  const abs = resolve(model);
  const generic = ['output', 'final', 'adapter', 'model', 'merged'];
  const leaf = basename(abs);
  const modelName = generic.includes(leaf) ? `${basename(dirname(abs))}-${leaf}` : leaf;
  return `${modelName}--${benchmark}`.replace(/[^\p{L}\p{N}_.-]+/gu, '_').replace(/^[_.-]+/, '');
}

function settingsFrom(options: EvalOptions, chat: boolean): EvalSettings {
  const k = options.k ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer ≥ 1, got ${k}`);
  const temperature = options.temperature ?? (k > 1 ? 0.6 : 0);
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be a number ≥ 0, got ${temperature}`);
  const topP = options.topP ?? (temperature > 0 ? 0.95 : undefined);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${topP}`);
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new RangeError(`max new tokens must be an integer ≥ 1, got ${maxNewTokens}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const template = options.template ?? '{problem}';
  if (!template.includes('{problem}')) throw new Error(`the prompt template must contain {problem}, got "${template}"`);
  return { k, temperature, ...(topP !== undefined ? { topP } : {}), maxNewTokens, seed, template, chat };
}

function sameSettings(a: EvalMeta, b: EvalMeta): string | null {
  const fields: [string, unknown, unknown][] = [
    ['model', a.model, b.model],
    ['benchmark', a.benchmark.source, b.benchmark.source],
    ['problems', a.benchmark.problems, b.benchmark.problems],
    ...Object.keys({ ...a.settings, ...b.settings }).map((key): [string, unknown, unknown] => [key, a.settings[key as keyof EvalSettings], b.settings[key as keyof EvalSettings]]),
  ];
  const diff = fields.filter(([, x, y]) => JSON.stringify(x) !== JSON.stringify(y));
  return diff.length ? diff.map(([k, x, y]) => `${k}: ${JSON.stringify(x)} before, ${JSON.stringify(y)} now`).join('; ') : null;
}

/** Fixed batches of problems (see the header): one problem per batch when sampling. */
export function planBatches(problems: readonly BenchmarkProblem[], settings: EvalSettings, batchSize: number): BenchmarkProblem[][] {
  const perBatch = settings.temperature > 0 ? 1 : Math.max(1, Math.floor(batchSize / settings.k));
  const batches: BenchmarkProblem[][] = [];
  for (let i = 0; i < problems.length; i += perBatch) batches.push(problems.slice(i, i + perBatch));
  return batches;
}

/** Runs (or resumes) one evaluation and returns its summary. */
export async function evaluate(options: EvalOptions): Promise<EvalSummary> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  let workspace: Workspace | undefined;
  let store: EvalStore | undefined;
  let session: DecodeLoop | undefined;
  try {
    if (options.workspace && !isBenchmark(options.benchmark)) workspace = await openWorkspace(options.workspace);
    const benchmark = isBenchmark(options.benchmark)
      ? options.benchmark
      : await loadBenchmark(typeof options.benchmark === 'string' ? { source: options.benchmark } : options.benchmark, workspace);
    await workspace?.close();
    workspace = undefined;

    const evalsDir = options.evalsDir ?? (options.workspace ? workspacePaths(resolve(options.workspace)).evals : undefined);
    if (!evalsDir) throw new Error('give a workspace (or evalsDir) to store the evaluation in');
    const name = options.name ?? defaultEvalName(options.model, benchmark.name);
    store = new EvalStore(evalsDir, name);

    log(`loading ${options.model}`);
    const model = options.loadedModel ?? loadEvalModel(options.model, options.base);
    const chat = options.chat ?? model.tokenizer.chatTemplate !== null;
    if (chat && model.tokenizer.chatTemplate === null) throw new Error(`${options.model}: the tokenizer has no chat template; evaluate without it (chat: false / --no-chat)`);
    const settings = settingsFrom(options, chat);
    const meta: EvalMeta = {
      name,
      model: resolve(options.model),
      ...(model.base ? { base: model.base } : {}),
      benchmark: { name: benchmark.name, source: benchmark.source, lang: benchmark.lang, layout: benchmark.layout, problems: benchmark.problems.length },
      settings,
      createdAt: new Date().toISOString(),
    };
    if (store.exists()) {
      const diff = sameSettings(store.readMeta(), meta);
      if (diff) throw new Error(`eval "${name}" already exists with other settings (${diff}); choose another name or delete ${store.dir}`);
      const storedIds = store.readProblems().map((p) => p.id).join('\n');
      if (storedIds !== benchmark.problems.map((p) => p.id).join('\n')) throw new Error(`eval "${name}" already exists for other problems of ${benchmark.source}; choose another name or delete ${store.dir}`);
    } else await store.create(meta, benchmark.problems);

    const done = new Set(store.readRows().map((r) => pairKey(r.problemId, r.sample)));
    const total = benchmark.problems.length * settings.k;
    if (done.size > 0) log(`resuming ${name}: ${done.size} of ${total} samples already done`);
    options.onProgress?.({ done: done.size, total, eval: name });

    const countTokens = (text: string) => model.tokenizer.encode(text, { addSpecialTokens: false }).length;
    const decode = (ids: readonly number[]) => model.tokenizer.decode(ids, { skipSpecialTokens: true });
    const promptIds = (p: BenchmarkProblem) => {
      const message = renderTemplate(settings.template, p.problem);
      return settings.chat ? model.tokenizer.encodeChat([{ role: 'user', content: message }], { addGenerationPrompt: true }) : model.tokenizer.encode(message);
    };

    let generationSeconds = 0;
    let verificationSeconds = 0;
    let generated = 0;
    for (const batch of planBatches(benchmark.problems, settings, options.batchSize ?? 16)) {
      if (options.signal?.aborted) throw new Error('evaluation cancelled');
      const missing = batch.some((p) => Array.from({ length: settings.k }, (_, j) => j).some((j) => !done.has(pairKey(p.id, j))));
      if (!missing) continue;
      session ??= await evalSession(model, options.provider ?? 'cpu', log, options.optimizedCacheDir);
      const genStart = performance.now();
      const sequences = await generate(session, batch.map(promptIds), {
        maxNewTokens: settings.maxNewTokens,
        n: settings.k,
        sampling: settings.temperature > 0 ? { temperature: settings.temperature, topP: settings.topP, seed: problemSeed(settings.seed, batch[0].id) } : undefined,
        stopTokenIds: model.stopTokenIds,
        decode,
      });
      generationSeconds += (performance.now() - genStart) / 1000;
      const verifyStart = performance.now();
      const rows: SampleRow[] = [];
      for (const s of sequences) {
        const problem = batch[s.prompt];
        if (done.has(pairKey(problem.id, s.sample))) continue;
        rows.push(scoreSample({ problem, sample: s.sample, response: s.text ?? '', responseTokens: s.tokens.length, finishReason: s.finishReason, lang: benchmark.lang, countTokens }));
      }
      verificationSeconds += (performance.now() - verifyStart) / 1000;
      await store.append(rows);
      for (const r of rows) done.add(pairKey(r.problemId, r.sample));
      generated += rows.length;
      options.onProgress?.({ done: done.size, total, eval: name });
    }
    await store.close();

    const metrics = metricsFromRows(store.readRows(), benchmark.problems.map((p) => p.id), settings.k);
    const summary: EvalSummary = {
      name,
      model: meta.model,
      benchmark: benchmark.name,
      ...metrics,
      lang: { target: benchmark.lang, ...metrics.lang },
      seconds: (performance.now() - started) / 1000,
      generationSeconds,
      verificationSeconds,
      generatedSamples: generated,
    };
    await store.writeSummary(summary);
    log(`${name}: pass@1 ${(summary.pass1 * 100).toFixed(2)}% over ${summary.n} problems × ${summary.k}`);
    return summary;
  } finally {
    await store?.close();
    await session?.release();
    await workspace?.close();
  }
}

function isBenchmark(b: EvalOptions['benchmark']): b is Benchmark {
  return typeof b === 'object' && Array.isArray((b as Benchmark).problems);
}
