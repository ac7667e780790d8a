// A Hugging Face model folder (optionally with a PEFT LoRA adapter merged in) → one GGUF file that
// llama.cpp, Ollama and LM Studio load. Streaming: the header is planned from the safetensors headers
// alone, then each tensor is read, merged, reordered and encoded on its own and written out, so memory
// holds one tensor at a time (plus its encoded rows), never the model.

import { basename, resolve } from 'node:path';
import { SafetensorsFile, locateSafetensors, type SafeTensor } from '../../engine/safetensors.ts';
import { join } from 'node:path';
import { loadModelConfig, type ModelConfig } from '../../models/config.ts';
import { mergeLoraAdapter, readLoraAdapter, type LoraAdapter } from '../../models/peft.ts';
import { GGML_QUANT_VERSION, GGMLType, GGUFValueType, ggmlTypeName } from './constants.ts';
import { GGUFWriter } from './gguf-writer.ts';
import { quantize } from './quants.ts';
import { QuantPool } from './quant-pool.ts';
import { FILE_TYPE, QUANT_NAMES, tensorType, type QuantName } from './quant-plan.ts';
import { ggufArchitecture, ggufTensorName, permuteRotaryRows, rotaryPermuteHeads } from './tensor-names.ts';
import { buildGgufVocab, type GgufVocab } from './vocab.ts';

export interface GgufProgress {
  /** 1-based index of the tensor just written, and how many there are. */
  index: number;
  total: number;
  tensor: string;
  type: string;
  bytesWritten: number;
  totalBytes: number;
}

export interface GgufExportOptions {
  modelDir: string;
  outPath: string;
  quant?: QuantName;
  /** A PEFT LoRA folder merged into the weights tensor by tensor. */
  adapterDir?: string;
  /**
   * Type for token_embd.weight whatever `quant` says (llama-quantize's --token-embedding-type): the
   * embedding of a 150k-token vocabulary is most of a small model, and K-quant encoding in JS is slow.
   */
  tokenEmbeddingType?: GGMLType;
  /**
   * Threads for Q4_K / Q6_K encoding (default 1: this thread). The CLI and the export job pass the
   * machine's parallelism; the file is the same for any count.
   */
  threads?: number;
  /** `general.name` (default: the model folder's name). */
  name?: string;
  onProgress?: (p: GgufProgress) => void;
}

export interface GgufExportResult {
  path: string;
  architecture: string;
  quant: QuantName;
  bytes: number;
  tensors: { name: string; type: string; shape: number[] }[];
  vocab: GgufVocab;
  config: ModelConfig;
}

/** Encoded output per slice: about 64 MB of float input rows at a time. */
const SLICE_ELEMENTS = 16 << 20;

interface Source {
  hfName: string;
  ggufName: string;
  shape: number[];
  type: GGMLType;
  read: () => Float32Array;
}

