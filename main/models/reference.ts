// An independent float64 forward pass of Qwen2 / Qwen3 / Llama decoders, written as plain loops over
// the Hugging Face weights. It is the yardstick the engine's graph is tested against, so it shares no
// code with the graph builder and favours being obviously correct over being fast: one sequence at a
// time, one position at a time, every product spelled out.
//
// Follows transformers' modeling code:
//   h = embed[ids]
//   per layer:  a = RMSNorm(h);  q,k,v = a·Wqᵀ(+b), a·Wkᵀ(+b), a·Wvᵀ(+b)
//               [Qwen3: q,k = RMSNorm_headDim(q), RMSNorm_headDim(k) per head]
//               q,k rotated (rotate_half convention, angle = position · theta^(-2i/headDim))
//               attention per head, kv head = head / (heads / kvHeads), softmax(q·k / √headDim) over
//               keys s ≤ t with mask[s] = 1;  h += o_proj(attn)
//               h += down( silu(gate(RMSNorm(h))) * up(RMSNorm(h)) )
//   RMSNorm(h) → lm_head (or embed when tied) for logits, or score for classifiers.
// Positions: cumsum(mask) − 1 (what generation and transformers.js use), so left padding does not shift
// positions. Differences from transformers, on purpose: everything in float64 (transformers computes
// the rotary angles in float32), and the classifier pools the last position whose mask is 1 (transformers
// looks for the last token that is not pad_token_id — the same thing unless the text contains pad tokens).

import type { SafeTensor } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

export interface ReferenceBatch {
  /** Token ids, one row per sequence (rows may differ in length only if `attentionMask` is omitted). */
  inputIds: number[][];
  /** 1 = real token, 0 = padding; default all ones. */
  attentionMask?: number[][];
  /** Explicit positions; default cumsum(mask) − 1 (0 at padding). */
  positionIds?: number[][];
}

function tensor(weights: Weights, name: string): ArrayLike<number> {
  const t = weights.get(name);
  if (!t) throw new Error(`reference forward: weight ${name} is missing`);
  return t.data as ArrayLike<number>;
}

function optionalTensor(weights: Weights, name: string): ArrayLike<number> | null {
  const t = weights.get(name);
  return t ? (t.data as ArrayLike<number>) : null;
}

/** y = W x (+ b) for W of shape [out, in] stored row-major. */
function linear(x: Float64Array, w: ArrayLike<number>, outSize: number, bias: ArrayLike<number> | null): Float64Array {
  const inSize = x.length;
  const y = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let sum = bias ? bias[o] : 0;
    const row = o * inSize;
    for (let i = 0; i < inSize; i++) sum += w[row + i] * x[i];
    y[o] = sum;
  }
  return y;
}

/** weight · x / sqrt(mean(x²) + eps), over x[offset .. offset+size). */
function rmsNorm(x: Float64Array, weight: ArrayLike<number>, eps: number, offset = 0, size = x.length): Float64Array {
  let sumSquares = 0;
  for (let i = 0; i < size; i++) sumSquares += x[offset + i] * x[offset + i];
  const scale = 1 / Math.sqrt(sumSquares / size + eps);
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) y[i] = weight[i] * x[offset + i] * scale;
  return y;
}

function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/**
 * Rotary inverse frequencies theta^(-2i/d), i < d/2, with the rope_scaling variants the reference
 * knows: none, "linear" (divide by factor) and "llama3" (Llama 3.1's wavelength-dependent scaling).
 */
export function referenceInverseFrequencies(config: ModelConfig): Float64Array {
  const d = config.headDim;
  const inv = new Float64Array(d / 2);
  for (let i = 0; i < d / 2; i++) inv[i] = 1 / config.ropeTheta ** ((2 * i) / d);
  const scaling = config.ropeScaling;
  if (!scaling) return inv;
  const factor = scaling.factor ?? 1;
  if (scaling.ropeType === 'linear') return inv.map((f) => f / factor);
  if (scaling.ropeType === 'llama3') {
    const r = scaling.raw as Record<string, number>;
    const low = r.low_freq_factor;
    const high = r.high_freq_factor;
    const oldContext = r.original_max_position_embeddings;
    const lowFreqWavelen = oldContext / low;
    const highFreqWavelen = oldContext / high;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highFreqWavelen) return f;
      if (wavelen > lowFreqWavelen) return f / factor;
      const smooth = (oldContext / wavelen - low) / (high - low);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  throw new Error(`reference forward: rope_scaling type "${scaling.ropeType}" is not supported (none, linear, llama3)`);
}

/** Rotates one head vector (in place) by the rotate_half convention: pairs (i, i + d/2). */
function rotate(vec: Float64Array, offset: number, d: number, position: number, invFreq: Float64Array): void {
  const half = d / 2;
  for (let i = 0; i < half; i++) {
    const angle = position * invFreq[i];
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const x1 = vec[offset + i];
    const x2 = vec[offset + i + half];
    vec[offset + i] = x1 * c - x2 * s;
    vec[offset + i + half] = x2 * c + x1 * s;
  }
}

