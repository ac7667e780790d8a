// A small decoder-only LM (Llama/Qwen2 architecture) built from the engine's composites, for tests and
// the training benchmark. Parameter names and layouts follow Hugging Face (weights [out, in]), so the
// PyTorch side of the benchmark can load the same tensors:
//   model.embed_tokens.weight [V, H]
//   model.layers.{i}.input_layernorm.weight [H]
//   model.layers.{i}.self_attn.{q,k,v,o}_proj.weight   q/o: [H, H], k/v: [kvHeads·D, H]
//   model.layers.{i}.post_attention_layernorm.weight [H]
//   model.layers.{i}.mlp.{gate,up}_proj.weight [I, H], mlp.down_proj.weight [H, I]
//   model.norm.weight [H], lm_head.weight [V, H]
// Forward: RMSNorm → GQA attention with RoPE (positions 0..S−1) → residual → RMSNorm → SwiGLU MLP →
// residual; final RMSNorm; untied lm_head; loss = mean cross-entropy over labels ≠ −100 (labels are
// already shifted by the caller: labels[t] is the token after input_ids[t]).

import type { DType } from '../../main/engine/ir/dtype.ts';
import type { Dim } from '../../main/engine/ir/dim.ts';
import { Graph, type Tensor } from '../../main/engine/ir/graph.ts';
import * as op from '../../main/engine/ops/api.ts';
import { applyRotary, attention, causalAttentionBias, crossEntropy, linear, rmsNorm, rotaryTables, swiglu } from '../../main/engine/nn/index.ts';

export type TinyLMConfig = {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  ropeTheta?: number;
  rmsEps?: number;
};

export type TinyLM = {
  graph: Graph;
  params: Tensor[];
  inputIds: Tensor;
  labels: Tensor;
  attentionMask: Tensor | null;
  logits: Tensor;
  loss: Tensor;
};

export function paramShapes(cfg: TinyLMConfig): [string, number[]][] {
  const D = cfg.hidden / cfg.heads;
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [cfg.vocabSize, cfg.hidden]]];
  for (let i = 0; i < cfg.layers; i++) {
    const p = `model.layers.${i}`;
    shapes.push(
      [`${p}.input_layernorm.weight`, [cfg.hidden]],
      [`${p}.self_attn.q_proj.weight`, [cfg.hidden, cfg.hidden]],
      [`${p}.self_attn.k_proj.weight`, [cfg.kvHeads * D, cfg.hidden]],
      [`${p}.self_attn.v_proj.weight`, [cfg.kvHeads * D, cfg.hidden]],
      [`${p}.self_attn.o_proj.weight`, [cfg.hidden, cfg.hidden]],
      [`${p}.post_attention_layernorm.weight`, [cfg.hidden]],
      [`${p}.mlp.gate_proj.weight`, [cfg.intermediate, cfg.hidden]],
      [`${p}.mlp.up_proj.weight`, [cfg.intermediate, cfg.hidden]],
      [`${p}.mlp.down_proj.weight`, [cfg.hidden, cfg.intermediate]],
    );
  }
  shapes.push(['model.norm.weight', [cfg.hidden]], ['lm_head.weight', [cfg.vocabSize, cfg.hidden]]);
  return shapes;
}

export function buildTinyLM(cfg: TinyLMConfig, opts: { dtype: DType; batch: Dim; seq: Dim; attentionMask?: boolean }): TinyLM {
  const g = new Graph('tiny_lm');
  const D = cfg.hidden / cfg.heads;
  const { batch: B, seq: S, dtype } = opts;
  const inputIds = g.input('input_ids', 'int64', [B, S]);
  const labels = g.input('labels', 'int64', [B, S]);
  const attentionMask = opts.attentionMask ? g.input('attention_mask', 'int64', [B, S]) : null;
  const P = new Map(paramShapes(cfg).map(([name, shape]) => [name, g.param(name, dtype, shape)]));
  const w = (name: string) => P.get(name)!;

  let h = g.scope('model.embed_tokens', () => op.gather(w('model.embed_tokens.weight'), inputIds));
  const bias = causalAttentionBias(g, S, dtype, attentionMask ?? undefined);
  const rope = rotaryTables(op.arange(g, S), D, cfg.ropeTheta ?? 10000, dtype);
  const heads = (x: Tensor, n: number) => op.transpose(op.reshape(x, [B, S, n, D]), [0, 2, 1, 3]);
  for (let i = 0; i < cfg.layers; i++) {
    const p = `model.layers.${i}`;
    h = g.scope(p, () => {
      const x = g.scope('input_layernorm', () => rmsNorm(h, w(`${p}.input_layernorm.weight`), cfg.rmsEps));
      const attn = g.scope('self_attn', () => {
        const q = applyRotary(heads(g.scope('q_proj', () => linear(x, w(`${p}.self_attn.q_proj.weight`))), cfg.heads), rope);
        const k = applyRotary(heads(g.scope('k_proj', () => linear(x, w(`${p}.self_attn.k_proj.weight`))), cfg.kvHeads), rope);
        const v = heads(g.scope('v_proj', () => linear(x, w(`${p}.self_attn.v_proj.weight`))), cfg.kvHeads);
        const o = op.reshape(op.transpose(attention(q, k, v, bias), [0, 2, 1, 3]), [B, S, cfg.hidden]);
        return g.scope('o_proj', () => linear(o, w(`${p}.self_attn.o_proj.weight`)));
      });
      const h1 = op.add(h, attn);
      const y = g.scope('post_attention_layernorm', () => rmsNorm(h1, w(`${p}.post_attention_layernorm.weight`), cfg.rmsEps));
      const mlp = g.scope('mlp', () => {
        const gate = g.scope('gate_proj', () => linear(y, w(`${p}.mlp.gate_proj.weight`)));
        const up = g.scope('up_proj', () => linear(y, w(`${p}.mlp.up_proj.weight`)));
        return g.scope('down_proj', () => linear(swiglu(gate, up), w(`${p}.mlp.down_proj.weight`)));
      });
      return op.add(h1, mlp);
    });
  }
  const normed = g.scope('model.norm', () => rmsNorm(h, w('model.norm.weight'), cfg.rmsEps));
  const logits = g.scope('lm_head', () => linear(normed, w('lm_head.weight')));
  const loss = crossEntropy(logits, labels);
  return { graph: g, params: [...P.values()], inputIds, labels, attentionMask, logits, loss };
}

/** Deterministic initial weights: N(0, 0.02²) for matrices (Box–Muller on a seeded xorshift), ones for norms. */
export function initTinyLM(cfg: TinyLMConfig, seed: number, dtype: 'float32' | 'float64' = 'float32'): Map<string, Float32Array | Float64Array> {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const out = new Map<string, Float32Array | Float64Array>();
  for (const [name, shape] of paramShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const arr = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    if (shape.length === 1) arr.fill(1);
    else for (let i = 0; i < n; i++) arr[i] = 0.02 * normal();
    out.set(name, arr);
  }
  return out;
}
