// Which ggml type each tensor gets for a requested `--quant`, following llama.cpp.
//
//   f32 / f16 / bf16  every matrix in that type; 1-D tensors (norms, biases) stay F32, as
//                     convert_hf_to_gguf.py writes them.
//   q8_0              every matrix Q8_0 (convert_hf_to_gguf.py --outtype q8_0).
//   q4_k_m            llama-quantize's Q4_K_M (llama_tensor_get_type in llama-quant.cpp):
//                       - output.weight Q6_K; with tied embeddings (no output.weight) token_embd.weight is
//                         the output and gets Q6_K;
//                       - attn_v.weight and ffn_down.weight Q6_K in the layers use_more_bits picks:
//                         the first and last eighth of the layers and every third layer between,
//                         i < n/8 || i >= 7n/8 || (i − n/8) % 3 == 2;
//                       - every other matrix Q4_K.
// A row that is not a whole number of blocks falls back as llama.cpp does: Q4_K → Q5_0, Q6_K → Q8_0,
// and to F16 when even 32-value blocks do not fit (tiny test models with hidden size 8).

import { GGML_BLOCK, GGMLType, LlamaFileType } from './constants.ts';

export const QUANT_NAMES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m'] as const;
export type QuantName = (typeof QUANT_NAMES)[number];

export const FILE_TYPE: Record<QuantName, LlamaFileType> = {
  f32: LlamaFileType.ALL_F32,
  f16: LlamaFileType.MOSTLY_F16,
  bf16: LlamaFileType.MOSTLY_BF16,
  q8_0: LlamaFileType.MOSTLY_Q8_0,
  q4_k_m: LlamaFileType.MOSTLY_Q4_K_M,
};

/** llama-quant.cpp use_more_bits. */
export function useMoreBits(layer: number, layers: number): boolean {
  return layer < Math.floor(layers / 8) || layer >= Math.floor((7 * layers) / 8) || (layer - Math.floor(layers / 8)) % 3 === 2;
}

const FALLBACK: Partial<Record<GGMLType, GGMLType>> = {
  [GGMLType.Q4_K]: GGMLType.Q5_0,
  [GGMLType.Q6_K]: GGMLType.Q8_0,
  [GGMLType.Q5_0]: GGMLType.F16,
  [GGMLType.Q8_0]: GGMLType.F16,
};

/** The type for a GGUF tensor of `shape` (PyTorch order) under `quant`. */
export function tensorType(quant: QuantName, ggufName: string, shape: number[], model: { numLayers: number; hasOutput: boolean }): GGMLType {
  if (shape.length < 2) return GGMLType.F32;
  let type: GGMLType;
  switch (quant) {
    case 'f32': type = GGMLType.F32; break;
    case 'f16': type = GGMLType.F16; break;
    case 'bf16': type = GGMLType.BF16; break;
    case 'q8_0': type = GGMLType.Q8_0; break;
    case 'q4_k_m': type = q4kmType(ggufName, model); break;
  }
  const cols = shape[shape.length - 1];
  while (cols % GGML_BLOCK[type].elements !== 0) type = FALLBACK[type] ?? GGMLType.F16;
  return type;
}

function q4kmType(name: string, model: { numLayers: number; hasOutput: boolean }): GGMLType {
  if (name === 'output.weight' || (!model.hasOutput && name === 'token_embd.weight')) return GGMLType.Q6_K;
  const m = /^blk\.(\d+)\.(attn_v|ffn_down)\.weight$/.exec(name);
  if (m && useMoreBits(Number(m[1]), model.numLayers)) return GGMLType.Q6_K;
  return GGMLType.Q4_K;
}
