// Hugging Face tensor names → llama.cpp's GGUF names (gguf-py tensor_mapping.py, LLM_TENSOR_NAMES), and the
// one layout change the conversion needs: Llama's q/k rows are permuted (convert_hf_to_gguf.py
// LlamaModel.permute) because llama.cpp's `llama` graph applies rotary to interleaved pairs while
// transformers rotates halves. Qwen2 and Qwen3 run llama.cpp's NeoX-style rotary, so they are copied as is.

import type { ModelFamily } from '../../models/config.ts';

const LAYER = /^model\.layers\.(\d+)\.(.+)$/;

const TOP_LEVEL: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

const IN_LAYER: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.o_proj.bias': 'attn_output.bias',
  'self_attn.q_norm.weight': 'attn_q_norm.weight', // Qwen3
  'self_attn.k_norm.weight': 'attn_k_norm.weight', // Qwen3
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.gate_proj.bias': 'ffn_gate.bias',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.up_proj.bias': 'ffn_up.bias',
  'mlp.down_proj.weight': 'ffn_down.weight',
  'mlp.down_proj.bias': 'ffn_down.bias',
};

/** The GGUF name of a HF tensor, or null for tensors llama.cpp does not load (rotary caches). */
export function ggufTensorName(hfName: string): string | null {
  if (TOP_LEVEL[hfName]) return TOP_LEVEL[hfName];
  const m = LAYER.exec(hfName);
  if (m && IN_LAYER[m[2]]) return `blk.${m[1]}.${IN_LAYER[m[2]]}`;
  if (hfName.endsWith('rotary_emb.inv_freq')) return null;
  throw new Error(`GGUF export: no llama.cpp name for tensor "${hfName}"`);
}

/** llama.cpp's `general.architecture` for a family. */
export function ggufArchitecture(family: ModelFamily): string {
  return family; // qwen2, qwen3 and llama are llama.cpp's names too
}

/**
 * Rows to reorder for llama.cpp's rotary layout: for Llama q_proj / k_proj (weight and bias), the head count
 * to permute with; null when the tensor is copied unchanged.
 */
export function rotaryPermuteHeads(family: ModelFamily, hfName: string, heads: { q: number; kv: number }): number | null {
  if (family !== 'llama') return null;
  if (/self_attn\.q_proj\.(weight|bias)$/.test(hfName)) return heads.q;
  if (/self_attn\.k_proj\.(weight|bias)$/.test(hfName)) return heads.kv;
  return null;
}

/**
 * LlamaModel.permute: view the rows as [heads, 2, headDim/2] and swap the last two axes, so row
 * h·D + 2i + p comes from row h·D + p·D/2 + i (D = rows per head). Works on [rows, cols] or [rows].
 */
export function permuteRotaryRows(data: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  if (rows % heads !== 0 || (rows / heads) % 2 !== 0) throw new Error(`GGUF export: ${rows} rows do not split into ${heads} heads of even size`);
  const perHead = rows / heads;
  const half = perHead / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let p = 0; p < 2; p++) {
        const dst = h * perHead + 2 * i + p;
        const src = h * perHead + p * half + i;
        out.set(data.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}
