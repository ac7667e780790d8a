// Handlers of the pairs area's contract methods (contracts/pairs.ts): preference sets, hand labeling,
// agreement and the build job; thin adapters over pairs/labeling.ts (pages, counts, comparison),
// pairs/recipe-file.ts and the set store. Labels go through LabelLog (one in-process queue per set, fsync
// before the call resolves), so a label the UI shows as saved is on disk.
import type { HandlerGroup } from '../router.ts';
import type { PairLabel, PairSetInfo } from '../contract.ts';
import { ApiFailure } from '../errors.ts';
import { agreementReport } from '../../pairs/agreement.ts';
import { readRecentreReport } from '../../pairs/build.ts';
import { comparePairSets, currentLabelList, labeledCounts, pairItemsPage } from '../../pairs/labeling.ts';
import { pairsRecipeCollection, savePairsRecipe } from '../../pairs/recipe-file.ts';
import { labelLog, listCollections, listSets } from '../../pairs/set-store.ts';
import type { PairsJobInput } from '../../jobs/kinds/pairs.ts';
import { plainPairSets, readAnyPairs as readPairsOf, type PipelinePairsOutput } from '../../pairs/pair-sources.ts';
import { readPipelineState } from '../../pipeline/state.ts';
import type { Workspace } from '../../store/index.ts';

/** The file a pipeline's pairs stage wrote: its pairs are labelable as "<pipeline>.pipeline-pairs". */
const pipelinePairsOutput: PipelinePairsOutput = (workspace, pipeline) => readPipelineState(workspace.root, pipeline)?.stages.pairs?.outputs?.output;
const readAnyPairs = (workspace: Workspace, name: string) => readPairsOf(workspace, name, pipelinePairsOutput);

/** Label-log errors are the caller's (bad name, choice or order): report them as invalid input. */
async function asInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && !(error as { code?: unknown }).code) throw new ApiFailure('invalid_input', error.message);
    throw error;
  }
}

export const pairsHandlers: HandlerGroup<'pairs'> = {
  'pairs.sets': async (_input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const out: PairSetInfo[] = [];
    const built = await listSets(workspace);
    // Imported prompt/chosen/rejected datasets and pipelines' pairs files are labelable too.
    const plain = await plainPairSets(workspace, new Set(built.map((s) => s.name)), pipelinePairsOutput);
    for (const summary of [...built, ...plain]) out.push({ ...summary, labeled: labeledCounts(await labelLog(workspace, summary.name).records()) });
    return out;
  },

  'pairs.collections': (_input, ctx) => listCollections(ctx.session.requireWorkspace().workspace),

  'pairs.items': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const pairs = await readAnyPairs(workspace, input.set);
    return pairItemsPage(pairs, await labelLog(workspace, input.set).records(), input);
  },

  'pairs.label': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const pairs = await readAnyPairs(workspace, input.set);
    if (!pairs.some((p) => p.pair_id === input.pairId)) throw new ApiFailure('not_found', `set "${input.set}" has no pair ${input.pairId}`);
    const record = await asInput(() => labelLog(workspace, input.set).label(input));
    ctx.session.events.emit('pairs.labeled', { set: input.set, labeler: input.labeler, pairId: input.pairId });
    return record as PairLabel;
  },

  'pairs.undo': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    await readAnyPairs(workspace, input.set); // not_found for a set that does not exist
    const undone = await asInput(() => labelLog(workspace, input.set).undo(input.labeler));
    if (undone) ctx.session.events.emit('pairs.labeled', { set: input.set, labeler: input.labeler, pairId: undone.pairId });
    return { undone: undone as PairLabel | null };
  },

  'pairs.labels': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    await readAnyPairs(workspace, input.set);
    return currentLabelList(await labelLog(workspace, input.set).records(), input.labeler);
  },

  'pairs.agreement': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const pairs = await readAnyPairs(workspace, input.set);
    return agreementReport(pairs, await labelLog(workspace, input.set).records());
  },

  'pairs.distributions': async (input, ctx) => {
    const report = await readRecentreReport(ctx.session.requireWorkspace().workspace, input.collection);
    if (!report) return null;
    return { collection: report.collection, calibrationSize: report.calibrationSize, builtAt: report.builtAt, scorers: report.scorers };
  },

  'pairs.compare': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const [a, b] = await Promise.all([readAnyPairs(workspace, input.a), readAnyPairs(workspace, input.b)]);
    return comparePairSets(input.a, a, input.b, b);
  },

  'pairs.saveRecipe': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    return savePairsRecipe(workspace.root, await pairsRecipeCollection({ recipe: input.recipe }), input.recipe);
  },

  'pairs.build': async (input, ctx) => {
    const { jobs } = ctx.session.requireWorkspace();
    const jobInput: PairsJobInput = 'recipe' in input ? { recipe: input.recipe } : { recipePath: ctx.session.checkPath(input.recipePath, 'pairs recipe') };
    const collection = await pairsRecipeCollection(jobInput as { recipe: Record<string, unknown> } | { recipePath: string });
    const job = await jobs.start('pairs', jobInput, `Build preference pairs for ${collection}`, { collection });
    return { jobId: job.id };
  },
};
