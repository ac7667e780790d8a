// Near-duplicate dedup: texts embedded (default: the built-in character n-gram embedder), searched in
// LanceDB for their nearest neighbours, and dropped when an earlier kept text is at least `threshold`
// cosine-similar (near-duplicates.ts). Prompt-level by default: paraphrased copies of one problem.
import type { Embedder } from '../../embed/index.ts';
import { NgramHashEmbedder } from '../../embed/index.ts';
import { findNearDuplicates } from '../near-duplicates.ts';
import type { BuildSample, FilterContext, FilterDecision, SampleField, SampleFilter } from '../sample.ts';
import { groupUnits } from './units.ts';

export type NearDedupFilterOptions = {
  name?: string;
  field?: SampleField;
  /** Cosine similarity at or above which texts are near-duplicates (default 0.7, tuned for the n-gram embedder). */
  threshold?: number;
  /** Neighbours examined per text (default 10). */
  k?: number;
  embedder?: Embedder;
};

export class NearDedupFilter implements SampleFilter {
  readonly name: string;
  private readonly embedder: Embedder;
  constructor(private readonly options: NearDedupFilterOptions = {}) {
    this.name = options.name ?? 'near_dedup';
    this.embedder = options.embedder ?? new NgramHashEmbedder();
  }
  async decide(samples: readonly BuildSample[], ctx: FilterContext): Promise<FilterDecision[]> {
    const field = this.options.field ?? 'prompt';
    const { texts, unitOf } = groupUnits(samples, field);
    const vectors = await this.embedder.embed(texts);
    const result = await findNearDuplicates({
      connection: await ctx.connection(),
      tableName: `${ctx.scratchPrefix}_${this.name}`,
      vectors,
      dimension: this.embedder.dimension,
      threshold: this.options.threshold,
      k: this.options.k,
      signal: ctx.signal,
    });
    const firstSample: number[] = [];
    unitOf.forEach((unit, i) => (firstSample[unit] ??= i));
    const label = (unit: number) => (field === 'prompt' ? `prompt ${samples[firstSample[unit]].promptId}` : samples[firstSample[unit]].key);
    return unitOf.map((unit) => {
      const of = result.duplicateOf[unit];
      if (of < 0) return { keep: true };
      const similarity = result.similarity[unit];
      return { keep: false, score: Math.round(similarity * 1000) / 1000, reason: `near-duplicate of ${label(of)} (cosine ${similarity.toFixed(3)})` };
    });
  }
}
