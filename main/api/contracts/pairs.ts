// The pairs area's part of the API contract (see ../contract.ts): preference sets, hand labeling,
// agreement, scorer distributions and the build job. Value types are declared here (the renderer imports
// only types from main/api); main/pairs produces values of exactly these shapes.
import { z } from 'zod';
import { method } from '../method.ts';

export type PairsConstruction = 'consensus' | 'best_vs_worst' | 'balanced';
export type PairLabelChoice = 'first' | 'second' | 'tie' | 'both_bad' | 'skip';
export type PairSide = 'chosen' | 'rejected';
export type PairShownOrder = ['chosen', 'rejected'] | ['rejected', 'chosen'];
export type PairPreference = PairSide | 'tie' | 'both_bad' | 'skip';

export type PairSetInfo = {
  name: string;
  collection: string;
  construction: PairsConstruction;
  options: Record<string, unknown>;
  scorers: string[];
  pairs: number;
  builtAt: string;
  categories: Record<string, number>;
  langs: Record<string, number>;
  meanMargin: number | null;
  models: Record<string, { chosen: number; rejected: number }>;
  /** Pairs with a current label, per labeler. */
  labeled: Record<string, number>;
};

export type PairLabel = {
  id: string;
  pairId: string;
  labeler: string;
  choice: PairLabelChoice;
  shownOrder: PairShownOrder;
  comment: string;
  at: string;
  undoOf?: string;
};

export type PairItem = {
  pairId: string;
  prompt: string;
  category: string;
  lang: string;
  chosen: string;
  rejected: string;
  margin: number;
  chosenModel: string;
  rejectedModel: string;
  /** Raw scores per scorer: [chosen, rejected]. */
  scores: Record<string, [number, number]>;
  /** This labeler's current label (null when unlabeled). */
  label: PairLabel | null;
  /** The reference answer, when the pair's row has one (`gold` or `answer`): shown to the labeler. */
  gold: string | null;
};

export type PairItemsPage = {
  /** Pairs matching the filter, and in the whole set. */
  total: number;
  setTotal: number;
  /** Pairs this labeler has a current label for (whole set). */
  labeled: number;
  categories: string[];
  offset: number;
  items: PairItem[];
};

export type PairAgreementRow = { a: string; b: string; category: string; n: number; agreement: number | null; kappa: number | null };

export type PairAgreementReport = { humanVsScorer: PairAgreementRow[]; betweenLabelers: PairAgreementRow[]; labelers: string[]; scorers: string[] };

export type ScoreHistogram = { min: number; max: number; counts: number[] };

export type ScorerDistribution = {
  scorer: string;
  mean: number;
  std: number;
  n: number;
  accuracy: number | null;
  labeled: number;
  weight: number;
  before: ScoreHistogram;
  after: ScoreHistogram;
};

export type PairsDistributions = { collection: string; calibrationSize: number; builtAt: string; scorers: ScorerDistribution[] };

export type PairSetComparison = { a: string; b: string; onlyA: number; onlyB: number; both: number; promptsBoth: number; promptsReversed: number };

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
