// Preference data that was not built by `pairs build` but should still be labelable on the Pairs page
// (#24 point 2): a workspace dataset with prompt / chosen / rejected columns (an imported file), and the
// pairs file a pipeline run's pairs stage wrote (pipelines/<name>/…/pairs.jsonl). Both are read as
// PreferencePair rows with ids from the row (`pair_id` or `id`) or its position, so labels (pairs/<set>/
// labels.jsonl, keyed by pair id) stay attached across reloads. A pipeline's file is offered as the set
// "<pipeline>.pipeline-pairs". Which file a pipeline's pairs stage wrote is the caller's to say
// (PipelinePairsOutput): the pipeline sits above the pairs stage and is not imported from here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Workspace } from '../store/index.ts';
import { readPreferenceSet, readSetSummary, summarize, type SetSummary } from './set-store.ts';
import type { PreferencePair } from './types.ts';

const PIPELINE_SUFFIX = '.pipeline-pairs';
const PAIR_COLUMNS = ['prompt', 'chosen', 'rejected'];

type Row = Record<string, unknown>;

/** A plain prompt/chosen/rejected row as a pair (no scores, margin 0, source models unknown). */
export function rowToPair(row: Row, index: number, collection: string): PreferencePair {
  const text = (key: string) => (typeof row[key] === 'string' ? (row[key] as string) : row[key] === undefined || row[key] === null ? '' : JSON.stringify(row[key]));
  const id = row.pair_id ?? row.id;
  const pairId = id === undefined || id === null || String(id) === '' ? String(index) : String(id);
  return {
    pair_id: pairId,
    prompt_id: pairId,
    prompt: text('prompt'),
    chosen: text('chosen'),
    rejected: text('rejected'),
    margin: typeof row.margin === 'number' ? row.margin : 0,
    category: text('category') || 'general',
    lang: text('lang') || 'und',
    chosen_model: text('chosen_model') || 'imported',
    rejected_model: text('rejected_model') || 'imported',
    chosen_id: `${pairId}/chosen`,
    rejected_id: `${pairId}/rejected`,
    scores: {},
    provenance: { collection, construction: 'consensus', options: {}, scorers: [], built_at: '' },
    // The reference answer travels with the pair so the labeler can see it (PairItem.gold).
    ...(row.gold !== undefined || row.answer !== undefined ? { gold: text(row.gold !== undefined ? 'gold' : 'answer') } : {}),
  } as PreferencePair;
}

/** The output path a pipeline's pairs stage recorded (pipelines/<name>/state.json), or null. */
export type PipelinePairsOutput = (workspace: Workspace, pipeline: string) => unknown;

/** That output when it is a .jsonl file (a built set is a real set already). */
function pipelinePairsFile(workspace: Workspace, pipeline: string, outputOf: PipelinePairsOutput): string | null {
  try {
    const out = outputOf(workspace, pipeline);
    return typeof out === 'string' && out.endsWith('.jsonl') && existsSync(out) && statSync(out).isFile() ? out : null;
  } catch {
    return null;
  }
}

function readJsonl(path: string): Row[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    try {
      return JSON.parse(l) as Row;
    } catch (error) {
      throw new Error(`${path}:${i + 1}: not JSON (${(error as Error).message})`);
    }
  });
}

function uniqueIds(pairs: PreferencePair[], source: string): PreferencePair[] {
  const seen = new Set<string>();
  for (const p of pairs) {
    if (seen.has(p.pair_id)) throw new Error(`${source}: pair id "${p.pair_id}" occurs twice; labels need unique ids (a pair_id or id column, or none)`);
    seen.add(p.pair_id);
  }
  return pairs;
}

/** Every pair of a built set, an imported prompt/chosen/rejected dataset, or a pipeline's pairs file. */
export async function readAnyPairs(workspace: Workspace, name: string, outputOf: PipelinePairsOutput): Promise<PreferencePair[]> {
  if (name.endsWith(PIPELINE_SUFFIX)) {
    const pipeline = name.slice(0, -PIPELINE_SUFFIX.length);
    const file = pipelinePairsFile(workspace, pipeline, outputOf);
    if (file) return uniqueIds(readJsonl(file).map((r, i) => rowToPair(r, i, pipeline)), file);
  }
  if (await readSetSummary(workspace, name).catch(() => null)) return readPreferenceSet(workspace, name);
  const info = await workspace.datasets.get(name);
  if (!PAIR_COLUMNS.every((c) => info.columns.some((col) => col.name === c))) return readPreferenceSet(workspace, name);
  const rows: Row[] = [];
  for await (const batch of workspace.datasets.jsonBatches(name)) for (const json of batch) rows.push(JSON.parse(json) as Row);
  return uniqueIds(rows.map((r, i) => rowToPair(r, i, name)), `dataset "${name}"`);
}

/** Labelable sets that are not built sets: imported pair datasets and pipelines' pairs files. */
export async function plainPairSets(workspace: Workspace, builtNames: ReadonlySet<string>, outputOf: PipelinePairsOutput): Promise<SetSummary[]> {
  const out: SetSummary[] = [];
  const meta = (collection: string, builtAt: string) => ({ collection, construction: 'consensus' as const, options: { source: 'imported' }, scorers: [], builtAt });
  for (const info of await workspace.datasets.list()) {
    if (builtNames.has(info.name) || !PAIR_COLUMNS.every((c) => info.columns.some((col) => col.name === c))) continue;
    try {
      out.push(summarize(info.name, await readAnyPairs(workspace, info.name, outputOf), meta(info.name, info.updatedAt)));
    } catch {
      // not readable as pairs (e.g. duplicate ids): not offered
    }
  }
  const dir = workspace.paths.pipelines;
  if (existsSync(dir)) {
    for (const pipeline of readdirSync(dir).sort()) {
      const file = pipelinePairsFile(workspace, pipeline, outputOf);
      if (!file) continue;
      const name = `${pipeline}${PIPELINE_SUFFIX}`;
      try {
        out.push({ ...summarize(name, await readAnyPairs(workspace, name, outputOf), meta(pipeline, statSync(file).mtime.toISOString())), options: { source: 'pipeline', file } });
      } catch {
        // unreadable file: not offered
      }
    }
  }
  return out;
}
