// Plain-object form of an ONNX model: what the graph compiler produces and the protobuf emitter writes.
// It mirrors onnx.proto (ModelProto / GraphProto / NodeProto / TensorProto / ValueInfoProto) closely so
// the emitter stays a direct translation; nothing here depends on onnxruntime.

export type OnnxDataType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool';

/** A dimension: a fixed size, or a symbolic name (e.g. 'batch_size', 'seq'). */
export type OnnxDim = number | string;

export type OnnxValueInfo = { name: string; dtype: OnnxDataType; shape: OnnxDim[]; doc?: string };

export type OnnxTensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Int8Array
  | Uint8Array
  /** float16 / bfloat16 raw bits. */
  | Uint16Array;

export type OnnxTensor = {
  name: string;
  dtype: OnnxDataType;
  dims: number[];
  data: OnnxTensorData;
  /**
   * Bytes that already live in a file (e.g. a tensor of a safetensors checkpoint): the model refers to
   * them as external data and `data` stays empty. onnxruntime resolves `location` against the model's
   * folder (or the session option `session.model_external_initializers_file_folder_path`) and maps
   * the file instead of copying it. See `fileTensor` in emit.ts.
   */
  file?: { location: string; offset: number; length: number };
};

export type OnnxAttribute =
  | { kind: 'int'; value: number | bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: (number | bigint)[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: OnnxTensor }
  | { kind: 'graph'; value: OnnxGraph };

export type OnnxNode = {
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Readable names make graphs legible in Netron: e.g. 'layers.0/attn/q_proj/MatMul'. */
  name?: string;
  /** '' (default ONNX domain) or e.g. 'com.microsoft'. */
  domain?: string;
  attributes?: Record<string, OnnxAttribute>;
  doc?: string;
};

export type OnnxGraph = {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxTensor[];
  /** Optional shape annotations for intermediate values. */
  valueInfo?: OnnxValueInfo[];
  doc?: string;
};

export type OnnxModel = {
  graph: OnnxGraph;
  /** Defaults to [{domain: '', version: DEFAULT_OPSET}]. */
  opsetImports?: { domain: string; version: number }[];
  /** Defaults to DEFAULT_IR_VERSION. */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  doc?: string;
  metadata?: Record<string, string>;
};

/**
 * Opset for training graphs run by onnxruntime-node 1.30 (highest accepted there: 26). 21 is the newest
 * that every op we use is stable at, and that transformers.js's pinned onnxruntime (1.24.x) also loads.
 */
export const DEFAULT_OPSET = 21;
/** IR version 10 goes with opset 21. */
export const DEFAULT_IR_VERSION = 10;
