// The pairs area's part of the API contract (see ../contract.ts): preference sets, hand labeling,
// agreement, scorer distributions and the build job. Value types are declared in main/pairs/view-types.ts
// and re-exported here (the renderer imports only types from main/api).
import { z } from 'zod';
import { method } from '../method.ts';

// Value types live with the pairs stage (pairs/view-types.ts); re-exported here for the contract.
import type { PairAgreementReport, PairItemsPage, PairLabel, PairSetComparison, PairSetInfo, PairsDistributions } from '../../pairs/view-types.ts';
export type {
  PairAgreementReport,
  PairAgreementRow,
  PairItem,
  PairItemsPage,
  PairLabel,
  PairLabelChoice,
  PairPreference,
  PairSetComparison,
  PairSetInfo,
  PairShownOrder,
  PairSide,
  PairsConstruction,
  PairsDistributions,
  ScoreHistogram,
  ScorerDistribution,
} from '../../pairs/view-types.ts';

const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\p{L}\p{N}_.-]+$/u, 'names use letters, digits, "_", "-" and "." only');
const labeler = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}_.@-](?:[\p{L}\p{N} _.@-]*[\p{L}\p{N}_.@-])?$/u, 'labeler names use letters, digits, spaces, "_", ".", "@" and "-"');
const shownOrder = z.union([z.tuple([z.literal('chosen'), z.literal('rejected')]), z.tuple([z.literal('rejected'), z.literal('chosen')])]);

export const pairsMethods = {
  'pairs.sets': method<PairSetInfo[]>()(z.object({})),
  'pairs.collections': method<string[]>()(z.object({})),
  /** A page of a set's pairs for one labeler, filtered. 'disagreements': the labeler chose against a scorer. */
  'pairs.items': method<PairItemsPage>()(
    z.object({
      set: name,
      labeler,
      filter: z.enum(['all', 'unlabeled', 'labeled', 'disagreements']).default('all'),
      category: z.string().max(64).optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(50),
    }),
  ),
  /** Appends a label; resolves only once it is durably on disk. */
  'pairs.label': method<PairLabel>()(
    z.object({ set: name, pairId: z.string().min(1).max(64), labeler, choice: z.enum(['first', 'second', 'tie', 'both_bad', 'skip']), shownOrder, comment: z.string().max(4000).default('') }),
  ),
  /** Takes back the labeler's most recent label (an appended undo record). */
  'pairs.undo': method<{ undone: PairLabel | null }>()(z.object({ set: name, labeler })),
  /** Current labels of a set (of one labeler, or everyone's). */
  'pairs.labels': method<PairLabel[]>()(z.object({ set: name, labeler: labeler.optional() })),
  'pairs.agreement': method<PairAgreementReport>()(z.object({ set: name })),
  /** Each scorer's score distribution before and after re-centring (null before the first build). */
  'pairs.distributions': method<PairsDistributions | null>()(z.object({ collection: name })),
  'pairs.compare': method<PairSetComparison>()(z.object({ a: name, b: name })),
  /**
   * Validates a pairs recipe (the keys of RECIPE.yaml) and writes it to <workspace>/recipes/pairs-<collection>.yaml,
   * the file `saenggak pairs build` takes; returns its path, text and the equivalent command line.
   */
  'pairs.saveRecipe': method<{ path: string; yaml: string; command: string }>()(z.object({ recipe: z.record(z.string(), z.unknown()) })),
  /** Starts a `pairs` build job from a recipe object (same keys as RECIPE.yaml) or a recipe file path. */
  'pairs.build': method<{ jobId: string }>()(
    z.union([z.object({ recipe: z.record(z.string(), z.unknown()) }), z.object({ recipePath: z.string().min(1) })]),
  ),
} as const;

export type PairsEvents = {
  /** A label was appended (by anyone labeling this workspace). */
  'pairs.labeled': { set: string; labeler: string; pairId: string };
};
