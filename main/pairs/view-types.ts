// What the pairs pages and the CLI see of the pairs stage: preference sets, labels, items to label, agreement
// and score distributions. The app contract (api/contracts/pairs.ts) re-exports these.

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
