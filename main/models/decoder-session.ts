// A compiled decoder: the graph from decoder.ts lowered with the model's weights baked in as
// initializers, encoded and opened as one onnxruntime session. `forward` runs it on a rectangular batch
// (rows padded by the caller) and, for KV-cache sessions, takes and returns the cache.
import * as ort from 'onnxruntime-node';
import { chooseExecutionProvider, lower, type OnnxModel, type ProviderRequest, type Tensor, type TensorData } from '../engine/index.ts';
import type { SafeTensor } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import { buildDecoderGraph, cacheNames, type DecoderDType, type DecoderGraph, type Projection } from './decoder.ts';
import { loraProjection, loraTensors } from './lora.ts';
import type { LoraAdapter } from './peft.ts';
import { newKvName, spliceKvConcat } from './kv-cache.ts';
import { attachFileWeights, encodeSessionModel, weightSessionOptions } from './session-weights.ts';
import type { WeightFiles } from './weight-files.ts';
import { createWithOptimizedCache, optimizedCacheKey, type CachedSession } from './optimized-cache.ts';
import { TrafficCounter } from '../engine/runtime/traffic.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

export interface CompileOptions {
  dtype?: DecoderDType;
  kvCache?: boolean;
  /** A LoRA adapter applied at run time (not merged): its A/B become initializers next to the base weights. */
  adapter?: LoraAdapter;
  /**
   * Execution provider. Default 'cpu': the KV cache goes through host memory between steps (no I/O
   * binding yet), which would cost a GPU provider a copy of the whole cache per token.
   */
  provider?: ProviderRequest;
  /**
   * Generation sessions (with kvCache): logits only at each row's last real new position, [batch, 1, vocab],
   * plus an int64 `next_token` [batch] output (ArgMax over the vocabulary) that greedy decoding fetches
   * instead of the logits. See DecoderGraphOptions.lastPositionLogits.
   */
  lastPositionLogits?: boolean;
  /**
   * Weights still in their checkpoint files (openModelFolder / weightFiles): onnxruntime maps them
   * instead of receiving a copy. A name present in `weights` too takes the in-memory tensor (e.g. an
   * edited weight); every other weight is read from the files.
   */
  weightFiles?: WeightFiles;
  /**
   * bf16/f16 checkpoint weights stay in that dtype in memory and are cast at every use (half the
   * memory of float32; each run pays the casts). Default false: cast once at load (float32 in memory).
   */
  keepStoredDtype?: boolean;
  /**
   * A folder for onnxruntime's optimised graphs (optimized-cache.ts), for sessions whose weights all come
   * from `weightFiles`: the first start saves the optimised graph with its folded float32 weights, later
   * starts map that instead of optimising and casting again. Keyed by model, shapes and engine version.
   */
  optimizedCacheDir?: string;
  /** Where each run's host↔device bytes are counted (one step per run); default: the session's own counter. */
  traffic?: TrafficCounter;
}

/** Weight data in the graph's float type (float64 graphs get widened copies). */
export function weightData(weights: Weights, name: string, dtype: DecoderDType): TensorData {
  const t = weights.get(name);
  if (!t) throw new Error(`decoder: weight ${name} is missing`);
  const data = t.data;
  if (dtype === 'float64') return data instanceof Float64Array ? data : Float64Array.from(data as Float32Array);
  if (data instanceof Float32Array) return data;
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new Error(`decoder: weight ${name} must be float32 (loadModel converts bf16/f16), got ${t.dtype}`);
}

/**
 * The inference ONNX model of a decoder with every graph param (base weights, adapter weights) as an
 * initializer, plus the KV concat splice.
 */
export function decoderOnnxModel(decoder: DecoderGraph, weights: Weights, extraOutputs: Record<string, Tensor> = {}, files?: WeightFiles): OnnxModel {
  const initializers: Record<string, TensorData> = {};
  // Weights only in the files stay graph inputs here; attachFileWeights turns them into file references.
  for (const p of decoder.graph.params) if (!files?.tensors.has(p.name) || weights.has(p.name)) initializers[p.name] = weightData(weights, p.name, decoder.dtype);
  const outputs: Record<string, Tensor> = { logits: decoder.logits, ...extraOutputs };
  decoder.cache?.forEach((layer, i) => {
    outputs[newKvName(i, 'key')] = layer.newKey;
    outputs[newKvName(i, 'value')] = layer.newValue;
  });
  const model = spliceKvConcat(lower(decoder.graph, { outputs, initializers, metadata: { architecture: decoder.config.architecture } }), decoder);
  return files ? attachFileWeights(model, files, decoder.dtype) : model;
}

/** Name of the greedy output added by addNextTokenOutput. */
export const NEXT_TOKEN = 'next_token';

