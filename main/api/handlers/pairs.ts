// Handlers of the pairs area's contract methods (contracts/pairs.ts): preference sets, hand labeling,
// agreement and the build job. Labels go through LabelLog (one in-process queue per set, fsync before the
// call resolves), so a label the UI shows as saved is on disk.
import type { HandlerGroup } from '../router.ts';
import type { PairItem, PairLabel, PairSetInfo } from '../contract.ts';
import { ApiFailure } from '../errors.ts';
import { agreementReport } from '../../pairs/agreement.ts';
import { readRecentreReport } from '../../pairs/build.ts';
import { currentLabels, preferenceOf, type LabelRecord } from '../../pairs/labels.ts';
import { parsePairsRecipe } from '../../pairs/recipe.ts';
import { labelLog, listCollections, listSets } from '../../pairs/set-store.ts';
import type { PreferencePair } from '../../pairs/types.ts';
import type { PairsJobInput } from '../../jobs/kinds/pairs.ts';
import { plainPairSets, readAnyPairs } from './pair-sources.ts';
import { savePairsRecipe } from './pairs-recipe-file.ts';

/** A reference answer carried by the row (imported files and task pairs may have one; built sets do not). */
function goldOf(pair: PreferencePair): string | null {
  const row = pair as PreferencePair & { gold?: unknown; answer?: unknown };
  const value = row.gold ?? row.answer;
  return value === undefined || value === null || String(value).trim() === '' ? null : String(value);
}

function item(pair: PreferencePair, label: LabelRecord | null): PairItem {
  return {
    pairId: pair.pair_id,
    prompt: pair.prompt,
    category: pair.category,
    lang: pair.lang,
    chosen: pair.chosen,
    rejected: pair.rejected,
    margin: pair.margin,
    chosenModel: pair.chosen_model,
    rejectedModel: pair.rejected_model,
    scores: pair.scores,
    label,
    gold: goldOf(pair),
  };
}

/** The human's verdict contradicts at least one scorer's (only chosen/rejected verdicts can). */
function disagrees(pair: PreferencePair, label: LabelRecord | undefined): boolean {
  if (!label) return false;
  const human = preferenceOf(label);
  if (human !== 'chosen' && human !== 'rejected') return false;
  const scores = Object.values(pair.scores);
  if (scores.length === 0) return human === 'rejected';
  return scores.some(([c, r]) => (c > r ? 'chosen' : c < r ? 'rejected' : 'tie') !== human);
}

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
    const plain = await plainPairSets(workspace, new Set(built.map((s) => s.name)));
    for (const summary of [...built, ...plain]) {
      const labeled: Record<string, number> = {};
      for (const [labeler, byPair] of currentLabels(await labelLog(workspace, summary.name).records())) labeled[labeler] = byPair.size;
      out.push({ ...summary, labeled });
    }
    return out;
  },

  'pairs.collections': (_input, ctx) => listCollections(ctx.session.requireWorkspace().workspace),

  'pairs.items': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const pairs = await readAnyPairs(workspace, input.set);
    const mine = currentLabels(await labelLog(workspace, input.set).records()).get(input.labeler) ?? new Map<string, LabelRecord>();
    const matches = pairs.filter((pair) => {
      if (input.category && pair.category !== input.category) return false;
      const label = mine.get(pair.pair_id);
      switch (input.filter) {
        case 'unlabeled':
          return !label;
        case 'labeled':
          return !!label;
        case 'disagreements':
          return disagrees(pair, label);
        default:
          return true;
      }
    });
    return {
      total: matches.length,
      setTotal: pairs.length,
      labeled: pairs.filter((p) => mine.has(p.pair_id)).length,
      categories: [...new Set(pairs.map((p) => p.category))].sort(),
      offset: input.offset,
      items: matches.slice(input.offset, input.offset + input.limit).map((p) => item(p, mine.get(p.pair_id) ?? null)),
    };
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
    const current = currentLabels(await labelLog(workspace, input.set).records());
    const out: PairLabel[] = [];
    for (const [labeler, byPair] of current) if (!input.labeler || labeler === input.labeler) out.push(...(byPair.values() as Iterable<PairLabel>));
    return out;
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
    const idsA = new Set(a.map((p) => p.pair_id));
    const idsB = new Set(b.map((p) => p.pair_id));
    const both = [...idsA].filter((id) => idsB.has(id)).length;
    // Prompts in both sets whose pair is the same two responses in the opposite order.
    const keyOf = (p: PreferencePair, swap: boolean) => `${p.prompt_id}\u0000${swap ? p.rejected_id : p.chosen_id}\u0000${swap ? p.chosen_id : p.rejected_id}`;
    const reversedKeys = new Set(b.map((p) => keyOf(p, true)));
    const promptsB = new Set(b.map((p) => p.prompt_id));
    return {
      a: input.a,
      b: input.b,
      onlyA: idsA.size - both,
      onlyB: idsB.size - both,
      both,
      promptsBoth: new Set(a.filter((p) => promptsB.has(p.prompt_id)).map((p) => p.prompt_id)).size,
      promptsReversed: a.filter((p) => reversedKeys.has(keyOf(p, false))).length,
    };
  },

  'pairs.saveRecipe': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    let collection: string;
    try {
      collection = parsePairsRecipe(input.recipe).collection;
    } catch (error) {
      throw new ApiFailure('invalid_input', (error as Error).message);
    }
    return savePairsRecipe(workspace.root, collection, input.recipe);
  },

  'pairs.build': async (input, ctx) => {
    const { jobs } = ctx.session.requireWorkspace();
    let jobInput: PairsJobInput;
    let collection: string;
    if ('recipe' in input) {
      try {
        collection = parsePairsRecipe(input.recipe).collection;
      } catch (error) {
        throw new ApiFailure('invalid_input', (error as Error).message);
      }
      jobInput = { recipe: input.recipe };
    } else {
      const path = ctx.session.checkPath(input.recipePath, 'pairs recipe');
      const { readPairsRecipeFile } = await import('../../pairs/recipe.ts');
      try {
        collection = (await readPairsRecipeFile(path)).collection;
      } catch (error) {
        throw new ApiFailure('invalid_input', (error as Error).message);
      }
      jobInput = { recipePath: path };
    }
    const job = await jobs.start('pairs', jobInput, `Build preference pairs for ${collection}`, { collection });
    return { jobId: job.id };
  },
};
