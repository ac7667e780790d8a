// GGUF v3 numbers, as ggml defines them (ggml/include/ggml.h `enum ggml_type`, gguf-py `constants.py`).
// Only the members we write or read are listed; the numbers are part of the file format, never renumber.

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** What llama.cpp's loader checks `general.quantization_version` against (GGML_QNT_VERSION). */
export const GGML_QUANT_VERSION = 2;

/** Metadata value types (gguf_type). */
export enum GGUFValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Tensor element types (ggml_type) that this exporter writes. */
export enum GGMLType {
  F32 = 0,
  F16 = 1,
  Q5_0 = 6,
  Q8_0 = 8,
  Q4_K = 12,
  Q6_K = 14,
  BF16 = 30,
}

/** Elements per block and bytes per block of each type (ggml's type_traits: blck_size, type_size). */
export const GGML_BLOCK: Record<GGMLType, { elements: number; bytes: number }> = {
  [GGMLType.F32]: { elements: 1, bytes: 4 },
  [GGMLType.F16]: { elements: 1, bytes: 2 },
  [GGMLType.BF16]: { elements: 1, bytes: 2 },
  [GGMLType.Q5_0]: { elements: 32, bytes: 22 }, // f16 d, u8 qh[4], u8 qs[16]
  [GGMLType.Q8_0]: { elements: 32, bytes: 34 }, // f16 d, i8 qs[32]
  [GGMLType.Q4_K]: { elements: 256, bytes: 144 }, // f16 d, f16 dmin, u8 scales[12], u8 qs[128]
  [GGMLType.Q6_K]: { elements: 256, bytes: 210 }, // u8 ql[128], u8 qh[64], i8 scales[16], f16 d
};

/** `general.file_type` (llama_ftype): what most of the weights are. */
export enum LlamaFileType {
  ALL_F32 = 0,
  MOSTLY_F16 = 1,
  MOSTLY_Q8_0 = 7,
  MOSTLY_Q4_K_M = 15,
  MOSTLY_BF16 = 32,
}

/** `tokenizer.ggml.token_type` values (llama_token_type). */
export enum TokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export function ggmlTypeName(type: number): string {
  return GGMLType[type] ?? `type ${type}`;
}

/** Bytes that `count` elements (a multiple of the block size) take in `type`. */
export function ggmlByteSize(type: GGMLType, count: number): number {
  const block = GGML_BLOCK[type];
  if (!block) throw new Error(`GGUF: unsupported tensor type ${ggmlTypeName(type)}`);
  if (count % block.elements !== 0) throw new Error(`GGUF: ${count} elements is not a whole number of ${ggmlTypeName(type)} blocks of ${block.elements}`);
  return (count / block.elements) * block.bytes;
}
