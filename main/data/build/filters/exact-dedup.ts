// Exact dedup: texts equal after normalization (NFKC, case, whitespace and sentence punctuation ignored;
// math symbols kept, "3x+5" is not "3x-5") are duplicates; the first one is kept.
import { createHash } from 'node:crypto';
import type { BuildSample, FilterDecision, SampleField, SampleFilter } from '../sample.ts';
import { groupUnits } from './units.ts';

export function normalizeForHash(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s.,!?;:'"“”‘’…·。、，！？]+/gu, '');
}

export class ExactDedupFilter implements SampleFilter {
  readonly name: string;
  constructor(private readonly options: { name?: string; field?: SampleField } = {}) {
    this.name = options.name ?? 'exact_dedup';
  }
  async decide(samples: readonly BuildSample[]): Promise<FilterDecision[]> {
    const { texts, unitOf } = groupUnits(samples, this.options.field ?? 'response');
    const firstByHash = new Map<string, number>();
    const duplicateOf = texts.map((text, unit) => {
      const hash = createHash('sha256').update(normalizeForHash(text)).digest('hex');
      const first = firstByHash.get(hash);
      if (first === undefined) {
        firstByHash.set(hash, unit);
        return -1;
      }
      return first;
    });
    const unitKey = this.unitKeys(samples, unitOf);
    return unitOf.map((unit) => (duplicateOf[unit] < 0 ? { keep: true } : { keep: false, reason: `same text as ${unitKey[duplicateOf[unit]]}` }));
  }
  private unitKeys(samples: readonly BuildSample[], unitOf: number[]): string[] {
    const keys: string[] = [];
    samples.forEach((sample, i) => {
      keys[unitOf[i]] ??= this.options.field === 'prompt' ? `prompt ${sample.promptId}` : sample.key;
    });
    return keys;
  }
}
