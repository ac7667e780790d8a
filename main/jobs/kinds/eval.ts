// The `eval` job kind: every model × every benchmark through runEvaluation (each pair resumes when its
// evaluation already exists), then one comparison report of the pairs in evals/_reports/<jobId>/.
import type { JobContext } from '../job-kind.ts';
import { runEvaluation, type EvalSummary } from '../../eval/index.ts';
import { writeComparisonReport } from '../../eval/catalog.ts';

export type EvalJobInput = {
  models: string[];
  benchmarks: string[];
  k?: number;
  temperature?: number;
  topP?: number;
  maxNewTokens?: number;
  seed?: number;
  template?: string;
  base?: string;
  limit?: number;
  /** Column mappings by benchmark (the strings in `benchmarks`); others are detected from the names. */
  columns?: Record<string, { problem: string; answer: string; id?: string }>;
};

export async function run(raw: unknown, ctx: JobContext): Promise<unknown> {
  const input = raw as EvalJobInput;
  if (!Array.isArray(input?.models) || input.models.length === 0) throw new Error('eval job: give models (a list of folders)');
  if (!Array.isArray(input.benchmarks) || input.benchmarks.length === 0) throw new Error('eval job: give benchmarks (dataset names or paths)');
  const pairs = input.models.flatMap((model) => input.benchmarks.map((benchmark) => ({ model, benchmark })));
  const summaries: EvalSummary[] = [];
  for (const [i, { model, benchmark }] of pairs.entries()) {
    ctx.log(`[${i + 1}/${pairs.length}] ${model} on ${benchmark}`);
    const summary = await runEvaluation({
      model,
      base: input.base,
      benchmark: { source: benchmark, limit: input.limit, ...(input.columns?.[benchmark] ? { columns: input.columns[benchmark] } : {}) },
      workspace: ctx.workspace,
      k: input.k,
      temperature: input.temperature,
      topP: input.topP,
      maxNewTokens: input.maxNewTokens,
      seed: input.seed,
      template: input.template,
      signal: ctx.signal,
      log: ctx.log,
      onProgress: ({ done, total, eval: name }) => ctx.progress({ done, total, unit: 'samples', message: `${i + 1}/${pairs.length} ${name}` }),
    });
    summaries.push(summary);
  }
  const report = await writeComparisonReport(ctx.workspace, summaries.map((s) => s.name), ctx.jobId);
  return { evals: summaries.map((s) => s.name), summaries, report };
}
