// Benchmarks: problems with gold answers, read from a workspace dataset or from local files in the layouts
// Hugging Face uses (a .jsonl / .json / .parquet file, or a folder of shards such as data/test-*.parquet).
//
// A benchmark is rows + a column mapping {problem, answer, id?, options?} + a language. The mapping is
// detected from the column names for the common math sets, or given explicitly:
//   AIME 2024   Problem/Answer (or problem/answer), id from ID/id
//   AMC 2023    question/answer
//   MATH-500    problem/answer (+ solution, subject, level, unique_id)
//   GSM8K       question/answer where the answer is a worked solution ending in "#### 42" (the number is kept)
// `lang` ('ko', 'en', ...) is the language the thinking should be in; default: detected from the problems.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { detectLanguage, type ChoiceOptions } from '../rewards/index.ts';
import type { Workspace } from '../store/index.ts';
import { hfDatasetDir, downloadHfDataset } from '../store/hf-download.ts';

export interface BenchmarkProblem {
  id: string;
  problem: string;
  /** Gold answer as text. */
  answer: string;
  /** Multiple-choice options (letters map to these). */
  options?: ChoiceOptions;
}

export interface ColumnMapping {
  problem: string;
  answer: string;
  id?: string;
  options?: string;
}

export type BenchmarkLayout = 'aime' | 'amc' | 'math500' | 'gsm8k' | 'custom';

export interface Benchmark {
  name: string;
  /** Where it came from: a dataset name or a path. */
  source: string;
  layout: BenchmarkLayout;
  columns: ColumnMapping;
  /** Target language of the thinking. */
  lang: string;
  problems: BenchmarkProblem[];
}

export interface BenchmarkSpec {
  /** A workspace dataset name, or a path to a .jsonl/.json/.parquet file or a folder of them. */
  source: string;
  /** Display name (default: the dataset name or the file/folder name without extension). */
  name?: string;
  /** Column names to use instead of the detected ones. */
  columns?: Partial<ColumnMapping>;
  lang?: string;
  /** Use only the first `limit` problems. */
  limit?: number;
  /** For folders with several splits: keep files whose name contains this (default 'test' when any file has it). */
  split?: string;
  /**
   * A Hugging Face dataset id (owner/name) that is neither a path nor a dataset is read from the workspace's
   * artifacts/hf/<owner>__<name>/ folder; with `download`, that folder is fetched first when missing (network).
   */
  download?: boolean;
}

type Row = Record<string, unknown>;

const FILE_EXTENSIONS = new Set(['.jsonl', '.json', '.parquet']);
const ID_COLUMNS = ['id', 'ID', 'unique_id', 'idx', 'problem_id', 'index'];
const OPTION_COLUMNS = ['options', 'choices'];
/** A Hugging Face dataset id: owner/name. */
const HF_ID = /^[\w.-]+\/[\w.-]+$/;
const GSM8K_ANSWER = /####\s*([^\n]+?)\s*$/;

/** Detects the layout and mapping from column names (and, for GSM8K, the answer text). */
export function detectColumns(rows: readonly Row[]): { layout: BenchmarkLayout; columns: ColumnMapping } | null {
  if (rows.length === 0) return null;
  const names = new Set(Object.keys(rows[0]));
  const pick = (candidates: readonly string[]) => candidates.find((c) => names.has(c));
  const id = pick(ID_COLUMNS);
  const options = pick(OPTION_COLUMNS);
  const withExtras = (problem: string, answer: string): ColumnMapping => ({ problem, answer, ...(id ? { id } : {}), ...(options ? { options } : {}) });
  if (names.has('Problem') && names.has('Answer')) return { layout: 'aime', columns: withExtras('Problem', 'Answer') };
  if (names.has('problem') && names.has('answer')) {
    const math500 = names.has('subject') && names.has('level');
    return { layout: math500 ? 'math500' : 'aime', columns: withExtras('problem', 'answer') };
  }
  if (names.has('question') && names.has('answer')) {
    const gsm = rows.slice(0, 20).every((r) => typeof r.answer === 'string' && GSM8K_ANSWER.test(r.answer));
    return { layout: gsm ? 'gsm8k' : 'amc', columns: withExtras('question', 'answer') };
  }
  // Any other dataset: the common names for the problem (a plain `prompt` dataset, the demo's held-out split)
  // and the gold answer, in order of preference; the layout is then `custom` (no per-set answer rewriting).
  const problem = pick(PROBLEM_COLUMNS);
  const answer = pick(ANSWER_COLUMNS.filter((c) => c !== problem));
  if (problem && answer) return { layout: 'custom', columns: withExtras(problem, answer) };
  return null;
}

