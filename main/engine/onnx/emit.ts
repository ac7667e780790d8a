// ONNX emitter: writes an OnnxModel (plain objects, see model.ts) as ONNX protobuf bytes.
//
// Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto, TypeProto, TensorShapeProto). Tensor contents are always written
// as raw_data (little-endian), which is what onnxruntime reads fastest.
//
// protobuf cannot hold a message over 2 GB, so large weights go to "external data": the
// TensorProto keeps only {location, offset, length} and the bytes live in a side file
// (`model.onnx_data` beside `model.onnx`), or in memory, handed to onnxruntime through the session
// option `externalData: [{ path, data }]`. That second route is also how the executor makes frozen
// parameters session initializers without writing files.

import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ProtoWriter, PROTOBUF_MAX_BYTES } from './protobuf.ts';
import {
  DEFAULT_IR_VERSION,
  DEFAULT_OPSET,
  type OnnxAttribute,
  type OnnxDataType,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './model.ts';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // raw_data is little-endian by definition; we write typed-array memory as is.
  throw new Error('ONNX emitter: big-endian hosts are not supported');
}

/** TensorProto.DataType codes. */
export const ONNX_DATA_TYPE_CODE: Record<OnnxDataType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

/** Which typed array holds each dtype's elements (bool as one byte per element, halves as raw bits). */
const TYPED_ARRAY_FOR_DTYPE: Record<OnnxDataType, { name: string; prototype: object }> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
};

// AttributeProto.AttributeType codes.
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

/** A side buffer holding external tensor data, named by the `location` the model refers to. */
export type ExternalDataFile = { path: string; data: Uint8Array };

export type ExternalDataPolicy = {
  /**
   * 'auto' (default): keep everything inline unless the model would pass protobuf's 2 GB limit,
   * then move every initializer of at least `minBytes` out. 'always': move them out regardless.
   */
  mode?: 'auto' | 'always';
  /** The location written into each TensorProto, relative to the model file. Default 'model.onnx_data'. */
  location?: string;
  /** Initializers smaller than this stay inline. Default 1024 bytes. */
  minBytes?: number;
  /** Restricts which initializers may move out (e.g. only frozen weights). Default: all. */
  select?: (tensor: OnnxTensor) => boolean;
  /** 'auto' moves data out when the inline model would exceed this many bytes. Default: protobuf's 2 GB limit. */
  inlineLimitBytes?: number;
  /**
   * Largest side buffer. When the next tensor would push a buffer past it, a new one starts
   * (`location`, then `location.1`, `location.2`, …), so no typed array nears Node's 4 GiB cap.
   * A single tensor larger than this gets a buffer of its own. Default: one buffer.
   */
  maxFileBytes?: number;
  /**
   * Tensors of at least this many bytes get a side buffer of their own that is a view of their data
   * (no copy in JS; onnxruntime still copies in-memory external data once). Default: off.
   */
  ownBufferBytes?: number;
};

export type EncodedModel = {
  /** The ModelProto bytes. */
  model: Uint8Array;
  /** Side buffers referenced by the model; empty when all data is inline. */
  externalData: ExternalDataFile[];
};

export class OnnxEmitError extends Error {
  override name = 'OnnxEmitError';
}

/**
 * Encodes a model with all tensor data inline. Throws when the result would pass protobuf's 2 GB
 * limit; use {@link encodeModelWithExternalData} (or {@link saveModel}) for such models.
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  const writer = writeModel(model, null);
  if (writer.length > PROTOBUF_MAX_BYTES) {
    throw new OnnxEmitError(
      `ONNX model '${model.graph.name}' is ${formatBytes(writer.length)}, over protobuf's 2 GB limit: ` +
        `encode it with encodeModelWithExternalData() so the weights go to a side file`,
    );
  }
  return writer.finish();
}

/** Encodes a model, moving initializers to side buffers per `policy` (see {@link ExternalDataPolicy}). */
export function encodeModelWithExternalData(model: OnnxModel, policy: ExternalDataPolicy = {}): EncodedModel {
  const mode = policy.mode ?? 'auto';
  if (mode === 'auto') {
    const inline = writeModel(model, null);
    const limit = Math.min(policy.inlineLimitBytes ?? PROTOBUF_MAX_BYTES, PROTOBUF_MAX_BYTES);
    if (inline.length <= limit) return { model: inline.finish(), externalData: [] };
  }
  const sink = new ExternalDataSink(policy);
  const writer = writeModel(model, sink);
  if (writer.length > PROTOBUF_MAX_BYTES) {
    throw new OnnxEmitError(
      `ONNX model '${model.graph.name}' is still ${formatBytes(writer.length)} with external data: ` +
        `lower minBytes or widen select so more initializers move out`,
    );
  }
  return { model: writer.finish(), externalData: sink.files() };
}

