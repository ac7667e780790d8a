// How an inference session gets its weights, without a protobuf holding them or a copy in JS:
//
// - weights still in their checkpoint files (`WeightFiles`) become external-data initializers that
//   point into the safetensors shards; onnxruntime maps the files (resolved against the session option
//   `session.model_external_initializers_file_folder_path`), so loading costs no read and no copy here.
//   A bf16/f16 checkpoint is referenced in its own dtype and cast at use by a Cast node: onnxruntime's
//   constant folding runs that Cast once at load (float32 in memory, full decode speed), or, with
//   `keepStoredDtype`, folding is off and the weights stay half-size in memory, cast at every run.
// - weights held in memory (adapters, widened or edited tensors) go as in-memory external data in
//   pieces of at most 1 GiB, each big tensor a view of its own bytes (no concatenated copy).
//
// Prepacking is off for mapped weights: onnxruntime would otherwise keep a packed private copy of every
// MatMul/Gemm weight next to the mapped file pages it read to make it (+26% peak at 0.5B). In-memory
// weights keep it: onnxruntime's own copy is replaced by the packed one (same peak, faster matmuls).

import type * as ort from 'onnxruntime-node';
import { encodeModelWithExternalData, type EncodedModel, type OnnxModel } from '../engine/index.ts';
import { fileTensor, ONNX_DATA_TYPE_CODE } from '../engine/onnx/emit.ts';
import type { OnnxDataType, OnnxTensor } from '../engine/onnx/model.ts';
import type { SafetensorsDtype } from '../engine/safetensors.ts';
import type { DecoderDType } from './decoder.ts';
import type { WeightFiles } from './weight-files.ts';

/** Largest in-memory external-data piece (no typed array near Node's caps, no protobuf near 2 GB). */
export const MAX_PIECE_BYTES = 2 ** 30;
/** In-memory weights at least this big are handed over as views of their own bytes. */
const OWN_PIECE_BYTES = 2 ** 20;
/** Name of the in-memory side buffers; cannot collide with a checkpoint file name (ends in .safetensors). */
const IN_MEMORY_LOCATION = 'in-memory-weights.bin';

const STORAGE_TO_ONNX: Partial<Record<SafetensorsDtype, OnnxDataType>> = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16' };

/** Suffix of a weight's initializer when it is stored in another dtype and cast at use. */
export const STORED_SUFFIX = '::stored';

/**
 * Replaces the graph inputs named in `files` by initializers that refer to the checkpoint's bytes,
 * with a Cast to the graph's dtype in front when the storage dtype differs.
 */
export function attachFileWeights(model: OnnxModel, files: WeightFiles, dtype: DecoderDType): OnnxModel {
  const graph = model.graph;
  const initializers: OnnxTensor[] = [...graph.initializers];
  const casts: OnnxModel['graph']['nodes'] = [];
  const attached = new Set<string>();
  for (const input of graph.inputs) {
    const stored = files.tensors.get(input.name);
    if (!stored) continue;
    const storage = STORAGE_TO_ONNX[stored.dtype];
    if (!storage) throw new Error(`weight ${input.name}: storage dtype ${stored.dtype} is not a float type`);
    const dims = input.shape as number[];
    if (dims.length !== stored.shape.length || dims.some((d, i) => d !== stored.shape[i])) {
      throw new Error(`weight ${input.name}: the file holds [${stored.shape}] but the graph needs [${dims}]`);
    }
    const file = { location: stored.file, offset: stored.offset, length: stored.byteLength };
    if (storage === dtype) initializers.push(fileTensor(input.name, storage, dims, file));
    else {
      const name = `${input.name}${STORED_SUFFIX}`;
      initializers.push(fileTensor(name, storage, dims, file));
      casts.push({ opType: 'Cast', name: `${input.name}/Cast`, inputs: [name], outputs: [input.name], attributes: { to: { kind: 'int', value: ONNX_DATA_TYPE_CODE[dtype as OnnxDataType] } } });
    }
    attached.add(input.name);
  }
  return {
    ...model,
    graph: { ...graph, nodes: [...casts, ...graph.nodes], inputs: graph.inputs.filter((i) => !attached.has(i.name)), initializers },
  };
}

/**
 * The model proto and its in-memory side buffers. With checkpoint files, the other tensors (adapters,
 * constants) stay inline: onnxruntime looks every external location up in the in-memory table once
 * one is given, so files and in-memory pieces cannot be mixed in one session.
 */
export function encodeSessionModel(model: OnnxModel, files?: WeightFiles): EncodedModel {
  if (files) {
    const encoded = encodeModelWithExternalData(model, { mode: 'auto' });
    if (encoded.externalData.length) throw new Error(`the tensors not in ${files.dir} (adapters, edited weights) pass protobuf's 2 GB limit: load the model into memory instead of from its files`);
    return encoded;
  }
  return encodeModelWithExternalData(model, {
    mode: 'always',
    location: IN_MEMORY_LOCATION,
    minBytes: 1024,
    maxFileBytes: MAX_PIECE_BYTES,
    ownBufferBytes: OWN_PIECE_BYTES,
  });
}

/**
 * Session options for weights given as above: where the checkpoint files are (and no prepacking for
 * them), and no constant folding when half-precision weights must stay half-size (`keepStoredDtype`).
 */
export function weightSessionOptions(
  encoded: EncodedModel,
  files: WeightFiles | undefined,
  options: { keepStoredDtype?: boolean; extra?: Record<string, unknown> } = {},
): Pick<ort.InferenceSession.SessionOptions, 'externalData' | 'extra'> {
  const given = (options.extra ?? {}) as { session?: Record<string, string>; optimization?: Record<string, string> };
  const session: Record<string, string> = { ...(files ? { disable_prepacking: '1' } : {}), ...given.session };
  if (files) session.model_external_initializers_file_folder_path = files.dir;
  const optimization: Record<string, string> = { ...given.optimization };
  if (options.keepStoredDtype) optimization.disable_specified_optimizers = 'ConstantFolding';
  return {
    externalData: encoded.externalData,
    extra: { ...given, session, ...(Object.keys(optimization).length ? { optimization } : {}) },
  };
}