export async function exportGguf(options: GgufExportOptions): Promise<GgufExportResult> {
  const quant = options.quant ?? 'f16';
  if (!QUANT_NAMES.includes(quant)) throw new Error(`--quant must be one of ${QUANT_NAMES.join(', ')}, got "${quant}"`);
  const config = loadModelConfig(options.modelDir);
  if (config.task !== 'causal-lm') throw new Error(`GGUF export: ${config.architecture} is a ${config.task} model; llama.cpp runs causal LMs`);
  const vocab = buildGgufVocab(options.modelDir, config);
  const adapter = options.adapterDir ? readLoraAdapter(options.adapterDir) : null;

  const { files, weightMap } = locateSafetensors(options.modelDir);
  const handles = files.map((f) => SafetensorsFile.open(join(options.modelDir, f)));
  const writer = new GGUFWriter(options.outPath);
  const pool = (options.threads ?? 1) > 1 ? QuantPool.create(options.threads) : null;
  try {
    const fileOf = new Map<string, SafetensorsFile>();
    for (const [i, h] of handles.entries()) for (const n of h.names()) if (!weightMap || weightMap.get(n) === files[i]) fileOf.set(n, h);
    const names = orderedNames([...fileOf.keys(), ...(adapter ? [...adapter.extra.keys()] : [])], config);
    const hasOutput = names.includes('lm_head.weight');
    const sources: Source[] = [];
    for (const hfName of names) {
      const ggufName = ggufTensorName(hfName);
      if (ggufName === null) continue;
      const extra = adapter?.extra.get(hfName);
      const shape = extra ? [...extra.shape] : fileOf.get(hfName)!.info(hfName).shape;
      const planned = tensorType(quant, ggufName, shape, { numLayers: config.numLayers, hasOutput });
      const type = ggufName === 'token_embd.weight' && options.tokenEmbeddingType !== undefined ? options.tokenEmbeddingType : planned;
      sources.push({ hfName, ggufName, shape, type, read: () => loadTensor(hfName, fileOf, adapter, config) });
    }
    const ropeFreqs = llama3RopeFactors(config);
    if (ropeFreqs) sources.push({ hfName: '(llama3 rope scaling)', ggufName: 'rope_freqs.weight', shape: [ropeFreqs.length], type: GGMLType.F32, read: () => ropeFreqs });

    writeMetadata(writer, config, vocab, quant, options.name ?? basename(resolve(options.modelDir)));
    for (const s of sources) writer.addTensor(s.ggufName, s.shape, s.type);
    writer.writeHeader();
    const totalBytes = writer.fileSize;
    let written = totalBytes - writer.plannedTensors.reduce((a, t) => a + t.byteLength, 0);
    for (const [i, s] of sources.entries()) {
      const data = s.read();
      const cols = s.shape[s.shape.length - 1];
      const rowsPerSlice = Math.max(1, Math.floor(SLICE_ELEMENTS / cols));
      for (let r = 0; r * cols < data.length; r += rowsPerSlice) {
        const slice = data.subarray(r * cols, Math.min(data.length, (r + rowsPerSlice) * cols));
        const bytes = pool && (s.type === GGMLType.Q4_K || s.type === GGMLType.Q6_K) ? await pool.encode(slice, s.type) : quantize(slice, s.type);
        writer.writeTensorData(s.ggufName, bytes);
        written += bytes.byteLength;
      }
      options.onProgress?.({ index: i + 1, total: sources.length, tensor: s.ggufName, type: ggmlTypeName(s.type), bytesWritten: written, totalBytes });
    }
    writer.close();
    return {
      path: options.outPath,
      architecture: ggufArchitecture(config.family),
      quant,
      bytes: totalBytes,
      tensors: sources.map((s) => ({ name: s.ggufName, type: ggmlTypeName(s.type), shape: s.shape })),
      vocab,
      config,
    };
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    for (const h of handles) h.close();
    await pool?.close();
  }
}

/** Embeddings, then layers in numeric order, then the final norm and the head (convert_hf_to_gguf's order). */
function orderedNames(all: string[], config: ModelConfig): string[] {
  const unique = [...new Set(all)].filter((n) => !(config.tieWordEmbeddings && n === 'lm_head.weight'));
  const rank = (n: string): [number, number, string] => {
    if (n === 'model.embed_tokens.weight') return [0, 0, n];
    const m = /^model\.layers\.(\d+)\./.exec(n);
    if (m) return [1, Number(m[1]), n];
    if (n === 'lm_head.weight') return [3, 0, n];
    return [2, 0, n];
  };
  return unique.sort((a, b) => {
    const [x1, y1, z1] = rank(a);
    const [x2, y2, z2] = rank(b);
    return x1 - x2 || y1 - y2 || z1.localeCompare(z2);
  });
}

/** One tensor as float32: from the adapter's extra tensors or the base file, LoRA merged, rows permuted for llama. */
function loadTensor(hfName: string, fileOf: Map<string, SafetensorsFile>, adapter: LoraAdapter | null, config: ModelConfig): Float32Array {
  let tensor: SafeTensor = adapter?.extra.get(hfName) ?? fileOf.get(hfName)!.read(hfName);
  const module = hfName.replace(/\.weight$/, '');
  if (adapter && hfName.endsWith('.weight') && adapter.lora.has(module)) {
    const single: LoraAdapter = { ...adapter, lora: new Map([[module, adapter.lora.get(module)!]]), extra: new Map() };
    tensor = mergeLoraAdapter(new Map([[hfName, tensor]]), single).get(hfName)!;
  }
  let data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as ArrayLike<number>);
  const heads = rotaryPermuteHeads(config.family, hfName, { q: config.numHeads, kv: config.numKvHeads });
  if (heads !== null) {
    const rows = tensor.shape[0];
    data = permuteRotaryRows(data, rows, tensor.shape.length > 1 ? tensor.shape[1] : 1, heads);
  }
  return data;
}

