// One sequence through the compiled decoder: last-position logits and the mean next-token
// cross-entropy (what `saenggak model logits` prints), or a sequence classifier's scores at the last token.
import type { SafeTensor } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import { DecoderSession } from './decoder-session.ts';
import type { DecoderDType } from './decoder.ts';

export interface SequenceLogits {
  lastLogits?: Float64Array;
  meanLoss?: number | null;
  tokens?: number;
  scores?: number[];
}

export async function sequenceLogits(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, ids: number[], dtype: DecoderDType = 'float64'): Promise<SequenceLogits> {
  if (ids.length === 0) throw new Error('sequenceLogits: empty sequence');
  const session = await DecoderSession.create(config, weights, { dtype });
  try {
    const S = ids.length;
    const { logits, vocab } = await session.forward({ inputIds: ids, attentionMask: ids.map(() => 1), positionIds: ids.map((_, t) => t), batch: 1, seq: S });
    const row = (t: number) => Float64Array.from(logits.subarray(t * vocab, (t + 1) * vocab));
    if (config.task === 'sequence-classification') return { scores: Array.from(row(S - 1)) };
    let total = 0;
    for (let t = 0; t + 1 < S; t++) {
      const r = row(t);
      let max = -Infinity;
      for (const v of r) max = Math.max(max, v);
      let sum = 0;
      for (const v of r) sum += Math.exp(v - max);
      total += max + Math.log(sum) - r[ids[t + 1]];
    }
    return { lastLogits: row(S - 1), meanLoss: S > 1 ? total / (S - 1) : null, tokens: S - 1 };
  } finally {
    await session.release();
  }
}
