// Rotary position tables for the decoder graph. The inverse frequencies (with the rope_scaling
// variants Hugging Face configs use: none, "linear", "llama3") are computed here in float64, the
// angles position · inv_freq and their cos/sin in float64 inside the graph, and only then cast to the
// graph's dtype: float32 angles lose ~1e-7·position of phase, which would dominate the error budget
// against a float64 reference at long positions.
import { op, type Graph, type Tensor, type DType } from '../engine/index.ts';
import type { ModelConfig } from './config.ts';

/** theta^(−2i/d) for i < d/2, scaled as config.rope_scaling says. */
export function rotaryInverseFrequencies(config: ModelConfig): Float64Array {
  const d = config.headDim;
  const base = Float64Array.from({ length: d / 2 }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / d));
  const scaling = config.ropeScaling;
  if (!scaling || scaling.ropeType === 'default') return base;
  const factor = scaling.factor ?? 1;
  if (scaling.ropeType === 'linear') return base.map((f) => f / factor);
  if (scaling.ropeType === 'llama3') {
    // Llama 3.1: long wavelengths divided by `factor`, short ones kept, a smooth blend in between.
    const raw = scaling.raw;
    const low = Number(raw.low_freq_factor ?? 1);
    const high = Number(raw.high_freq_factor ?? 4);
    const original = Number(raw.original_max_position_embeddings ?? 8192);
    const lowWavelen = original / low;
    const highWavelen = original / high;
    return base.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f;
      if (wavelen > lowWavelen) return f / factor;
      const smooth = (original / wavelen - low) / (high - low);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  throw new Error(`decoder: rope_scaling type "${scaling.ropeType}" is not supported (supported: none, linear, llama3)`);
}

/** The cos/sin pair the engine's nn.applyRotary takes. */
export type Rotary = { cos: Tensor; sin: Tensor };

/** cos/sin [B, 1, S, headDim] for integer `positionIds` [B, S]. */
export function rotaryFromPositions(graph: Graph, config: ModelConfig, positionIds: Tensor, dtype: DType): Rotary {
  return graph.scope('rotary', () => {
    const inv = rotaryInverseFrequencies(config);
    const invFreq = graph.constant(inv, 'float64', [inv.length], 'rotary/inv_freq');
    const freqs = op.mul(op.unsqueeze(op.cast(positionIds, 'float64'), [-1]), invFreq); // [B, S, d/2]
    const angles = op.unsqueeze(op.concat([freqs, freqs], -1), [1]); // [B, 1, S, d]
    return { cos: op.cast(op.cos(angles), dtype), sin: op.cast(op.sin(angles), dtype) };
  });
}

