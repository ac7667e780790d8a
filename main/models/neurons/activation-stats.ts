// MLP activation statistics per intermediate neuron, recorded on the engine for neuron discovery.
//
// The activation of neuron i at a token is SiLU(gate_i)·up_i, the input of down_proj. The graph reduces it
// in place: per chosen layer, over the batch's real tokens (attention_mask = 1), it returns three [I]
// vectors — how many tokens had activation > 0, the sum and the sum of squares. So a run hands back
// 3·I numbers per layer instead of the [B, S, I] activations, and only the layers up to the deepest
// chosen one are computed (lowering drops every node no output needs: later layers and the LM head).
// Sums are accumulated over batches in float64 on the host.
import * as ort from 'onnxruntime-node';
import { chooseExecutionProvider, encodeModelWithExternalData, lower, nn, op, type ProviderRequest, type Tensor, type TensorData } from '../../engine/index.ts';
import type { SafeTensor } from '../../engine/safetensors.ts';
import type { ModelConfig } from '../config.ts';
import { buildDecoderGraph, type DecoderDType } from '../decoder.ts';
import { weightData } from '../decoder-session.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

/** Sums over the tokens seen so far, per chosen layer: each a Float64Array(intermediate). */
export interface LayerActivationSums {
  layer: number;
  /** Tokens with activation > 0. */
  positive: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
}

export interface ActivationSums {
  /** Real tokens seen (padding excluded). */
  tokens: number;
  layers: LayerActivationSums[];
}

export interface ActivationRecorderOptions {
  /** Compute dtype (default float32; tests use float64). */
  dtype?: DecoderDType;
  provider?: ProviderRequest;
}

const outputName = (layer: number, stat: 'positive' | 'sum' | 'sum_sq') => `layer_${layer}_${stat}`;

/** One compiled session that returns the activation sums of `layers` for a padded batch. */
export class ActivationRecorder {
  private constructor(
    readonly config: ModelConfig,
    readonly layers: number[],
    readonly dtype: DecoderDType,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(config: ModelConfig, weights: Weights, layers: readonly number[], options: ActivationRecorderOptions = {}): Promise<ActivationRecorder> {
    const chosen = [...new Set(layers)].sort((a, b) => a - b);
    if (chosen.length === 0) throw new Error('neurons: no layers chosen');
    for (const l of chosen) if (!Number.isInteger(l) || l < 0 || l >= config.numLayers) throw new RangeError(`neurons: layer ${l} does not exist (the model has ${config.numLayers} layers, 0–${config.numLayers - 1})`);
    if (config.task !== 'causal-lm') throw new Error(`neurons: expected a causal LM, got a ${config.task} model`);
    const dtype = options.dtype ?? 'float32';
    const wanted = new Set(chosen);
    const activations = new Map<number, Tensor>();
    // The projection hook sees down_proj's input, which is exactly SiLU(gate)·up.
    const decoder = buildDecoderGraph(config, {
      dtype,
      projection: (module, x, weight, bias) => {
        const m = /^model\.layers\.(\d+)\.mlp\.down_proj$/.exec(module);
        if (m && wanted.has(Number(m[1]))) activations.set(Number(m[1]), x);
        return nn.linear(x, weight, bias);
      },
    });
    const g = decoder.graph;
    const outputs: Record<string, Tensor> = {};
    g.scope('neuron_stats', () => {
      const tokenMask = op.unsqueeze(op.cast(op.notEqual(decoder.attentionMask, 0), dtype), [2]); // [B, S, 1]
      for (const layer of chosen) {
        const act = activations.get(layer)!; // [B, S, I]
        const masked = op.mul(act, tokenMask);
        outputs[outputName(layer, 'positive')] = op.reduceSum(op.mul(op.cast(op.greater(act, 0), dtype), tokenMask), [0, 1]);
        outputs[outputName(layer, 'sum')] = op.reduceSum(masked, [0, 1]);
        outputs[outputName(layer, 'sum_sq')] = op.reduceSum(op.mul(masked, act), [0, 1]);
      }
    });
    const initializers: Record<string, TensorData> = {};
    for (const p of g.params) initializers[p.name] = weightData(weights, p.name, dtype);
    const model = lower(g, { outputs, initializers, metadata: { architecture: config.architecture, purpose: 'neuron activation statistics' } });
    // Weights in side buffers of at most 1 GiB (no protobuf message near 2 GB, no typed array near 4 GiB).
    const encoded = encodeModelWithExternalData(model, { maxFileBytes: 1 << 30 });
    const { provider } = await chooseExecutionProvider(options.provider ?? 'cpu');
    const session = await ort.InferenceSession.create(encoded.model, {
      graphOptimizationLevel: dtype === 'float64' ? 'basic' : 'all',
      executionProviders: [provider],
      ...(encoded.externalData.length ? { externalData: encoded.externalData } : {}),
    });
    return new ActivationRecorder(config, chosen, dtype, session);
  }

  /** Empty sums for this recorder's layers. */
  emptySums(): ActivationSums {
    const I = this.config.intermediateSize;
    return { tokens: 0, layers: this.layers.map((layer) => ({ layer, positive: new Float64Array(I), sum: new Float64Array(I), sumSq: new Float64Array(I) })) };
  }

  /** Runs token rows (right-padded into one batch) and adds their sums into `into`. */
  async accumulate(rows: readonly (readonly number[])[], into: ActivationSums): Promise<void> {
    if (rows.length === 0) return;
    const B = rows.length;
    const S = Math.max(...rows.map((r) => r.length));
    if (S === 0) return;
    const ids = new BigInt64Array(B * S);
    const mask = new BigInt64Array(B * S);
    const positions = new BigInt64Array(B * S);
    rows.forEach((row, b) => {
      row.forEach((id, t) => {
        ids[b * S + t] = BigInt(id);
        mask[b * S + t] = 1n;
        positions[b * S + t] = BigInt(t);
      });
    });
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      attention_mask: new ort.Tensor('int64', mask, [B, S]),
      position_ids: new ort.Tensor('int64', positions, [B, S]),
    };
    const out = await this.session.run(feeds);
    into.tokens += rows.reduce((n, r) => n + r.length, 0);
    for (const sums of into.layers) {
      const add = (target: Float64Array, name: string) => {
        const data = out[name].data as Float32Array | Float64Array;
        for (let i = 0; i < target.length; i++) target[i] += data[i];
      };
      add(sums.positive, outputName(sums.layer, 'positive'));
      add(sums.sum, outputName(sums.layer, 'sum'));
      add(sums.sumSq, outputName(sums.layer, 'sum_sq'));
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export interface RecordOptions extends ActivationRecorderOptions {
  /** Rows per run (default 16); rows are sorted by length first so padding stays small. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** Activation sums over token sequences with an existing recorder (batched by similar length). */
export async function recordActivations(recorder: ActivationRecorder, sequences: readonly (readonly number[])[], options: RecordOptions = {}): Promise<ActivationSums> {
  const batchSize = options.batchSize ?? 16;
  const sums = recorder.emptySums();
  const sorted = sequences.filter((s) => s.length > 0).sort((a, b) => a.length - b.length);
  for (let i = 0; i < sorted.length; i += batchSize) {
    options.signal?.throwIfAborted();
    await recorder.accumulate(sorted.slice(i, i + batchSize), sums);
  }
  return sums;
}