function defaultPositions(mask: number[]): number[] {
  const out: number[] = [];
  let seen = 0;
  for (const m of mask) {
    if (m) {
      out.push(seen);
      seen++;
    } else out.push(0);
  }
  return out;
}

/** Final-norm hidden states of one sequence, one Float64Array(hidden) per position. */
function sequenceHiddenStates(config: ModelConfig, weights: Weights, ids: number[], mask: number[], positions: number[], observer?: { mlpActivation?(layer: number, position: number, act: Float64Array): void }): Float64Array[] {
  if (config.slidingWindow !== null) throw new Error('reference forward: sliding-window attention is not supported');
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: m, rmsNormEps: eps, vocabSize } = config;
  const T = ids.length;
  const group = numHeads / numKvHeads;
  const invFreq = referenceInverseFrequencies(config);
  const embed = tensor(weights, 'model.embed_tokens.weight');

  // Residual stream, one vector per position.
  const hidden: Float64Array[] = ids.map((id, t) => {
    if (!Number.isSafeInteger(id) || id < 0 || id >= vocabSize) throw new Error(`reference forward: token id ${id} at position ${t} is outside the vocabulary (0..${vocabSize - 1})`);
    const v = new Float64Array(h);
    for (let i = 0; i < h; i++) v[i] = embed[id * h + i];
    return v;
  });

  for (let layer = 0; layer < config.numLayers; layer++) {
    const p = `model.layers.${layer}`;
    const w = (name: string) => tensor(weights, `${p}.${name}`);
    const b = (name: string) => optionalTensor(weights, `${p}.${name}`);

    // --- attention: project every position first (keys/values of earlier positions are needed) ---
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const a = rmsNorm(hidden[t], w('input_layernorm.weight'), eps);
      let q = linear(a, w('self_attn.q_proj.weight'), numHeads * d, b('self_attn.q_proj.bias'));
      let k = linear(a, w('self_attn.k_proj.weight'), numKvHeads * d, b('self_attn.k_proj.bias'));
      const v = linear(a, w('self_attn.v_proj.weight'), numKvHeads * d, b('self_attn.v_proj.bias'));
      if (config.qkNorm) {
        const qn = new Float64Array(numHeads * d);
        for (let head = 0; head < numHeads; head++) qn.set(rmsNorm(q, w('self_attn.q_norm.weight'), eps, head * d, d), head * d);
        const kn = new Float64Array(numKvHeads * d);
        for (let head = 0; head < numKvHeads; head++) kn.set(rmsNorm(k, w('self_attn.k_norm.weight'), eps, head * d, d), head * d);
        q = qn;
        k = kn;
      }
      for (let head = 0; head < numHeads; head++) rotate(q, head * d, d, positions[t], invFreq);
      for (let head = 0; head < numKvHeads; head++) rotate(k, head * d, d, positions[t], invFreq);
      qs.push(q);
      ks.push(k);
      vs.push(v);
    }
    for (let t = 0; t < T; t++) {
      const attn = new Float64Array(numHeads * d);
      for (let head = 0; head < numHeads; head++) {
        const kvHead = Math.floor(head / group);
        const allowed: number[] = [];
        for (let s = 0; s <= t; s++) if (mask[s]) allowed.push(s);
        if (allowed.length === 0) continue; // a padding query with nothing to attend to: output stays 0
        const scores = allowed.map((s) => {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += qs[t][head * d + i] * ks[s][kvHead * d + i];
          return dot / Math.sqrt(d);
        });
        const max = scores.reduce((a, x) => Math.max(a, x), -Infinity);
        const exps = scores.map((x) => Math.exp(x - max));
        const total = exps.reduce((x, y) => x + y, 0);
        allowed.forEach((s, j) => {
          const weight = exps[j] / total;
          for (let i = 0; i < d; i++) attn[head * d + i] += weight * vs[s][kvHead * d + i];
        });
      }
      const out = linear(attn, w('self_attn.o_proj.weight'), h, b('self_attn.o_proj.bias'));
      for (let i = 0; i < h; i++) hidden[t][i] += out[i];
    }

    // --- MLP (SwiGLU) ---
    for (let t = 0; t < T; t++) {
      const a = rmsNorm(hidden[t], w('post_attention_layernorm.weight'), eps);
      const gate = linear(a, w('mlp.gate_proj.weight'), m, b('mlp.gate_proj.bias'));
      const up = linear(a, w('mlp.up_proj.weight'), m, b('mlp.up_proj.bias'));
      const act = new Float64Array(m);
      for (let j = 0; j < m; j++) act[j] = silu(gate[j]) * up[j];
      observer?.mlpActivation?.(layer, t, act);
      const out = linear(act, w('mlp.down_proj.weight'), h, b('mlp.down_proj.bias'));
      for (let i = 0; i < h; i++) hidden[t][i] += out[i];
    }
  }
  const finalNorm = tensor(weights, 'model.norm.weight');
  return hidden.map((x) => rmsNorm(x, finalNorm, eps));
}

