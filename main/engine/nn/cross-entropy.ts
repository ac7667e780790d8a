// Token-level losses on logits [..., V].

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';
import type { RecomputeSegment } from '../recompute.ts';

/**
 * Mean cross-entropy over positions whose label ≠ ignoreIndex (PyTorch's F.cross_entropy defaults).
 * Uses the fused SoftmaxCrossEntropy primitive, whose gradient is the closed form softmax − onehot.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  const V = logits.shape[logits.rank - 1];
  return logits.graph.scope('cross_entropy', () =>
    op.softmaxCrossEntropy(op.reshape(logits, [-1, V]), op.reshape(labels, [-1]), ignoreIndex).loss,
  );
}

/** log p(token) for each position: logits [..., V], tokens [...] → [...] (e.g. GRPO's policy log-probs). */
export function tokenLogProbs(logits: Tensor, tokens: Tensor): Tensor {
  return logits.graph.scope('token_log_probs', () =>
    op.squeeze(op.gatherElements(op.logSoftmax(logits, -1), op.unsqueeze(tokens, [-1]), -1), [-1]),
  );
}

/**
 * Mean cross-entropy of the LM head x·Wᵀ without its [N, V] logits ever existing whole (issue #19: a
 * 151,936-token vocabulary makes them the step's largest tensor). The vocabulary is cut into `chunks`
 * column blocks W_c; per block only [N, V/k] logits exist, reduced at once to their log-sum-exp and the
 * label's logit (if the label falls in the block). The blocks are recompute segments (../recompute.ts):
 * the backward rebuilds one block's logits at a time. We chunk the vocabulary, not the positions,
 * because positions are symbolic (one graph serves every shape bucket) and the vocabulary is static.
 *
 * `hidden` [..., H] must be a StopGradient boundary (it is the segments' input); returns the loss and
 * the segments to hand the train step (after any segments that produce `hidden`).
 */
export function chunkedLinearCrossEntropy(hidden: Tensor, weight: Tensor, labels: Tensor, chunks: number, ignoreIndex = -100): { loss: Tensor; segments: RecomputeSegment[] } {
  const g = hidden.graph;
  const [V, H] = weight.shape;
  if (typeof V !== 'number' || typeof H !== 'number') throw g.error('ChunkedCrossEntropy', 'the head weight must have a static [vocab, hidden] shape');
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > V) throw g.error('ChunkedCrossEntropy', `chunks must be an integer in [1, ${V}], got ${chunks}`);
  if (hidden.producer?.op !== 'StopGradient') throw g.error('ChunkedCrossEntropy', 'hidden must be a StopGradient boundary (the chunks recompute from it)');
  // Half-precision hidden states (mixed precision): each block's logits and the loss in float32.
  const lossDtype = hidden.dtype === 'float16' || hidden.dtype === 'bfloat16' ? 'float32' : hidden.dtype;
  return g.scope('chunked_cross_entropy', () => {
    const flatLabels = op.reshape(labels, [-1]); // [N]
    const size = Math.ceil(V / chunks);
    const segments: RecomputeSegment[] = [];
    const parts: Tensor[] = [];
    // The weight in blocks (one Split; its gradient is one Concat): a Slice per block would give each block
    // a gradient padded to the whole [V, H] table.
    const sizes = Array.from({ length: Math.ceil(V / size) }, (_, c) => Math.min(size, V - c * size));
    const blocks = op.split(weight, sizes, 0).map((b) => op.stopGradient(b));
    for (let c = 0; c * size < V; c++) {
      const start = c * size;
      const end = Math.min(V, start + size);
      // [N, 2]: log Σ exp(logits of the block), and the label's logit when the label is in the block (else 0).
      const block = (x: Tensor): Tensor => g.scope(`vocab_${c}`, () => {
        const logits = op.cast(op.gemm(op.reshape(x, [-1, H]), blocks[c], { transB: true }), lossDtype); // [N, end − start]
        const local = op.sub(flatLabels, g.scalar(start, 'int64'));
        const inBlock = op.and(op.greaterOrEqual(local, g.scalar(0, 'int64')), op.less(local, g.scalar(end - start, 'int64')));
        const index = op.where(inBlock, local, g.scalar(0, 'int64'));
        const picked = op.gatherElements(logits, op.unsqueeze(index, [-1]), 1); // [N, 1]
        const labelLogit = op.mul(picked, op.unsqueeze(op.cast(inBlock, logits.dtype), [-1]));
        return op.concat([logSumExp(logits), labelLogit], -1);
      });
      const output = op.stopGradient(block(hidden));
      segments.push({ input: hidden, output, rebuild: block, extraInputs: [blocks[c]] });
      parts.push(output);
    }
    const stacked = op.concat(parts.map((p) => op.slice(p, 1, 0, 1)), -1); // [N, k] per-block log-sum-exps
    const total = op.sub(op.slice(stacked, 1, 0, 1), op.slice(op.logSoftmax(stacked, -1), 1, 0, 1)); // [N, 1] log Σ over blocks
    const labelLogit = parts.map((p) => op.slice(p, 1, 1, 2)).reduce((a, b) => op.add(a, b)); // [N, 1]
    const valid = op.cast(op.notEqual(flatLabels, g.scalar(ignoreIndex, 'int64')), lossDtype); // [N]
    const perToken = op.mul(op.reshape(op.sub(total, labelLogit), [-1]), valid);
    const count = op.maximum(op.reduceSum(valid, [0]), g.scalar(1, lossDtype));
    return { loss: op.div(op.reduceSum(perToken, [0]), count), segments };
  });
}


/** log Σ exp over the last axis, kept as [N, 1] (max-shifted for range). */
function logSumExp(x: Tensor): Tensor {
  const m = op.stopGradient(op.reduceMax(x, [-1], true));
  return op.add(m, op.log(op.reduceSum(op.exp(op.sub(x, m)), [-1], true)));
}