/**
 * Writes `path` (e.g. 'out/onnx/model.onnx') and, when needed, its external data file beside it.
 * The side file's name defaults to `<model file name>_data`, the Hugging Face / transformers.js layout.
 */
export async function saveModel(
  model: OnnxModel,
  path: string,
  policy: ExternalDataPolicy = {},
): Promise<{ files: string[] }> {
  const encoded = encodeModelWithExternalData(model, { location: `${basename(path)}_data`, ...policy });
  await writeFile(path, encoded.model);
  const files = [path];
  for (const side of encoded.externalData) {
    const sidePath = join(dirname(path), side.path);
    await writeFile(sidePath, side.data);
    files.push(sidePath);
  }
  return { files };
}

// ---------------------------------------------------------------------------------------------

/** Collects externalized tensor bytes into side buffers (at most `maxFileBytes` each), with aligned offsets. */
class ExternalDataSink {
  private readonly location: string;
  private readonly minBytes: number;
  private readonly maxFileBytes: number;
  private readonly select: (tensor: OnnxTensor) => boolean;
  private readonly ownBufferBytes: number;
  private readonly buffers: { path: string; size: number; pieces: { offset: number; bytes: Uint8Array }[]; own: boolean }[] = [];

  constructor(policy: ExternalDataPolicy) {
    this.location = policy.location ?? 'model.onnx_data';
    this.minBytes = policy.minBytes ?? 1024;
    this.maxFileBytes = policy.maxFileBytes ?? Number.MAX_SAFE_INTEGER;
    this.ownBufferBytes = policy.ownBufferBytes ?? Number.POSITIVE_INFINITY;
    this.select = policy.select ?? (() => true);
    if (this.location === '' || this.location.includes('..')) {
      throw new OnnxEmitError(`external data location '${this.location}' must be a plain relative file name`);
    }
    if (!(this.maxFileBytes > 0)) throw new OnnxEmitError(`maxFileBytes must be positive, got ${policy.maxFileBytes}`);
  }

  wants(tensor: OnnxTensor, bytes: Uint8Array): boolean {
    return bytes.length >= this.minBytes && this.select(tensor);
  }

  /** Records the bytes and returns where they will live. */
  add(bytes: Uint8Array): { location: string; offset: number; length: number } {
    // Page-align big tensors so onnxruntime can map them from a file; 64 bytes keeps SIMD loads aligned.
    const alignment = bytes.length >= 1 << 20 ? 4096 : 64;
    let buffer = this.buffers.at(-1);
    let offset = buffer ? Math.ceil(buffer.size / alignment) * alignment : 0;
    const own = bytes.length >= this.ownBufferBytes;
    const full = buffer && buffer.size > 0 && (offset + bytes.length > this.maxFileBytes || own || buffer.own);
    if (!buffer || full) {
      const path = this.buffers.length === 0 ? this.location : `${this.location}.${this.buffers.length}`;
      buffer = { path, size: 0, pieces: [], own };
      this.buffers.push(buffer);
      offset = 0;
    }
    buffer.pieces.push({ offset, bytes });
    buffer.size = offset + bytes.length;
    return { location: buffer.path, offset, length: bytes.length };
  }

  files(): ExternalDataFile[] {
    return this.buffers.map(({ path, size, pieces }) => {
      // A buffer holding one tensor is that tensor's bytes: hand over the view, no copy.
      if (pieces.length === 1 && pieces[0].offset === 0) return { path, data: pieces[0].bytes };
      const data = new Uint8Array(size);
      for (const piece of pieces) data.set(piece.bytes, piece.offset);
      return { path, data };
    });
  }
}

function writeModel(model: OnnxModel, sink: ExternalDataSink | null): ProtoWriter {
  const w = new ProtoWriter();
  w.int64Field(1, model.irVersion ?? DEFAULT_IR_VERSION); // ir_version
  w.stringField(2, model.producerName ?? 'saenggak-lab'); // producer_name
  if (model.producerVersion) w.stringField(3, model.producerVersion);
  if (model.doc) w.stringField(6, model.doc);
  w.messageField(7, writeGraph(model.graph, sink)); // graph
  const opsets = model.opsetImports ?? [{ domain: '', version: DEFAULT_OPSET }];
  for (const opset of opsets) {
    const o = new ProtoWriter();
    o.stringField(1, opset.domain); // OperatorSetIdProto.domain
    o.int64Field(2, opset.version); // OperatorSetIdProto.version
    w.messageField(8, o); // opset_import
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.messageField(14, stringEntry(key, value)); // metadata_props
  }
  return w;
}