/** Column names tried for the problem text and the gold answer, best first (case as written). */
export const PROBLEM_COLUMNS = ['problem', 'Problem', 'question', 'Question', 'prompt', 'Prompt', 'input'] as const;
export const ANSWER_COLUMNS = ['answer', 'Answer', 'gold', 'gold_answer', 'final_answer', 'solution', 'Solution', 'target'] as const;

/** The gold answer of a GSM8K row: the text after "####", thousands separators removed. */
export function gsm8kAnswer(solution: string): string {
  const m = GSM8K_ANSWER.exec(solution);
  if (!m) throw new Error(`GSM8K answer without "#### <number>": ${solution.slice(-80)}`);
  return m[1].replace(/(\d),(?=\d{3}\b)/g, '$1');
}

/** Turns raw rows into problems; errors name the row and the column. */
export function toBenchmark(rows: readonly Row[], spec: BenchmarkSpec, name: string): Benchmark {
  if (rows.length === 0) throw new Error(`benchmark ${name}: no rows in ${spec.source}`);
  const detected = detectColumns(rows);
  const given = spec.columns ?? {};
  if (!detected && !(given.problem && given.answer)) {
    throw new Error(
      `benchmark ${name}: cannot tell which columns hold the problem and the answer (columns: ${Object.keys(rows[0]).join(', ')}); ` +
        'choose them (the Evaluate page\'s column pickers, or --problem-column NAME --answer-column NAME)',
    );
  }
  const columnNames = new Set(Object.keys(rows[0]));
  for (const [role, column] of Object.entries(stripUndefined(given))) {
    if (!columnNames.has(String(column))) throw new Error(`benchmark ${name}: no column "${String(column)}" for the ${role} (columns: ${[...columnNames].join(', ')})`);
  }
  const columns: ColumnMapping = { ...(detected?.columns ?? { problem: '', answer: '' }), ...stripUndefined(given) };
  const layout: BenchmarkLayout = detected && !given.problem && !given.answer ? detected.layout : 'custom';
  const limited = spec.limit !== undefined ? rows.slice(0, spec.limit) : rows;
  const seen = new Set<string>();
  const problems = limited.map((row, i): BenchmarkProblem => {
    const problem = row[columns.problem];
    const answer = row[columns.answer];
    if (typeof problem !== 'string' || problem.trim() === '') throw new Error(`benchmark ${name}: row ${i + 1} has no text in column "${columns.problem}"`);
    if (answer === null || answer === undefined || String(answer).trim() === '') throw new Error(`benchmark ${name}: row ${i + 1} has no answer in column "${columns.answer}"`);
    const gold = layout === 'gsm8k' ? gsm8kAnswer(String(answer)) : String(answer).trim();
    const rawId = columns.id ? row[columns.id] : undefined;
    const id = rawId === undefined || rawId === null || String(rawId) === '' ? String(i) : String(rawId);
    if (seen.has(id)) throw new Error(`benchmark ${name}: problem id "${id}" occurs twice (column "${columns.id}"); ids must be unique for resuming`);
    seen.add(id);
    const out: BenchmarkProblem = { id, problem, answer: gold };
    const options = columns.options ? row[columns.options] : undefined;
    if (Array.isArray(options)) out.options = options.map(String);
    else if (options && typeof options === 'object') out.options = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)]));
    return out;
  });
  const lang = spec.lang ?? detectBenchmarkLanguage(problems);
  return { name, source: spec.source, layout, columns, lang, problems };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/** The language of the problems (first 50 together), 'en' when there are no letters. */
export function detectBenchmarkLanguage(problems: readonly BenchmarkProblem[]): string {
  return detectLanguage(problems.slice(0, 50).map((p) => p.problem).join('\n')) ?? 'en';
}

/** What a column picker needs: the columns of the first row, the detected mapping (null: none) and one row. */
export interface BenchmarkColumnsInfo {
  name: string;
  rows: number;
  columns: string[];
  detected: ColumnMapping | null;
  layout: BenchmarkLayout | null;
  /** The first row's values as short text, to show beside each column. */
  example: Record<string, string>;
}

