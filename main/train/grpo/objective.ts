// The GRPO objective as engine graph ops over per-token log-probs, so one train-step graph computes
// forward, loss and gradients (and AdamW) in a single ONNX run.
//
// Per response token t of response i (mask_it = 1):
//   ratio_it = exp(logp_it − old_it)                       (old = the rollout policy's log-probs, stored)
//   pg_it    = −min(ratio_it · A_i, clip(ratio_it, 1 − εlow, 1 + εhigh) · A_i)
//   kl_it    = exp(ref_it − logp_it) − (ref_it − logp_it) − 1        (k3, Schulman's unbiased, ≥ 0)
//   ℓ_it     = pg_it + β · kl_it
// Aggregation over the (mini-)batch:
//   token     Σ ℓ·mask / Σ mask                              (DAPO: every token weighs the same)
//   sequence  mean over responses with tokens of Σ_t ℓ·mask / Σ_t mask   (GRPO)
//   constant  Σ ℓ·mask / (responses × maxNewTokens)           (Dr. GRPO: no length bias)
//
// Clipping modes:
//   standard  the clipped branch is a constant: a clipped token sends no gradient at all (PPO, GRPO, DAPO).
//   gppo      Gradient-Preserving clipping (GPPO, Klear-Reasoner): the clipped ratio is written
//             (1 ± ε)·δ/sg(δ), i.e. clip(δ)·δ/sg(δ) — the same value as the standard clip, but its gradient
//             w.r.t. logp is clip(δ)·A instead of 0. A clipped token still pushes, with its ratio bounded
//             at the clip edge (1 − εlow or 1 + εhigh), so exploring tokens with A > 0 and over-shot
//             negatives with A < 0 keep a bounded signal. The loss value is unchanged; only the backward
//             differs. The unclipped branch (inside the trust region) is untouched.
import { op, type Tensor } from '../../engine/index.ts';

export type LossAggregation = 'token' | 'sequence' | 'constant';

export interface ObjectiveOptions {
  epsLow: number;
  epsHigh: number;
  aggregation: LossAggregation;
  /** KL coefficient; 0 leaves the KL out of the loss (it is still reported when ref log-probs are given). */
  beta: number;
  /** The constant normaliser's token budget per response ('constant' aggregation). */
  maxNewTokens: number;
  /** 'standard' (default): clipped tokens send no gradient; 'gppo': bounded gradients through clipped tokens. */
  clipMode?: ClipMode;
}

export type ClipMode = 'standard' | 'gppo';

export interface ObjectiveInputs {
  /** Current policy log-probs of the response tokens [B, S] (differentiable). */
  logProbs: Tensor;
  /** Rollout policy log-probs [B, S] (constants). */
  oldLogProbs: Tensor;
  /** Reference policy log-probs [B, S]; needed when beta > 0. */
  refLogProbs?: Tensor;
  /** One advantage per response [B]. */
  advantages: Tensor;
  /** 1 at response tokens that count, 0 elsewhere [B, S], in the float dtype. */
  mask: Tensor;
}

export interface Objective {
  loss: Tensor;
  /** Scalar diagnostics (no gradient flows through them into the loss). */
  metrics: {
    /** Share of response tokens where the clipped branch is the active one. */
    clip_fraction: Tensor;
    /** Mean k3 KL per response token (0 without ref log-probs). */
    kl: Tensor;
    ratio_mean: Tensor;
    /** Mean policy-gradient term per response token. */
    pg_loss: Tensor;
  };
}

export function validateObjectiveOptions(o: ObjectiveOptions): void {
  if (!(o.epsLow > 0 && o.epsLow < 1)) throw new RangeError(`objective: epsLow must be in (0, 1), got ${o.epsLow}`);
  if (!(o.epsHigh > 0)) throw new RangeError(`objective: epsHigh must be > 0, got ${o.epsHigh}`);
  if (!(o.beta >= 0)) throw new RangeError(`objective: beta must be ≥ 0, got ${o.beta}`);
  if (!['token', 'sequence', 'constant'].includes(o.aggregation)) throw new Error(`objective: unknown aggregation ${o.aggregation}`);
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens > 0)) throw new RangeError(`objective: maxNewTokens must be a positive integer, got ${o.maxNewTokens}`);
  if (o.clipMode !== undefined && o.clipMode !== 'standard' && o.clipMode !== 'gppo') throw new Error(`objective: clipMode must be 'standard' or 'gppo', got ${o.clipMode}`);
}