function writeGraph(graph: OnnxGraph, sink: ExternalDataSink | null): ProtoWriter {
  const w = new ProtoWriter();
  graph.nodes.forEach((node, i) => w.messageField(1, writeNode(node, i, graph.name, sink)));
  w.stringField(2, graph.name);
  for (const tensor of graph.initializers) w.messageField(5, writeTensor(tensor, sink));
  if (graph.doc) w.stringField(10, graph.doc);
  for (const input of graph.inputs) w.messageField(11, writeValueInfo(input));
  for (const output of graph.outputs) w.messageField(12, writeValueInfo(output));
  for (const info of graph.valueInfo ?? []) w.messageField(13, writeValueInfo(info));
  return w;
}

function writeNode(node: OnnxNode, index: number, graphName: string, sink: ExternalDataSink | null): ProtoWriter {
  if (!node.opType) throw new OnnxEmitError(`graph '${graphName}': node #${index} has no opType`);
  const w = new ProtoWriter();
  for (const input of node.inputs) w.stringField(1, input); // '' marks an omitted optional input
  for (const output of node.outputs) w.stringField(2, output);
  w.stringField(3, node.name ?? `${node.opType}_${index}`);
  w.stringField(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    w.messageField(5, writeAttribute(name, attribute, node, sink));
  }
  if (node.doc) w.stringField(6, node.doc);
  if (node.domain) w.stringField(7, node.domain);
  return w;
}

function writeAttribute(name: string, attr: OnnxAttribute, node: OnnxNode, sink: ExternalDataSink | null): ProtoWriter {
  const w = new ProtoWriter();
  w.stringField(1, name);
  switch (attr.kind) {
    case 'float':
      w.floatField(2, attr.value);
      break;
    case 'int':
      w.int64Field(3, attr.value);
      break;
    case 'string':
      w.stringField(4, attr.value);
      break;
    case 'tensor':
      w.messageField(5, writeTensor(attr.value, null)); // Constant values stay inline
      break;
    case 'graph':
      w.messageField(6, writeGraph(attr.value, sink));
      break;
    case 'floats':
      w.packedFloatField(7, attr.value);
      break;
    case 'ints':
      w.packedInt64Field(8, attr.value);
      break;
    case 'strings':
      for (const s of attr.value) w.stringField(9, s);
      break;
    default:
      throw new OnnxEmitError(
        `node '${node.name ?? node.opType}': attribute '${name}' has unknown kind '${(attr as { kind: string }).kind}'`,
      );
  }
  w.int64Field(20, ATTR_TYPE[attr.kind]); // type
  return w;
}

function writeTensor(tensor: OnnxTensor, sink: ExternalDataSink | null): ProtoWriter {
  if (tensor.file) return writeFileTensor(tensor, tensor.file);
  const bytes = tensorBytes(tensor);
  const w = new ProtoWriter();
  w.packedInt64Field(1, tensor.dims); // dims
  w.int64Field(2, dataTypeCode(tensor.dtype, `tensor '${tensor.name}'`)); // data_type
  w.stringField(8, tensor.name); // name
  if (sink && sink.wants(tensor, bytes)) {
    const where = sink.add(bytes);
    w.messageField(13, stringEntry('location', where.location)); // external_data
    w.messageField(13, stringEntry('offset', String(where.offset)));
    w.messageField(13, stringEntry('length', String(where.length)));
    w.int64Field(14, 1); // data_location = EXTERNAL
  } else {
    w.bytesField(9, bytes); // raw_data
  }
  return w;
}

/** A tensor whose bytes are already in a file: only {location, offset, length} go into the model. */
function writeFileTensor(tensor: OnnxTensor, file: NonNullable<OnnxTensor['file']>): ProtoWriter {
  const where = `tensor '${tensor.name}'`;
  const count = checkedCount(tensor, where);
  const expected = count * BYTES_PER_ELEMENT[tensor.dtype];
  if (file.length !== expected) throw new OnnxEmitError(`${where}: its file bytes are ${file.length} long but ${tensor.dtype}[${tensor.dims}] needs ${expected}`);
  if (!Number.isSafeInteger(file.offset) || file.offset < 0) throw new OnnxEmitError(`${where}: bad file offset ${file.offset}`);
  checkLocation(file.location);
  const w = new ProtoWriter();
  w.packedInt64Field(1, tensor.dims); // dims
  w.int64Field(2, dataTypeCode(tensor.dtype, where)); // data_type
  w.stringField(8, tensor.name); // name
  w.messageField(13, stringEntry('location', file.location)); // external_data
  w.messageField(13, stringEntry('offset', String(file.offset)));
  w.messageField(13, stringEntry('length', String(file.length)));
  w.int64Field(14, 1); // data_location = EXTERNAL
  return w;
}

