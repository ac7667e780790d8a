// `saenggak data selfcorrect`: a dataset of Korean self-correction code-switching traces from a source
// dataset of problems with gold answers. Rows of the synthetic arithmetic task get rule-written traces;
// other rows need a teacher. Kinds are mixed by ratio (exact counts, largest remainder, shuffled by seed),
// and a share of rows may keep their original (plain Korean) trace, as the seed's data mixes both.
import { Rng } from '../../engine/rng.ts';
import type { Workspace } from '../../store/index.ts';
import { mixCounts } from '../mix.ts';
import { arithmeticSelfCorrection, parseArithmeticPrompt, SELF_CORRECTION_KINDS, type SelfCorrectionKind } from './arithmetic.ts';
import { checkSelfCorrection } from './check.ts';
import { teacherSelfCorrection, type SelfCorrectionTeacher } from './teacher.ts';

export type KindMix = Partial<Record<SelfCorrectionKind, number>>;
export const DEFAULT_KIND_MIX: Record<SelfCorrectionKind, number> = { 'english-start': 0.4, drift: 0.3, mistake: 0.3 };

export interface SelfCorrectRowsOptions {
  kinds?: KindMix;
  /** Share of rows kept with their original trace (rows that have `messages`); default 0. */
  plainShare?: number;
  seed?: number;
  teacher?: SelfCorrectionTeacher;
  /** Teacher tries per row (default 2). */
  attempts?: number;
  /** Teacher requests in flight (default 4). */
  concurrency?: number;
  columns?: { prompt?: string; answer?: string };
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface SelfCorrectStats {
  sourceRows: number;
  rows: number;
  perKind: Record<SelfCorrectionKind | 'plain', number>;
  /** Rows written by rule (arithmetic task) and by the teacher. */
  byRule: number;
  byTeacher: number;
  /** Rows dropped: no prompt/answer, not the arithmetic task and no teacher, teacher traces that never passed. */
  dropped: { missingColumns: number; needsTeacher: number; teacherFailed: number };
}

type Row = Record<string, unknown>;

const REPLACED_FIELDS = new Set(['messages', 'response', 'thinking', 'thinking_lang', 'shortcut']);

function kindPlan(n: number, mix: KindMix, plainShare: number, rng: Rng): (SelfCorrectionKind | 'plain')[] {
  if (!(plainShare >= 0 && plainShare < 1)) throw new RangeError(`selfcorrect: plain share must be in [0, 1), got ${plainShare}`);
  const kinds = SELF_CORRECTION_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  for (const [k, r] of Object.entries(mix)) {
    if (!SELF_CORRECTION_KINDS.includes(k as SelfCorrectionKind)) throw new Error(`selfcorrect: unknown kind "${k}" (kinds: ${SELF_CORRECTION_KINDS.join(', ')})`);
    if (!(Number.isFinite(r) && r! >= 0)) throw new RangeError(`selfcorrect: ratio of ${k} must be a non-negative number, got ${r}`);
  }
  if (kinds.length === 0) throw new Error(`selfcorrect: give a positive ratio to at least one kind (${SELF_CORRECTION_KINDS.join(', ')})`);
  const plain = Math.round(plainShare * n);
  const counts = mixCounts(kinds.map((k) => mix[k]!), n - plain);
  const plan: (SelfCorrectionKind | 'plain')[] = [...Array<'plain'>(plain).fill('plain'), ...kinds.flatMap((k, i) => Array<SelfCorrectionKind>(counts[i]).fill(k))];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  return plan;
}

/** Self-correction rows for source rows (pure apart from the teacher's requests). */
export async function selfCorrectRows(source: readonly Row[], options: SelfCorrectRowsOptions = {}): Promise<{ rows: Row[]; stats: SelfCorrectStats }> {
  const promptKey = options.columns?.prompt ?? 'prompt';
  const answerKey = options.columns?.answer ?? 'answer';
  const rng = new Rng(options.seed ?? 0);
  const plan = kindPlan(source.length, options.kinds ?? DEFAULT_KIND_MIX, options.plainShare ?? 0, rng);
  const stats: SelfCorrectStats = {
    sourceRows: source.length,
    rows: 0,
    perKind: { 'english-start': 0, drift: 0, mistake: 0, plain: 0 },
    byRule: 0,
    byTeacher: 0,
    dropped: { missingColumns: 0, needsTeacher: 0, teacherFailed: 0 },
  };
  const out: (Row | null)[] = new Array(source.length).fill(null);
  const teacherJobs: { index: number; prompt: string; gold: string; row: Row }[] = [];
  source.forEach((row, index) => {
    const prompt = row[promptKey];
    const gold = row[answerKey];
    if (typeof prompt !== 'string' || (typeof gold !== 'string' && typeof gold !== 'number')) {
      stats.dropped.missingColumns++;
      return;
    }
    const kind = plan[index];
    // The new trace replaces the row's own; fields describing the old one go.
    const base = Object.fromEntries(Object.entries(row).filter(([k]) => !REPLACED_FIELDS.has(k)));
    if (kind === 'plain' && Array.isArray(row.messages)) {
      out[index] = { ...row, selfcorrect_kind: 'plain', selfcorrect_by: 'source' };
      return;
    }
    const parsed = parseArithmeticPrompt(prompt);
    if (parsed && parsed.answer === Number(gold)) {
      const trace = arithmeticSelfCorrection(parsed, kind === 'plain' ? 'english-start' : kind, rng);
      const check = checkSelfCorrection(trace.response, String(gold));
      if (!check.ok) throw new Error(`selfcorrect: a rule-written trace failed its own check (${check.problems.join('; ')}): ${trace.response}`);
      out[index] = { ...base, messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: trace.response }], selfcorrect_kind: trace.kind, selfcorrect_by: 'rule' };
      return;
    }
    if (!options.teacher) {
      stats.dropped.needsTeacher++;
      return;
    }
    teacherJobs.push({ index, prompt, gold: String(gold), row: base });
  });

  if (teacherJobs.length > 0 && options.teacher) {
    const teacher = options.teacher;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < teacherJobs.length) {
        options.signal?.throwIfAborted();
        const job = teacherJobs[next++];
        const result = await teacherSelfCorrection(teacher, job.prompt, job.gold, { attempts: options.attempts, signal: options.signal });
        if (result.response) out[job.index] = { ...job.row, messages: [{ role: 'user', content: job.prompt }, { role: 'assistant', content: result.response }], selfcorrect_kind: 'teacher', selfcorrect_by: `teacher:${teacher.name}` };
        else {
          stats.dropped.teacherFailed++;
          options.log?.(`selfcorrect: row ${job.index} dropped after ${result.attempts} teacher tries: ${result.error ?? result.check?.problems.join('; ') ?? 'no reply'}`);
        }
        if (++done % 50 === 0) options.log?.(`selfcorrect: teacher ${done} / ${teacherJobs.length}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, teacherJobs.length) }, worker));
  }

  const rows: Row[] = [];
  for (const row of out) {
    if (!row) continue;
    const kind = row.selfcorrect_kind as string;
    if (kind === 'teacher') stats.byTeacher++;
    else {
      if (kind !== 'plain') stats.byRule++;
      stats.perKind[kind as SelfCorrectionKind | 'plain']++;
    }
    rows.push(row);
  }
  stats.rows = rows.length;
  return { rows, stats };
}

export interface BuildSelfCorrectOptions extends SelfCorrectRowsOptions {
  workspace: Workspace;
  source: string;
  output: string;
  /** Use at most this many source rows (the first ones). */
  limit?: number;
}

/** Reads the source dataset, writes the self-correction dataset; returns its stats. */
export async function buildSelfCorrectDataset(options: BuildSelfCorrectOptions): Promise<SelfCorrectStats & { dataset: string }> {
  const { workspace } = options;
  if (options.source === options.output) throw new Error('selfcorrect: --out must differ from --source (the source stays as it is)');
  await workspace.datasets.get(options.source); // a clear error when it does not exist
  const source: Row[] = [];
  for await (const batch of workspace.datasets.jsonBatches(options.source)) {
    for (const text of batch) {
      if (options.limit !== undefined && source.length >= options.limit) break;
      source.push(JSON.parse(text) as Row);
    }
  }
  const { rows, stats } = await selfCorrectRows(source, options);
  if (rows.length === 0) {
    throw new Error(
      `selfcorrect: no traces from "${options.source}" (${stats.dropped.needsTeacher} rows need a teacher: they are not the arithmetic task; ${stats.dropped.missingColumns} rows lack prompt/answer; ${stats.dropped.teacherFailed} teacher traces failed the checks)`,
    );
  }
  const writer = await workspace.datasets.beginWrite(options.output);
  try {
    for (let start = 0; start < rows.length; start += 2048) await writer.append(rows.slice(start, start + 2048), undefined, options.signal);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return { dataset: options.output, ...stats };
}