/**
 * Adds `next_token` int64 [batch] = ArgMax(logits[:, 0, :]) (first index on ties, like the JS argmax) to a
 * model whose logits are [batch, 1, vocab]. A pass on the ONNX model because the engine has no ArgMax
 * (it has no gradient, so it is no engine primitive).
 */
export function addNextTokenOutput(model: OnnxModel): OnnxModel {
  const graph = model.graph;
  const argmax = `${NEXT_TOKEN}/argmax`;
  const axes = `${NEXT_TOKEN}/axes`;
  return {
    ...model,
    graph: {
      ...graph,
      nodes: [
        ...graph.nodes,
        { opType: 'ArgMax', name: `${NEXT_TOKEN}/ArgMax`, inputs: ['logits'], outputs: [argmax], attributes: { axis: { kind: 'int', value: -1 }, keepdims: { kind: 'int', value: 0 } } },
        { opType: 'Constant', name: `${NEXT_TOKEN}/Axes`, inputs: [], outputs: [axes], attributes: { value_ints: { kind: 'ints', value: [1] } } },
        { opType: 'Squeeze', name: `${NEXT_TOKEN}/Squeeze`, inputs: [argmax, axes], outputs: [NEXT_TOKEN] },
      ],
      outputs: [...graph.outputs, { name: NEXT_TOKEN, dtype: 'int64', shape: ['batch_size'] }],
    },
  };
}

/** Per layer [key, value] ort tensors of shape [batch, kv_heads, length, head_dim]. */
export type KvCache = { key: ort.Tensor; value: ort.Tensor }[];

export interface ForwardInput {
  /** Row-major [batch, seq]. */
  inputIds: BigInt64Array | number[];
  /** [batch, total] where total = past length + seq. */
  attentionMask: BigInt64Array | number[];
  positionIds: BigInt64Array | number[];
  batch: number;
  seq: number;
  /** KV sessions: the cache from the previous call (omit for the first call: an empty cache). */
  past?: KvCache;
}

export interface GreedyOutput {
  /** ArgMax of each row's last-position logits (first index on ties). */
  nextToken: BigInt64Array;
  present: KvCache;
}

export interface ForwardOutput {
  /** [batch, seq, vocab] row-major ([batch, 1, vocab] for lastPositionLogits sessions). */
  logits: Float32Array | Float64Array;
  vocab: number;
  /** Sequence length of `logits`: seq, or 1 for lastPositionLogits sessions. */
  logitsLength: number;
  present: KvCache | null;
}

const int64 = (v: BigInt64Array | number[]) => (v instanceof BigInt64Array ? v : BigInt64Array.from(v, (x) => BigInt(x)));

export class DecoderSession {
  private constructor(
    readonly config: ModelConfig,
    readonly dtype: DecoderDType,
    readonly kvCache: boolean,
    readonly lastPositionLogits: boolean,
    private readonly session: ort.InferenceSession,
    /** The optimised-graph cache entry this session was made from or saved to (null: no cache). */
    readonly optimizedCache: CachedSession | null = null,
    /** Bytes fed to and fetched from every run (the engine's counter; one step per run). */
    readonly traffic: TrafficCounter = new TrafficCounter(),
  ) {}