function normalizeBatch(batch: ReferenceBatch): { ids: number[][]; masks: number[][]; positions: number[][] } {
  const ids = batch.inputIds;
  const masks = batch.attentionMask ?? ids.map((row) => row.map(() => 1));
  if (masks.length !== ids.length) throw new Error(`reference forward: ${ids.length} sequences but ${masks.length} attention-mask rows`);
  masks.forEach((row, i) => {
    if (row.length !== ids[i].length) throw new Error(`reference forward: sequence ${i} has ${ids[i].length} ids but ${row.length} mask entries`);
  });
  const positions = batch.positionIds ?? masks.map(defaultPositions);
  return { ids, masks, positions };
}

/** Looks inside the reference forward (e.g. neuron discovery's tests read the MLP activations). */
export interface ReferenceObserver {
  /** SiLU(gate)·up of one position, Float64Array(intermediate); `sequence` is the row of the batch. */
  mlpActivation?(layer: number, position: number, act: Float64Array, sequence: number): void;
}

/** Final-norm hidden states: [sequence][position] → Float64Array(hidden). */
export function referenceHiddenStates(config: ModelConfig, weights: Weights, batch: ReferenceBatch, observer?: ReferenceObserver): Float64Array[][] {
  const { ids, masks, positions } = normalizeBatch(batch);
  return ids.map((row, i) =>
    sequenceHiddenStates(config, weights, row, masks[i], positions[i], observer?.mlpActivation ? { mlpActivation: (layer, t, act) => observer.mlpActivation!(layer, t, act, i) } : undefined),
  );
}

/** Language-model logits of one hidden state (lm_head, or the embeddings when tied). */
export function referenceLogitsOf(config: ModelConfig, weights: Weights, hidden: Float64Array): Float64Array {
  const head = config.tieWordEmbeddings ? tensor(weights, 'model.embed_tokens.weight') : tensor(weights, 'lm_head.weight');
  return linear(hidden, head, config.vocabSize, null);
}

/** Causal-LM logits: [sequence][position] → Float64Array(vocab). Memory grows with T × vocab; mind large vocabularies. */
export function referenceLogits(config: ModelConfig, weights: Weights, batch: ReferenceBatch): Float64Array[][] {
  if (config.task !== 'causal-lm') throw new Error(`reference forward: ${config.architecture} has no language-model head`);
  return referenceHiddenStates(config, weights, batch).map((row) => row.map((hid) => referenceLogitsOf(config, weights, hid)));
}

/** Sequence-classifier scores at each sequence's last real (mask = 1) position: [sequence] → Float64Array(numLabels). */
export function referenceScores(config: ModelConfig, weights: Weights, batch: ReferenceBatch): Float64Array[] {
  if (config.task !== 'sequence-classification') throw new Error(`reference forward: ${config.architecture} is not a sequence classifier`);
  const { masks } = normalizeBatch(batch);
  const score = tensor(weights, 'score.weight');
  return referenceHiddenStates(config, weights, batch).map((row, i) => {
    const last = masks[i].lastIndexOf(1);
    if (last < 0) throw new Error(`reference forward: sequence ${i} has no unmasked token`);
    return linear(row[last], score, config.numLabels, null);
  });
}

/** log Σ exp(x), stably. */
export function logSumExp(x: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}

/**
 * One sequence's last-position logits and the mean next-token cross-entropy over its real tokens
 * (predict ids[t+1] from position t wherever both are unmasked). Computes logits one position at a time.
 */
export function referenceSequenceLoss(config: ModelConfig, weights: Weights, inputIds: number[], attentionMask?: number[]): { lastLogits: Float64Array; meanLoss: number | null; tokens: number } {
  const mask = attentionMask ?? inputIds.map(() => 1);
  const [hidden] = referenceHiddenStates(config, weights, { inputIds: [inputIds], attentionMask: [mask] });
  let total = 0;
  let count = 0;
  for (let t = 0; t + 1 < inputIds.length; t++) {
    if (!mask[t] || !mask[t + 1]) continue;
    const logits = referenceLogitsOf(config, weights, hidden[t]);
    total += logSumExp(logits) - logits[inputIds[t + 1]];
    count++;
  }
  const last = mask.lastIndexOf(1);
  if (last < 0) throw new Error('reference forward: the sequence has no unmasked token');
  return { lastLogits: referenceLogitsOf(config, weights, hidden[last]), meanLoss: count ? total / count : null, tokens: count };
}
