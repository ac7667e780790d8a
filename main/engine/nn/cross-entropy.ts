// Token-level losses on logits [..., V].

import type { Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

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