/**
 * An initializer that refers to bytes already in a file (`location` relative to the folder
 * onnxruntime resolves external data in) instead of carrying them: nothing is read or copied here.
 */
export function fileTensor(name: string, dtype: OnnxDataType, dims: number[], file: { location: string; offset: number; length?: number }): OnnxTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const length = file.length ?? count * BYTES_PER_ELEMENT[dtype];
  const empty = new (TYPED_ARRAY_FOR_DTYPE[dtype] as unknown as new (n: number) => OnnxTensor['data'])(0);
  return { name, dtype, dims, data: empty, file: { location: file.location, offset: file.offset, length } };
}

const BYTES_PER_ELEMENT: Record<OnnxDataType, number> = {
  float32: 4, float64: 8, int32: 4, int64: 8, int8: 1, uint8: 1, bool: 1, float16: 2, bfloat16: 2,
};

function checkedCount(tensor: OnnxTensor, where: string): number {
  dataTypeCode(tensor.dtype, where);
  for (const d of tensor.dims) {
    if (!Number.isInteger(d) || d < 0) throw new OnnxEmitError(`${where}: dims [${tensor.dims}] must be non-negative integers`);
  }
  return tensor.dims.reduce((a, b) => a * b, 1);
}

/** onnxruntime refuses external data outside the model's folder: only plain relative names. */
function checkLocation(location: string): void {
  if (location === '' || location.startsWith('/') || location.includes('\\') || location.split('/').includes('..')) {
    throw new OnnxEmitError(`external data location '${location}' must be a plain relative file name`);
  }
}

/** The tensor's elements as little-endian bytes, after checking dtype, dims and element count agree. */
export function tensorBytes(tensor: OnnxTensor): Uint8Array {
  const where = `tensor '${tensor.name}'`;
  dataTypeCode(tensor.dtype, where);
  for (const d of tensor.dims) {
    if (!Number.isInteger(d) || d < 0) throw new OnnxEmitError(`${where}: dims [${tensor.dims}] must be non-negative integers`);
  }
  const expected = TYPED_ARRAY_FOR_DTYPE[tensor.dtype];
  if (!(tensor.data instanceof (expected as unknown as typeof Uint8Array))) {
    const actual = (tensor.data as object | undefined)?.constructor?.name ?? String(tensor.data);
    throw new OnnxEmitError(`${where}: dtype ${tensor.dtype} needs its data in a ${expected.name}, got ${actual}`);
  }
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== count) {
    throw new OnnxEmitError(
      `${where}: dims [${tensor.dims}] hold ${count} elements but the data has ${tensor.data.length}`,
    );
  }
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

function writeValueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const d = new ProtoWriter();
    if (typeof dim === 'string') d.stringField(2, dim); // dim_param
    else if (Number.isInteger(dim) && dim >= 0) d.int64Field(1, dim); // dim_value
    else if (dim !== -1) throw new OnnxEmitError(`value '${info.name}': bad dimension ${dim} in [${info.shape}]`);
    // -1: an unknown dimension, written as a Dimension with neither field set.
    shape.messageField(1, d);
  }
  const tensorType = new ProtoWriter();
  tensorType.int64Field(1, dataTypeCode(info.dtype, `value '${info.name}'`)); // elem_type
  tensorType.messageField(2, shape); // shape
  const type = new ProtoWriter();
  type.messageField(1, tensorType); // TypeProto.tensor_type
  const w = new ProtoWriter();
  w.stringField(1, info.name);
  w.messageField(2, type);
  if (info.doc) w.stringField(3, info.doc);
  return w;
}

function stringEntry(key: string, value: string): ProtoWriter {
  const w = new ProtoWriter();
  w.stringField(1, key);
  w.stringField(2, value);
  return w;
}

function dataTypeCode(dtype: OnnxDataType, where: string): number {
  const code = ONNX_DATA_TYPE_CODE[dtype];
  if (code === undefined) {
    throw new OnnxEmitError(`${where}: unknown dtype '${dtype}' (known: ${Object.keys(ONNX_DATA_TYPE_CODE).join(', ')})`);
  }
  return code;
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}
