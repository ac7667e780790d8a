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
import { collectingInnerSegments, innerSegment } from '../recompute.ts';

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
export function attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, options: { headChunks?: number } = {}): Tensor {
  const chunks = options.headChunks ?? 1;
  if (chunks > 1) return headChunkedAttention(q, k, v, bias, chunks, collectingInnerSegments());
  return plainAttention(q, k, v, bias);
}

/**
 * Attention in `chunks` groups of query heads, one after another, so one group's [B, heads/chunks, S, S]
 * scores and probabilities exist at a time instead of all heads'. While a checkpointed layer is rebuilt
 * in the backward pass (`segmented`), each group is an inner recompute segment (../recompute.ts): its
 * forward is rebuilt again right before its own backward, so the backward does not hold every group's
 * probabilities either. In the plain forward of a checkpointed layer (nothing reads it backward) the
 * groups are just computed in turn. Exact: the same softmax(QKᵀ/√D + bias)·V per head. Heads, not query
 * positions: the sequence axis is symbolic in the step graphs (one graph serves every length bucket),
 * the head count is static. Measured (bench/lib/attention-chunks-probe.ts, 16 heads, hidden 256, 2 layers,
 * one checkpointed forward + backward): 2048 tokens, 8 chunks: peak RSS 1266 → 420 MiB; 4096 tokens, 16
 * chunks: 3580 → 726 MiB. Still O(S²) per chunk: the chunks divide it by k, they do not bound it in S.
 */
function headChunkedAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, chunks: number, segmented: boolean): Tensor {
  const g = q.graph;
  const Hq = q.shape[1];
  const Hkv = k.shape[1];
  if (typeof Hq !== 'number' || typeof Hkv !== 'number') throw g.error('Attention', 'head counts must be static');
  if (!Number.isInteger(chunks) || Hq % chunks !== 0) throw g.error('Attention', `headChunks ${chunks} must divide the ${Hq} query heads`);
  const per = Hq / chunks; // query heads per chunk
  const groups = Hq / Hkv; // query heads per key/value head
  if (per % groups !== 0 && groups % per !== 0) throw g.error('Attention', `a chunk of ${per} query heads must hold whole key/value groups of ${groups} or divide one`);
  return g.scope('attention_chunks', () => {
    const outs: Tensor[] = [];
    for (let c = 0; c < chunks; c++) {
      const kvFrom = Math.floor((c * per) / groups);
      const kvTo = Math.max(kvFrom + 1, ((c + 1) * per) / groups);
      const qs = op.slice(q, 1, c * per, (c + 1) * per);
      const ks = op.slice(k, 1, kvFrom, kvTo);
      const vs = op.slice(v, 1, kvFrom, kvTo);
      // q + 0·(a value of the previous group's output): onnxruntime would otherwise run every group's
      // score MatMul first (they depend on q and k only) and hold all heads' scores again.
      const previous = outs.at(-1);
      const after = (x: Tensor) => (previous ? op.add(x, op.stopGradient(op.mul(op.gather(op.reshape(previous, [-1]), g.scalar(0, 'int64')), 0))) : x);
      if (!segmented) {
        outs.push(g.scope(`heads_${c}`, () => plainAttention(after(qs), ks, vs, bias)));
        continue;
      }
      const qc = op.stopGradient(qs);
      const kc = op.stopGradient(ks);
      const vc = op.stopGradient(vs);
      const rebuild = (x: Tensor) => g.scope(`heads_${c}`, () => plainAttention(x, kc, vc, bias));
      const out = op.stopGradient(rebuild(after(qc)));
      innerSegment({ input: qc, output: out, rebuild, extraInputs: [kc, vc] });
      outs.push(out);
    }
    return op.concat(outs, 1);
  });
}

function plainAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
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
