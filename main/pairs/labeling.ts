// Hand labeling of preference pairs, as the Pairs page reads it: a set's pairs with one labeler's labels,
// filtered and paged; label counts per labeler; and two sets compared. Pure over pairs and label records,
// so any front door (the app's pairs.* methods today) gives the same answers.
import type { PairItem, PairItemsPage, PairLabel, PairSetComparison } from './view-types.ts';
import { currentLabels, preferenceOf, type LabelRecord } from './labels.ts';
import type { PreferencePair } from './types.ts';

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
export function disagrees(pair: PreferencePair, label: LabelRecord | undefined): boolean {
  if (!label) return false;
  const human = preferenceOf(label);
  if (human !== 'chosen' && human !== 'rejected') return false;
  const scores = Object.values(pair.scores);
  if (scores.length === 0) return human === 'rejected';
  return scores.some(([c, r]) => (c > r ? 'chosen' : c < r ? 'rejected' : 'tie') !== human);
}

export type PairItemsQuery = { labeler: string; category?: string; filter: 'all' | 'unlabeled' | 'labeled' | 'disagreements'; offset: number; limit: number };

/** One page of a set's pairs for LABELER, with that labeler's current labels. */
export function pairItemsPage(pairs: PreferencePair[], records: LabelRecord[], query: PairItemsQuery): PairItemsPage {
  const mine = currentLabels(records).get(query.labeler) ?? new Map<string, LabelRecord>();
  const matches = pairs.filter((pair) => {
    if (query.category && pair.category !== query.category) return false;
    const label = mine.get(pair.pair_id);
    switch (query.filter) {
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
    offset: query.offset,
    items: matches.slice(query.offset, query.offset + query.limit).map((p) => item(p, mine.get(p.pair_id) ?? null)),
  };
}

/** How many pairs each labeler has a current label on. */
export function labeledCounts(records: LabelRecord[]): Record<string, number> {
  const labeled: Record<string, number> = {};
  for (const [labeler, byPair] of currentLabels(records)) labeled[labeler] = byPair.size;
  return labeled;
}

/** The current labels of a set, every labeler's or one's. */
export function currentLabelList(records: LabelRecord[], labeler?: string): PairLabel[] {
  const out: PairLabel[] = [];
  for (const [who, byPair] of currentLabels(records)) if (!labeler || who === labeler) out.push(...(byPair.values() as Iterable<PairLabel>));
  return out;
}

/** Two sets side by side: pairs in one, the other or both, shared prompts, and pairs present reversed. */
export function comparePairSets(nameA: string, a: PreferencePair[], nameB: string, b: PreferencePair[]): PairSetComparison {
  const idsA = new Set(a.map((p) => p.pair_id));
  const idsB = new Set(b.map((p) => p.pair_id));
  const both = [...idsA].filter((id) => idsB.has(id)).length;
  // Prompts in both sets whose pair is the same two responses in the opposite order.
  const keyOf = (p: PreferencePair, swap: boolean) => `${p.prompt_id}\u0000${swap ? p.rejected_id : p.chosen_id}\u0000${swap ? p.chosen_id : p.rejected_id}`;
  const reversedKeys = new Set(b.map((p) => keyOf(p, true)));
  const promptsB = new Set(b.map((p) => p.prompt_id));
  return {
    a: nameA,
    b: nameB,
    onlyA: idsA.size - both,
    onlyB: idsB.size - both,
    both,
    promptsBoth: new Set(a.filter((p) => promptsB.has(p.prompt_id)).map((p) => p.prompt_id)).size,
    promptsReversed: a.filter((p) => reversedKeys.has(keyOf(p, false))).length,
  };
}