  static async create(config: ModelConfig, weights: Weights, options: CompileOptions & { sessionOptions?: ort.InferenceSession.SessionOptions } = {}): Promise<DecoderSession> {
    const dtype = options.dtype ?? 'float32';
    let all: Weights = weights;
    let projection: Projection | undefined;
    if (options.adapter) {
      const adapter = options.adapter;
      projection = loraProjection(config, adapter.config, { dtype, dropout: false }).projection;
      const merged = new Map(weights);
      for (const [name, t] of loraTensors(adapter.lora)) merged.set(name, t);
      for (const [name, t] of adapter.extra) merged.set(name, t);
      all = merged;
    }
    if (options.lastPositionLogits && !options.kvCache) throw new Error('decoder session: lastPositionLogits is for generation sessions (kvCache: true)');
    const lastPositionLogits = !!options.lastPositionLogits;
    const decoder = buildDecoderGraph(config, { dtype, kvCache: options.kvCache, projection, lastPositionLogits });
    const model = decoderOnnxModel(decoder, all, {}, options.weightFiles);
    // Weights as external data (files mapped, or in-memory pieces ≤ 1 GiB): the proto stays small at any size.
    const encoded = encodeSessionModel(lastPositionLogits ? addNextTokenOutput(model) : model, options.weightFiles);
    // onnxruntime's extended fusions (e.g. SiLU → QuickGelu) have float32 kernels only: float64 graphs get the basic level.
    const graphOptimizationLevel = dtype === 'float64' ? 'basic' : 'all';
    const { provider } = await chooseExecutionProvider(options.provider ?? 'cpu');
    const weightOptions = weightSessionOptions(encoded, options.weightFiles, { keepStoredDtype: options.keepStoredDtype, extra: options.sessionOptions?.extra as Record<string, unknown> | undefined });
    const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel, executionProviders: [provider], ...options.sessionOptions, ...weightOptions };
    const create = (source: Uint8Array | string, o: ort.InferenceSession.SessionOptions) => (typeof source === 'string' ? ort.InferenceSession.create(source, o) : ort.InferenceSession.create(source, o));
    if (options.optimizedCacheDir && options.weightFiles && encoded.externalData.length === 0) {
      const settings = { graphOptimizationLevel: sessionOptions.graphOptimizationLevel, provider, freeDimensionOverrides: sessionOptions.freeDimensionOverrides ?? null, extra: sessionOptions.extra ?? null };
      const key = optimizedCacheKey({ model: encoded.model, files: options.weightFiles, settings });
      const { session, cache } = await createWithOptimizedCache(options.optimizedCacheDir, key, encoded.model, sessionOptions, create);
      return new DecoderSession(config, dtype, !!options.kvCache, lastPositionLogits, session, cache, options.traffic);
    }
    const session = await create(encoded.model, sessionOptions);
    return new DecoderSession(config, dtype, !!options.kvCache, lastPositionLogits, session, null, options.traffic);
  }

  /** An empty cache (past length 0) for `batch` rows. */
  emptyCache(batch: number): KvCache {
    const { numLayers, numKvHeads, headDim } = this.config;
    const empty = () => new ort.Tensor(this.dtype, this.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0), [batch, numKvHeads, 0, headDim]);
    return Array.from({ length: numLayers }, () => ({ key: empty(), value: empty() }));
  }

  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { out, present } = await this.run(input, 'logits');
    return { logits: out.logits.data as Float32Array | Float64Array, vocab: out.logits.dims[2] as number, logitsLength: this.lastPositionLogits ? 1 : input.seq, present };
  }

  /**
   * Greedy step for lastPositionLogits sessions: fetches only `next_token` and the cache, so the
   * [batch, vocab] logits never leave onnxruntime.
   */
  async forwardGreedy(input: ForwardInput): Promise<GreedyOutput> {
    if (!this.lastPositionLogits) throw new Error('decoder session: forwardGreedy needs a session compiled with lastPositionLogits: true');
    const { out, present } = await this.run(input, NEXT_TOKEN);
    return { nextToken: out[NEXT_TOKEN].data as BigInt64Array, present: present! };
  }

  private async run(input: ForwardInput, head: 'logits' | typeof NEXT_TOKEN): Promise<{ out: ort.InferenceSession.ReturnType; present: KvCache | null }> {
    const { batch, seq } = input;
    const mask = int64(input.attentionMask);
    if (mask.length % batch !== 0) throw new Error(`attention_mask has ${mask.length} values, not a multiple of batch ${batch}`);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', int64(input.inputIds), [batch, seq]),
      attention_mask: new ort.Tensor('int64', mask, [batch, mask.length / batch]),
      position_ids: new ort.Tensor('int64', int64(input.positionIds), [batch, seq]),
    };
    if (this.kvCache) {
      const past = input.past ?? this.emptyCache(batch);
      past.forEach((layer, i) => {
        const n = cacheNames(i);
        feeds[n.pastKey] = layer.key;
        feeds[n.pastValue] = layer.value;
      });
    } else if (input.past) throw new Error('this decoder session was compiled without a KV cache');
    // Name the outputs wanted: onnxruntime-node copies every fetched output into JS.
    const presentNames = this.kvCache ? Array.from({ length: this.config.numLayers }, (_, i) => cacheNames(i)) : [];
    this.traffic.countInputs(feeds);
    const out = await this.session.run(feeds, [head, ...presentNames.flatMap((n) => [n.presentKey, n.presentValue])]);
    this.traffic.countOutputs(out);
    this.traffic.endStep();
    const present = this.kvCache ? presentNames.map((n) => ({ key: out[n.presentKey], value: out[n.presentValue] })) : null;
    return { out, present };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** cumsum(mask) − 1 per row, 0 at padding (what transformers' generate and transformers.js feed). */
export function positionIdsFromMask(mask: ArrayLike<number>, batch: number): number[] {
  const len = mask.length / batch;
  const out: number[] = new Array(mask.length).fill(0);
  for (let b = 0; b < batch; b++) {
    let count = 0;
    for (let t = 0; t < len; t++) {
      if (mask[b * len + t]) count++;
      out[b * len + t] = mask[b * len + t] ? count - 1 : 0;
    }
  }
  return out;
}
