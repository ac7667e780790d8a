// What the pairs pages and the CLI see of the pairs stage: preference sets, labels, items to label, agreement
// and score distributions. The app contract (api/contracts/pairs.ts) re-exports these.

import type { SetSummary } from './set-store.ts';
import type { Construction } from './types.ts';
import type { Histogram, ScorerCalibration } from './recenter.ts';

export type PairsConstruction = Construction;
export type PairLabelChoice = 'first' | 'second' | 'tie' | 'both_bad' | 'skip';
export type PairSide = 'chosen' | 'rejected';
export type PairShownOrder = ['chosen', 'rejected'] | ['rejected', 'chosen'];
export type PairPreference = PairSide | 'tie' | 'both_bad' | 'skip';

/** A built set as stored (set-store's SetSummary) with its label counts. */
export type PairSetInfo = SetSummary & {
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

/** A scorer's calibration as recenter.ts computes it (mean, std, agreement, weight, before/after histograms). */
export type ScoreHistogram = Histogram;
export type ScorerDistribution = ScorerCalibration;

export type PairsDistributions = { collection: string; calibrationSize: number; builtAt: string; scorers: ScorerDistribution[] };

export type PairSetComparison = { a: string; b: string; onlyA: number; onlyB: number; both: number; promptsBoth: number; promptsReversed: number };
