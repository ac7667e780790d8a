// What the workspace holds for evaluation: candidate model folders (models/<name>, runs/<run>/output) and the
// stored evaluations with their summaries, problems and rows. Read-only, for the API handlers.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workspacePaths } from '../store/index.ts';
import { isAdapterFolder } from './model-source.ts';
import { modelLabel, writeReport } from './report.ts';
import { EvalStore, listEvalNames } from './store.ts';
import type { BenchmarkProblemInfo, SampleRow } from './types.ts';
import type { EvalListItem } from './view-types.ts';

export interface ModelCandidate {
  name: string;
  path: string;
  kind: 'model' | 'adapter';
  source: 'models' | 'runs';
}

const isModelFolder = (dir: string) => existsSync(join(dir, 'config.json')) || isAdapterFolder(dir);
const subfolders = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort() : []);

export function listModelCandidates(root: string): ModelCandidate[] {
  const paths = workspacePaths(root);
  const out: ModelCandidate[] = [];
  for (const name of subfolders(paths.models)) {
    const path = join(paths.models, name);
    if (isModelFolder(path)) out.push({ name, path, kind: isAdapterFolder(path) ? 'adapter' : 'model', source: 'models' });
  }
  for (const run of subfolders(paths.runs)) {
    const path = join(paths.runs, run, 'output');
    if (isModelFolder(path)) out.push({ name: `${run}/output`, path, kind: isAdapterFolder(path) ? 'adapter' : 'model', source: 'runs' });
  }
  return out;
}

/** One stored evaluation: the shape the API lists (view-types.ts EvalListItem). */
export function listEvaluations(root: string): EvalListItem[] {
  const evals = workspacePaths(root).evals;
  return listEvalNames(evals).map((name) => {
    const store = new EvalStore(evals, name);
    const meta = store.readMeta();
    return {
      name,
      modelLabel: modelLabel(meta.model),
      meta,
      samplesDone: store.countRows(),
      samplesTotal: meta.benchmark.problems * meta.settings.k,
      summary: store.readSummary(),
    };
  });
}

export function evaluationDetail(root: string, name: string, offset: number, limit: number) {
  const store = new EvalStore(workspacePaths(root).evals, name);
  if (!store.exists()) throw new Error(`no evaluation named "${name}"`);
  const problems: BenchmarkProblemInfo[] = store.readProblems();
  const rows = store.readRows();
  const byProblem = new Map<string, SampleRow[]>();
  for (const r of rows) byProblem.set(r.problemId, [...(byProblem.get(r.problemId) ?? []), r]);
  return {
    meta: store.readMeta(),
    summary: store.readSummary(),
    total: problems.length,
    offset,
    problems: problems.slice(offset, offset + limit).map((p) => ({ ...p, samples: (byProblem.get(p.id) ?? []).sort((a, b) => a.sample - b.sample) })),
  };
}

/** Writes a comparison report of finished evaluations to evals/_reports/<stamp>/ (all finished when `names` is empty). */
export async function writeComparisonReport(root: string, names: readonly string[], stamp = new Date().toISOString().replace(/[:.]/g, '-')) {
  const entries = listEvaluations(root);
  const chosen = names.length ? names.map((n) => entries.find((e) => e.name === n) ?? missing(n)) : entries.filter((e) => e.summary);
  const summaries = chosen.map((e) => e.summary ?? unfinished(e.name));
  const dir = join(workspacePaths(root).evals, '_reports', stamp);
  return { dir, ...(await writeReport(dir, summaries, 'Evaluation')) };
}

function missing(name: string): never {
  throw new Error(`no evaluation named "${name}"`);
}
function unfinished(name: string): never {
  throw new Error(`evaluation "${name}" has not finished yet (no summary)`);
}
