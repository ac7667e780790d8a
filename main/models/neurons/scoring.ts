// How language-specific each MLP neuron is, from per-language activation statistics. Pure functions.
//
// lape (Tang et al. 2024, "Language-Specific Neurons: The Key to Multilingual Capabilities in LLMs"):
//   p_l = share of language l's tokens on which the neuron's activation is > 0;
//   q_l = p_l / Σ p (the probabilities normalised over languages), H = −Σ q_l log q_l;
//   a neuron is specific to the language it fires for most when H is low and p is high.
//   Score for the target t: p_t · (1 − H / log L) when t is the language with the highest p, else 0
//   (so it is in [0, 1]: 1 = fires on every target token and never on another language).
// contrast: standardised mean difference (Cohen's d) of the activation between the target's tokens and
//   every other language's tokens pooled: (mean_t − mean_o) / sqrt((var_t + var_o) / 2). Positive = more
//   active on the target.
import type { ActivationSums } from './activation-stats.ts';

export type DiscoveryMethod = 'lape' | 'contrast';
export const DISCOVERY_METHODS: DiscoveryMethod[] = ['lape', 'contrast'];

/** Per-language means derived from the sums: what both scores and the Neurons page read. */
export interface LanguageStats {
  lang: string;
  tokens: number;
  layers: { layer: number; probability: Float64Array; mean: Float64Array; variance: Float64Array }[];
}

export function languageStats(lang: string, sums: ActivationSums): LanguageStats {
  const n = sums.tokens;
  if (n === 0) throw new Error(`neurons: no tokens for language ${lang} (its texts are empty)`);
  return {
    lang,
    tokens: n,
    layers: sums.layers.map(({ layer, positive, sum, sumSq }) => {
      const mean = sum.map((s) => s / n);
      // E[x²] − E[x]², clamped: rounding can make a constant neuron's variance slightly negative.
      const variance = sumSq.map((s, i) => Math.max(0, s / n - mean[i] * mean[i]));
      return { layer, probability: positive.map((c) => c / n), mean, variance };
    }),
  };
}

/** Scores per chosen layer (Float64Array(intermediate) each, in the stats' layer order). */
export function neuronScores(method: DiscoveryMethod, target: string, stats: readonly LanguageStats[]): { layer: number; scores: Float64Array }[] {
  if (stats.length < 2) throw new Error(`neurons: give at least two languages to compare (got ${stats.map((s) => s.lang).join(', ') || 'none'})`);
  const t = stats.findIndex((s) => s.lang === target);
  if (t < 0) throw new Error(`neurons: target language ${target} has no texts (languages: ${stats.map((s) => s.lang).join(', ')})`);
  return stats[t].layers.map((layerStats, li) => ({
    layer: layerStats.layer,
    scores: method === 'lape' ? lapeScores(stats, t, li) : contrastScores(stats, t, li),
  }));
}

function lapeScores(stats: readonly LanguageStats[], t: number, li: number): Float64Array {
  const L = stats.length;
  const I = stats[t].layers[li].probability.length;
  const out = new Float64Array(I);
  const logL = Math.log(L);
  for (let i = 0; i < I; i++) {
    let total = 0;
    let best = 0;
    for (let l = 0; l < L; l++) {
      const p = stats[l].layers[li].probability[i];
      total += p;
      if (p > stats[best].layers[li].probability[i]) best = l;
    }
    const pt = stats[t].layers[li].probability[i];
    if (total === 0 || pt < stats[best].layers[li].probability[i]) continue; // never fires, or fires more elsewhere
    let entropy = 0;
    for (let l = 0; l < L; l++) {
      const q = stats[l].layers[li].probability[i] / total;
      if (q > 0) entropy -= q * Math.log(q);
    }
    out[i] = pt * (1 - entropy / logL);
  }
  return out;
}

function contrastScores(stats: readonly LanguageStats[], t: number, li: number): Float64Array {
  const target = stats[t].layers[li];
  const I = target.mean.length;
  // The other languages pooled, token-weighted: mean and variance of the mixture.
  const others = stats.filter((_, l) => l !== t);
  const n = others.reduce((s, o) => s + o.tokens, 0);
  const out = new Float64Array(I);
  for (let i = 0; i < I; i++) {
    let mean = 0;
    for (const o of others) mean += (o.tokens / n) * o.layers[li].mean[i];
    let variance = 0;
    for (const o of others) {
      const d = o.layers[li].mean[i] - mean;
      variance += (o.tokens / n) * (o.layers[li].variance[i] + d * d);
    }
    const pooled = Math.sqrt((target.variance[i] + variance) / 2);
    const diff = target.mean[i] - mean;
    // A tiny floor keeps a neuron that is constant in both languages from dividing by zero.
    out[i] = diff / Math.max(pooled, 1e-8);
  }
  return out;
}