export function grpoObjective(x: ObjectiveInputs, options: ObjectiveOptions): Objective {
  validateObjectiveOptions(options);
  if (options.beta > 0 && !x.refLogProbs) throw new Error('objective: beta > 0 needs reference log-probs');
  const g = x.logProbs.graph;
  return g.scope('grpo_objective', () => {
    const dtype = x.logProbs.dtype;
    const mask = x.mask;
    const advantage = op.unsqueeze(x.advantages, [1]); // [B, 1]
    const ratio = op.exp(op.sub(x.logProbs, x.oldLogProbs));
    const unclipped = op.mul(ratio, advantage);
    const hardClipped = op.clip(ratio, 1 - options.epsLow, 1 + options.epsHigh);
    // GPPO: δ · sg(clip(δ)/δ) has clip(δ)'s value and the gradient clip(δ)·∂logp (∂δ = δ·∂logp).
    const clippedRatio = options.clipMode === 'gppo' ? op.mul(ratio, op.stopGradient(op.div(hardClipped, ratio))) : hardClipped;
    const clipped = op.mul(clippedRatio, advantage);
    const pg = op.neg(op.minimum(unclipped, clipped));
    let kl: Tensor | null = null;
    if (x.refLogProbs) {
      const d = op.sub(x.refLogProbs, x.logProbs);
      kl = op.sub(op.sub(op.exp(d), d), 1);
    }
    const perToken = kl && options.beta > 0 ? op.add(pg, op.mul(kl, options.beta)) : pg;

    const tokens = op.maximum(op.reduceSum(mask, [0, 1], false), 1);
    const maskedMean = (t: Tensor) => op.div(op.reduceSum(op.mul(t, mask), [0, 1], false), tokens);
    let loss: Tensor;
    if (options.aggregation === 'token') loss = maskedMean(perToken);
    else if (options.aggregation === 'sequence') {
      const rowTokens = op.reduceSum(mask, [1], false); // [B]
      const rowMean = op.div(op.reduceSum(op.mul(perToken, mask), [1], false), op.maximum(rowTokens, 1));
      const rows = op.maximum(op.reduceSum(op.cast(op.greater(rowTokens, 0), dtype), [0], false), 1);
      loss = op.div(op.reduceSum(rowMean, [0], false), rows);
    } else {
      const responses = op.dimSize(g, x.logProbs.shape[0], dtype);
      loss = op.div(op.reduceSum(op.mul(perToken, mask), [0, 1], false), op.mul(responses, options.maxNewTokens));
    }

    // Diagnostics: the clipped branch is active where it is strictly smaller than the unclipped one
    // (ratio below 1 − εlow with A < 0, or above 1 + εhigh with A > 0).
    const active = op.cast(op.less(clipped, unclipped), dtype);
    const frozen = (t: Tensor) => op.stopGradient(t);
    return {
      loss,
      metrics: {
        clip_fraction: frozen(maskedMean(active)),
        kl: kl ? frozen(maskedMean(kl)) : op.zeros(g, [], dtype),
        ratio_mean: frozen(maskedMean(ratio)),
        pg_loss: frozen(maskedMean(pg)),
      },
    };
  });
}

/** Mean entropy of the next-token distributions at masked positions: logits [B, S, V], mask [B, S]. */
export function maskedEntropy(logits: Tensor, mask: Tensor): Tensor {
  return logits.graph.scope('entropy', () => {
    const logp = op.logSoftmax(op.stopGradient(logits), -1);
    const entropy = op.neg(op.reduceSum(op.mul(op.exp(logp), logp), [-1], false)); // [B, S]
    return op.div(op.reduceSum(op.mul(entropy, mask), [0, 1], false), op.maximum(op.reduceSum(mask, [0, 1], false), 1));
  });
}