/** Llama 3.1+ rotary scaling as llama.cpp wants it: a `rope_freqs.weight` of per-frequency factors (LlamaModel.generate_extra_tensors). */
export function llama3RopeFactors(config: ModelConfig): Float32Array | null {
  if (config.ropeScaling?.ropeType !== 'llama3') return null;
  const raw = config.ropeScaling.raw as Record<string, number>;
  const factor = raw.factor ?? 8;
  const low = raw.low_freq_factor ?? 1;
  const high = raw.high_freq_factor ?? 4;
  const oldContext = raw.original_max_position_embeddings ?? 8192;
  const lowWavelen = oldContext / low;
  const highWavelen = oldContext / high;
  const dim = config.headDim;
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const freq = 1 / config.ropeTheta ** ((2 * i) / dim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = factor;
    else {
      const smooth = (oldContext / wavelen - low) / (high - low);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}

function writeMetadata(w: GGUFWriter, config: ModelConfig, vocab: GgufVocab, quant: QuantName, name: string): void {
  const arch = ggufArchitecture(config.family);
  w.setString('general.architecture', arch);
  w.setString('general.type', 'model');
  w.setString('general.name', name);
  w.setU32('general.file_type', FILE_TYPE[quant]);
  w.setU32('general.quantization_version', GGML_QUANT_VERSION);
  w.setU32(`${arch}.context_length`, config.maxPositionEmbeddings);
  w.setU32(`${arch}.embedding_length`, config.hiddenSize);
  w.setU32(`${arch}.block_count`, config.numLayers);
  w.setU32(`${arch}.feed_forward_length`, config.intermediateSize);
  w.setU32(`${arch}.attention.head_count`, config.numHeads);
  w.setU32(`${arch}.attention.head_count_kv`, config.numKvHeads);
  w.setU32(`${arch}.attention.key_length`, config.headDim);
  w.setU32(`${arch}.attention.value_length`, config.headDim);
  w.setU32(`${arch}.rope.dimension_count`, config.headDim);
  w.setF32(`${arch}.rope.freq_base`, config.ropeTheta);
  w.setF32(`${arch}.attention.layer_norm_rms_epsilon`, config.rmsNormEps);
  w.setU32(`${arch}.vocab_size`, config.vocabSize);
  const scaling = config.ropeScaling;
  if (scaling && scaling.ropeType !== 'llama3' && scaling.ropeType !== 'default') {
    if (scaling.ropeType !== 'linear' && scaling.ropeType !== 'yarn') throw new Error(`GGUF export: rope_scaling type "${scaling.ropeType}" is not exported (linear, yarn and llama3 are)`);
    w.setString(`${arch}.rope.scaling.type`, scaling.ropeType);
    w.setF32(`${arch}.rope.scaling.factor`, scaling.factor ?? 1);
    const original = (scaling.raw as Record<string, unknown>).original_max_position_embeddings;
    if (typeof original === 'number') w.setU32(`${arch}.rope.scaling.original_context_length`, original);
  }
  w.setString('tokenizer.ggml.model', vocab.model);
  w.setString('tokenizer.ggml.pre', vocab.pre);
  w.setArray('tokenizer.ggml.tokens', GGUFValueType.STRING, vocab.tokens);
  w.setArray('tokenizer.ggml.token_type', GGUFValueType.INT32, vocab.tokenTypes);
  w.setArray('tokenizer.ggml.merges', GGUFValueType.STRING, vocab.merges);
  if (vocab.bosTokenId !== null) w.setU32('tokenizer.ggml.bos_token_id', vocab.bosTokenId);
  if (vocab.eosTokenId !== null) w.setU32('tokenizer.ggml.eos_token_id', vocab.eosTokenId);
  if (vocab.padTokenId !== null) w.setU32('tokenizer.ggml.padding_token_id', vocab.padTokenId);
  if (vocab.addBosToken !== null) w.setBool('tokenizer.ggml.add_bos_token', vocab.addBosToken);
  if (vocab.addEosToken !== null) w.setBool('tokenizer.ggml.add_eos_token', vocab.addEosToken);
  if (vocab.chatTemplate) w.setString('tokenizer.chat_template', vocab.chatTemplate);
}

