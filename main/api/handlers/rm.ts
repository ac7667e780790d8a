// Handlers of the rm area's contract methods (contracts/rm.ts). Training and evaluation run in `rm`
// jobs; everything else reads the workspace (runs/, evals/reward-models/, models/reward-model.json).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerGroup } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import { isPlainName, requireSafeName } from '../names.ts';
import type { RmJobInput } from '../../jobs/kinds/rm.ts';
import { checkJobDevice } from './job-device.ts';
import { freeRunName, listRuns, RunFolder } from '../../train/run/index.ts';
import { listModelFolders, listPreferenceSets } from '../../train/rm/catalog.ts';
import { compareRewardModels, comparisonCsv, comparisonMarkdown } from '../../train/rm/compare.ts';
import { parseRmConfig } from '../../train/rm/config.ts';
import { listEvaluations, readSelectedRewardModel, selectRewardModel } from '../../train/rm/results.ts';

function runFolder(root: string, name: string): RunFolder {
  let run: RunFolder;
  try {
    run = RunFolder.inWorkspace(root, name);
  } catch (error) {
    throw new ApiFailure('invalid_input', (error as Error).message);
  }
  if (!run.exists()) throw new ApiFailure('not_found', `no run named "${name}"`);
  return run;
}

export const rmHandlers: HandlerGroup<'rm'> = {
  'rm.options': async (_input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    return { models: listModelFolders(workspace.root), preferenceSets: await listPreferenceSets(workspace), selected: readSelectedRewardModel(workspace.root) };
  },

  'rm.train': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const name = input.name ? requireSafeName(input.name, 'run name') : freeRunName(workspace.root, 'rm');
    const model = isPlainName(input.model) ? input.model : ctx.session.checkPath(input.model, 'model folder');
    const data = isPlainName(input.data) ? input.data : ctx.session.checkPath(input.data, 'preference data');
    if (input.name && RunFolder.inWorkspace(workspace.root, name).exists()) throw new ApiFailure('conflict', `a run named "${name}" already exists`);
    let config;
    try {
      config = parseRmConfig({
        name,
        model,
        data,
        method: input.method === 'lora' ? { kind: 'lora', r: input.loraRank, alpha: 2 * input.loraRank } : { kind: 'full' },
        epochs: input.epochs,
        learningRate: input.learningRate,
        pairsPerBatch: input.pairsPerBatch,
        maxLength: input.maxLength,
        centeringCoefficient: input.centeringCoefficient,
        heldOutShare: input.heldOutShare,
      });
    } catch (error) {
      throw new ApiFailure('invalid_input', (error as Error).message);
    }
    const device = await checkJobDevice(input.device);
    const jobInput: RmJobInput & { device?: string } = { action: 'train', config, ...(device ? { device } : {}) };
    const job = await jobs.start('rm', jobInput, `Train reward model ${name}`, { run: name });
    return { jobId: job.id, run: name };
  },

  'rm.runs': (_input, ctx) => listRuns(ctx.session.requireWorkspace().workspace.root).filter((r) => r.kind === 'rm'),

  'rm.metrics': (input, ctx) => runFolder(ctx.session.requireWorkspace().workspace.root, input.run).readMetrics(input.from),

  'rm.evaluate': async (input, ctx) => {
    const { jobs } = ctx.session.requireWorkspace();
    const scoped = (value: string, what: string) => (isPlainName(value) ? value : ctx.session.checkPath(value, what));
    const jobInput: RmJobInput = { action: 'evaluate', models: input.models.map((m) => scoped(m, 'reward model')), data: scoped(input.data, 'benchmark data') };
    const job = await jobs.start('rm', jobInput, `Evaluate ${input.models.length} reward model${input.models.length > 1 ? 's' : ''} on ${input.data}`, { variant: 'eval', count: input.models.length, data: input.data });
    return { jobId: job.id };
  },

  'rm.evaluations': (_input, ctx) =>
    listEvaluations(ctx.session.requireWorkspace().workspace.root).map(({ scores: _scores, skipped: _skipped, ...item }) => item),

  'rm.scores': (input, ctx) => {
    const root = ctx.session.requireWorkspace().workspace.root;
    if (input.evaluation) {
      const found = listEvaluations(root).find((e) => e.id === input.evaluation);
      if (!found) throw new ApiFailure('not_found', `no reward-model evaluation ${input.evaluation}`);
      return { chosen: found.scores.map((s) => s.chosen), rejected: found.scores.map((s) => s.rejected), source: `${found.modelName} on ${found.dataName}` };
    }
    if (input.run) {
      const path = join(runFolder(root, input.run).samplesDir, 'eval-scores.json');
      if (!existsSync(path)) return { chosen: [], rejected: [], source: `${input.run} (no held-out evaluation yet)` };
      const s = JSON.parse(readFileSync(path, 'utf8')) as { step: number; chosen: number[]; rejected: number[] };
      return { chosen: s.chosen, rejected: s.rejected, source: `${input.run}, held out at step ${s.step}` };
    }
    throw new ApiFailure('invalid_input', 'give evaluation or run');
  },

  'rm.compare': (_input, ctx) => {
    const table = compareRewardModels(listEvaluations(ctx.session.requireWorkspace().workspace.root));
    return { table, markdown: comparisonMarkdown(table), csv: comparisonCsv(table) };
  },

  'rm.select': async (input, ctx) => {
    try {
      return await selectRewardModel(ctx.session.requireWorkspace().workspace.root, input.model);
    } catch (error) {
      throw new ApiFailure('invalid_input', (error as Error).message);
    }
  },

  'rm.getSelected': (_input, ctx) => readSelectedRewardModel(ctx.session.requireWorkspace().workspace.root),
};
