// Decontamination: drops samples that share a word n-gram (default 8 words, after NFKC, lowercasing and
// splitting on anything that is not a letter or digit) with an evaluation set, the way the GPT-3 and
// Llama reports check benchmark overlap. Eval texts shorter than n words count as one n-gram of their full
// length (so short problems are still caught, but only verbatim).
import { fieldText, type BuildSample, type FilterDecision, type SampleField, type SampleFilter } from '../sample.ts';

export type EvalSet = { name: string; texts: readonly string[] };

export type DecontaminateFilterOptions = {
  name?: string;
  evalSets: readonly EvalSet[];
  /** n-gram length in words (default 8). */
  ngram?: number;
  /** Eval texts with fewer words than this are ignored (default 4: "x = 2" is not a benchmark problem). */
  minWords?: number;
  /** Which text is checked (default 'prompt_and_response': a teacher reciting a benchmark also counts). */
  field?: SampleField;
};

export function words(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class DecontaminateFilter implements SampleFilter {
  readonly name: string;
  private readonly ngram: number;
  /** n-gram (words joined by a space) → eval set name; short eval texts are stored whole. */
  private readonly grams = new Map<string, string>();
  private readonly shortLengths = new Set<number>();

  constructor(private readonly options: DecontaminateFilterOptions) {
    this.name = options.name ?? 'decontaminate';
    this.ngram = options.ngram ?? 8;
    if (!Number.isInteger(this.ngram) || this.ngram < 2) throw new Error(`decontaminate: ngram must be an integer >= 2, got ${this.ngram}`);
    if (options.evalSets.length === 0) throw new Error('decontaminate: list at least one eval set (eval_sets)');
    const minWords = options.minWords ?? 4;
    for (const set of options.evalSets) {
      for (const text of set.texts) {
        const w = words(text);
        if (w.length < minWords) continue;
        if (w.length < this.ngram) {
          this.shortLengths.add(w.length);
          this.grams.set(w.join(' '), set.name);
          continue;
        }
        for (let i = 0; i + this.ngram <= w.length; i++) this.grams.set(w.slice(i, i + this.ngram).join(' '), set.name);
      }
    }
  }

  /** The eval set `text` overlaps with, or null. */
  match(text: string): { set: string; gram: string } | null {
    const w = words(text);
    for (const n of [this.ngram, ...this.shortLengths]) {
      for (let i = 0; i + n <= w.length; i++) {
        const gram = w.slice(i, i + n).join(' ');
        const set = this.grams.get(gram);
        if (set !== undefined) return { set, gram };
      }
    }
    return null;
  }

  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    const field = this.options.field ?? 'prompt_and_response';
    const byPrompt = new Map<string, FilterDecision>();
    return samples.map((sample) => {
      // The prompt part is the same for all samples of a prompt: check it once.
      let promptVerdict = byPrompt.get(sample.promptId);
      if (!promptVerdict) {
        const hit = field === 'response' || field === 'thinking' || field === 'answer' ? null : this.match(sample.prompt);
        promptVerdict = hit ? { keep: false, label: hit.set, reason: `prompt overlaps ${hit.set}: "${hit.gram}"` } : { keep: true };
        byPrompt.set(sample.promptId, promptVerdict);
      }
      if (!promptVerdict.keep || field === 'prompt') return promptVerdict;
      const hit = this.match(field === 'prompt_and_response' ? sample.response : fieldText(sample, field));
      return hit ? { keep: false, label: hit.set, reason: `response overlaps ${hit.set}: "${hit.gram}"` } : { keep: true };
    });
  }
}
