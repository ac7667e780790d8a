// Causal (grouped-query) scaled dot-product attention with padding masks.
//
// Grouped-query attention never repeats K/V: queries are viewed as [B, Hkv, G, S, D] and K/V as
// [B, Hkv, 1, S, D], so MatMul broadcasts over the group axis and the K/V gradients are summed over it
// by the autodiff walk. The 1/√D scale goes on Q ([B,H,S,D]) rather than on the scores ([B,H,S,S]),
// and the mask is one additive bias shared by all layers: per layer the backward pass materializes
// the [B,H,S,S] scores, probabilities and their gradient only.

import { maskingValue, type DType } from '../ir/dtype.ts';
import type { Dim } from '../ir/dim.ts';
import type { Graph, Tensor } from '../ir/graph.ts';
import * as op from '../ops/api.ts';

/**
 * Additive attention bias [B or 1, 1, S, S]: 0 where query i may attend key j (j ≤ i and key j is not
 * padding), a large negative value elsewhere. `attentionMask` is [B, S] (1 = token, 0 = padding).
 */
export function causalAttentionBias(graph: Graph, seq: Dim, dtype: DType, attentionMask?: Tensor): Tensor {
  return graph.scope('attention_bias', () => {
    const pos = op.arange(graph, seq);
    let allowed = op.lessOrEqual(op.unsqueeze(pos, [0]), op.unsqueeze(pos, [1])); // [S, S]: key ≤ query
    if (attentionMask) {
      const keyIsToken = op.unsqueeze(attentionMask.dtype === 'bool' ? attentionMask : op.notEqual(attentionMask, 0), [1, 2]); // [B,1,1,S]
      allowed = op.and(allowed, keyIsToken);
    } else {
      allowed = op.unsqueeze(allowed, [0, 1]);
    }
    return op.where(allowed, graph.scalar(0, dtype), graph.scalar(maskingValue(dtype), dtype));
  });
}

/**
 * softmax(Q·Kᵀ/√D + bias)·V for q [B, Hq, S, D], k and v [B, Hkv, S, D] (Hq a multiple of Hkv),
 * bias [B or 1, 1, S, S]. Returns [B, Hq, S, D].
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  const g = q.graph;
  const [B, Hq, S, D] = q.shape;
  const Hkv = k.shape[1];
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw g.error('Attention', `q, k, v must be [B, H, S, D]`);
  if (typeof Hq !== 'number' || typeof Hkv !== 'number' || Hq % Hkv !== 0) throw g.error('Attention', `query heads ${Hq} must be a multiple of key/value heads ${Hkv}`);
  if (typeof D !== 'number') throw g.error('Attention', 'head dim must be static');
  return g.scope('attention', () => {
    const scaled = op.mul(q, 1 / Math.sqrt(D));
    const groups = Hq / Hkv;
    const kT = op.transpose(k, [0, 1, 3, 2]);
    if (groups === 1) {
      const probs = op.softmax(op.add(op.matmul(scaled, kT), bias), -1);
      return op.matmul(probs, v);
    }
    const q5 = op.reshape(scaled, [B, Hkv, groups, S, D]);
    const scores = op.matmul(q5, op.unsqueeze(kT, [2])); // [B, Hkv, G, S, S]
    const probs = op.softmax(op.add(scores, op.unsqueeze(bias, [2])), -1);
    return op.reshape(op.matmul(probs, op.unsqueeze(v, [2])), [B, Hq, S, D]);
  });
}
