// Handlers of the eval area's contract methods (contracts/eval.ts). Evaluations run in `eval` jobs; the
// rest reads the workspace's evals/ folder.
import { checkJobDevice } from './job-device.ts';
import type { HandlerGroup } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import { isPlainName, requireSafeName } from '../names.ts';
import type { EvalJobInput } from '../../jobs/kinds/eval.ts';
import { evaluationDetail, listEvaluations, listModelCandidates, writeComparisonReport } from '../../eval/catalog.ts';
import { benchmarkColumns } from '../../eval/benchmarks.ts';
import { pipelineBenchmarks } from '../../eval/pipeline-benchmarks.ts';
import { readPipelineState } from '../../pipeline/state.ts';

/** Maps "no evaluation named" to not_found; anything else stays an internal error. */
function lookup<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (/^no evaluation named/.test((error as Error).message)) throw new ApiFailure('not_found', (error as Error).message);
    throw error;
  }
}

export const evalHandlers: HandlerGroup<'eval'> = {
  'eval.models': (_input, ctx) => listModelCandidates(ctx.session.requireWorkspace().workspace.root),

  'eval.benchmarks': async (_input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const datasets = (await workspace.datasets.list()).map((d) => ({ source: d.name, label: d.name, origin: 'dataset' as const, rows: d.rows }));
    return [...datasets, ...pipelineBenchmarks(workspace.root, (root, pipeline) => readPipelineState(root, pipeline)?.stages.data?.outputs)];
  },

  'eval.columns': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const source = isPlainName(input.benchmark) ? input.benchmark : ctx.session.checkPath(input.benchmark, 'benchmark file');
    try {
      return await benchmarkColumns({ source }, workspace);
    } catch (error) {
      throw new ApiFailure('invalid_input', (error as Error).message);
    }
  },

  'eval.start': async (input, ctx) => {
    const { jobs } = ctx.session.requireWorkspace();
    // Models and benchmarks are names in the workspace or paths; paths must be inside serve mode's folders.
    const scoped = (value: string, what: string) => (isPlainName(value) ? value : ctx.session.checkPath(value, what));
    const benchmarks = input.benchmarks.map((b) => scoped(b, 'benchmark file'));
    // Mappings are keyed by the benchmark as the caller named it; the job sees the scoped (resolved) name.
    const columns = input.columns ? Object.fromEntries(input.benchmarks.flatMap((b, i) => (input.columns?.[b] ? [[benchmarks[i], input.columns[b]]] : []))) : undefined;
    const device = await checkJobDevice(input.device);
    const jobInput: EvalJobInput & { device?: string } = {
      ...input,
      device,
      models: input.models.map((m) => scoped(m, 'model folder')),
      benchmarks,
      ...(columns ? { columns } : {}),
      ...(input.base ? { base: scoped(input.base, 'base model folder') } : {}),
    };
    const shortName = (b: string) => (isPlainName(b) ? b : b.split(/[/\\]/).slice(-3).join('/'));
    const title = `Evaluate ${input.models.length} model${input.models.length > 1 ? 's' : ''} on ${input.benchmarks.map(shortName).join(', ')}`;
    const job = await jobs.start('eval', jobInput, title, { count: input.models.length, benchmarks: input.benchmarks.map(shortName).join(', ') });
    return { jobId: job.id };
  },

  'eval.list': (_input, ctx) => listEvaluations(ctx.session.requireWorkspace().workspace.root),

  'eval.get': (input, ctx) =>
    lookup(() => evaluationDetail(ctx.session.requireWorkspace().workspace.root, requireSafeName(input.name, 'evaluation name'), input.offset, input.limit)),

  'eval.report': async (input, ctx) => {
    const root = ctx.session.requireWorkspace().workspace.root;
    try {
      return await writeComparisonReport(root, input.names.map((n) => requireSafeName(n, 'evaluation name')));
    } catch (error) {
      const message = (error as Error).message;
      if (/^no evaluation named/.test(message)) throw new ApiFailure('not_found', message);
      if (/not finished|at least one finished/.test(message)) throw new ApiFailure('invalid_input', message);
      throw error;
    }
  },
};