/** The columns of a benchmark source and the mapping detection would choose. */
export async function benchmarkColumns(spec: BenchmarkSpec, workspace?: Workspace): Promise<BenchmarkColumnsInfo> {
  const { rows, name } = await loadBenchmarkRows(spec, workspace);
  if (rows.length === 0) throw new Error(`benchmark ${name}: no rows in ${spec.source}`);
  const detected = detectColumns(rows);
  const first = rows[0];
  const example = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, (typeof v === 'string' ? v : JSON.stringify(v) ?? '').slice(0, 120)]));
  return { name, rows: rows.length, columns: Object.keys(first), detected: detected?.columns ?? null, layout: detected?.layout ?? null, example };
}

/** Loads a benchmark from a path (file or folder) or, when no such path exists, a workspace dataset. */
export async function loadBenchmark(spec: BenchmarkSpec, workspace?: Workspace): Promise<Benchmark> {
  const { rows, name } = await loadBenchmarkRows(spec, workspace);
  return toBenchmark(rows, spec, name);
}

/** The raw rows of a benchmark source and its display name (see loadBenchmark for the lookup order). */
async function loadBenchmarkRows(spec: BenchmarkSpec, workspace?: Workspace): Promise<{ rows: Row[]; name: string }> {
  if (existsSync(spec.source)) {
    const files = benchmarkFiles(spec.source, spec.split);
    const rows: Row[] = [];
    for (const file of files) rows.push(...(await readRows(file)));
    return { rows, name: spec.name ?? basename(spec.source, extname(spec.source)) };
  }
  if (!workspace) throw new Error(`benchmark "${spec.source}": no such file or folder (and no workspace to look for a dataset of that name)`);
  const isDataset = await workspace.datasets.has(spec.source);
  if (!isDataset && HF_ID.test(spec.source)) {
    const dir = hfDatasetDir(join(workspace.paths.artifacts, 'hf'), spec.source);
    if (!existsSync(dir)) {
      if (!spec.download) throw new Error(`benchmark ${spec.source}: not downloaded; download it (--download, needs network) or put its Parquet/JSONL files at ${dir}`);
      await downloadHfDataset(spec.source, dir, { split: spec.split });
    }
    return loadBenchmarkRows({ ...spec, source: dir, name: spec.name ?? spec.source.split('/').pop() }, workspace);
  }
  if (!isDataset) {
    const known = (await workspace.datasets.list()).map((d) => d.name);
    throw new Error(`benchmark "${spec.source}": not a file, folder or dataset of the workspace (datasets: ${known.join(', ') || 'none'})`);
  }
  const rows: Row[] = [];
  for await (const batch of workspace.datasets.jsonBatches(spec.source)) for (const json of batch) rows.push(JSON.parse(json) as Row);
  return { rows, name: spec.name ?? spec.source };
}

/** The data files of a benchmark path, sorted; in a folder, one split (see BenchmarkSpec.split). */
export function benchmarkFiles(path: string, split?: string): string[] {
  if (statSync(path).isFile()) {
    if (!FILE_EXTENSIONS.has(extname(path))) throw new Error(`benchmark file ${path}: expected .jsonl, .json or .parquet`);
    return [path];
  }
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory() && depth < 3) walk(full, depth + 1);
      else if (entry.isFile() && FILE_EXTENSIONS.has(extname(entry.name)) && !/^(dataset_infos?|config|state)\.json$/.test(entry.name)) found.push(full);
    }
  };
  walk(path, 0);
  if (found.length === 0) throw new Error(`benchmark folder ${path}: no .jsonl, .json or .parquet files (Hugging Face layout: data/*.parquet or *.jsonl shards)`);
  const wanted = split ?? (found.some((f) => basename(f).includes('test')) ? 'test' : undefined);
  if (!wanted) return found;
  const kept = found.filter((f) => basename(f).includes(wanted));
  if (kept.length === 0) throw new Error(`benchmark folder ${path}: no file for split "${wanted}" (files: ${found.map((f) => basename(f)).join(', ')})`);
  return kept;
}

async function readRows(file: string): Promise<Row[]> {
  const ext = extname(file);
  if (ext === '.parquet') {
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Row[];
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  }
  const text = readFileSync(file, 'utf8');
  if (ext === '.jsonl') {
    return text.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as Row];
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
      }
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  if (Array.isArray(json)) return json as Row[];
  if (json && typeof json === 'object' && Array.isArray((json as { data?: unknown }).data)) return (json as { data: Row[] }).data;
  throw new Error(`${file}: expected a JSON array of rows (or {"data": [...]})`);
}
