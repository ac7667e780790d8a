// The policy being trained, as three engine-built pieces over one set of trainable weights:
//
//   update     the train step: decoder → per-token log-probs of the response (nn.tokenLogProbs)
//              → GRPO objective → backward → clip → AdamW, run by TrainSteps: by default the loop step
//              (a GRPO step's μ × mini-batches optimizer steps in one ONNX run, the trainable state and
//              AdamW moments crossing host↔device once per run), or one run per micro-batch ('per-step', fp16);
//   Both score tokens under the rollout distribution: logits divided by the sampling temperature, as the
//   sampler draws them (TRL does the same). Without it, old log-probs and the gradient describe a
//   different policy from the one that produced the samples at any temperature but 1.
//   scorer     a forward-only log-prob graph whose TRAINABLE weights are session inputs (frozen ones are
//              initializers), so scoring with the current policy, the rollout policy (old log-probs) or the
//              reference costs no session rebuild. With LoRA the reference is the same session with every
//              lora_B fed as zeros: the base with the adapter switched off, no second copy of the weights;
//              full / selective keep a host copy of the initial trainable weights as the reference.
//   generator  weights for the rollouts' DecodeLoop (base + adapter, or the updated full weights): one
//              session per run whose changing tensors are refreshed after every update (generator.ts).
import * as ort from 'onnxruntime-node';
import { buildApplyStep, buildGradAccumulationStep, buildTrainStep, encodeModelWithExternalData, EXTERNAL_DATA_PIECE_BYTES, lower, nn, NonFiniteLossError, op, TrainSteps, type HostTensor, type StepResult, type StepRunnerKind, type StepsRun, type Tensor, type TensorData, type TrainState } from '../../engine/index.ts';
import type { SafeTensor, TensorMap } from '../../engine/safetensors.ts';
import { ONNX_DATA_TYPE_CODE } from '../../engine/onnx/emit.ts';
import type { OnnxModel, OnnxNode } from '../../engine/onnx/model.ts';
import { TrafficCounter } from '../../engine/runtime/traffic.ts';
import type { ModelConfig } from '../../models/config.ts';
import { buildDecoderGraph, type DecoderGraph, type Projection } from '../../models/decoder.ts';
import { fineTuneRunner, resolveComputeDtype, type Precision } from '../../models/fine-tune.ts';
import { weightData } from '../../models/decoder-session.ts';
import { initLoraWeights, loraAdapterFrom, loraProjection, loraTensors, type LoraGraph } from '../../models/lora.ts';
import { loraConfig, type LoraAdapter, type LoraConfig } from '../../models/peft.ts';
import { applyNeuronSlices, neuronSlices, planSelection, selectiveProjection, type SelectivePlan } from '../../models/selective.ts';
import type { GrpoMethod } from './config.ts';
import { grpoObjective, maskedEntropy, type ObjectiveOptions } from './objective.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

/** One packed batch of prompt + response rows (right padded), as every policy graph reads it. */
export interface PolicyBatch {
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  positionIds: BigInt64Array;
  /** targets[b, t] = the token at t + 1 (0 past the row). */
  targets: BigInt64Array;
  /** 1 where targets[b, t] is a response token that counts in the loss. */
  lossMask: Float32Array;
}

/**
 * Lengths a packed batch is padded up to (steps of about 1.5×): the update and scorer sessions are
 * cached per (batch, length), so without buckets every new rollout length built a new session (slow, and
 * onnxruntime's memory grows with each one). Padding is masked everywhere (attention, loss), so the
 * numbers are those of the unpadded batch.
 */
export const LENGTH_BUCKETS = [16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768];

/** The bucket a sequence of `length` tokens is padded to (beyond the table: the next multiple of 8192). */
export function bucketLength(length: number): number {
  return LENGTH_BUCKETS.find((b) => b >= length) ?? Math.ceil(length / 8192) * 8192;
}

/**
 * Rows of prompt ids + response ids → a PolicyBatch, right-padded to the length bucket of the longest
 * row (`exact: true` pads to the longest row only). `counts[i] = false` masks the whole response of row i.
 */
export function packBatch(rows: readonly { prompt: readonly number[]; response: readonly number[]; counts?: boolean }[], padId: number, options: { exact?: boolean } = {}): PolicyBatch {
  if (rows.length === 0) throw new Error('packBatch: no rows');
  const B = rows.length;
  const longest = Math.max(...rows.map((r) => r.prompt.length + r.response.length));
  const S = options.exact ? longest : bucketLength(longest);
  const inputIds = new BigInt64Array(B * S).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(B * S);
  const positionIds = new BigInt64Array(B * S);
  const targets = new BigInt64Array(B * S);
  const lossMask = new Float32Array(B * S);
  rows.forEach((r, b) => {
    const ids = [...r.prompt, ...r.response];
    ids.forEach((id, t) => {
      inputIds[b * S + t] = BigInt(id);
      attentionMask[b * S + t] = 1n;
      positionIds[b * S + t] = BigInt(t);
      if (t + 1 < ids.length) targets[b * S + t] = BigInt(ids[t + 1]);
      if (t + 1 >= r.prompt.length && t + 1 < ids.length && r.counts !== false) lossMask[b * S + t] = 1;
    });
  });
  return { batch: B, seq: S, inputIds, attentionMask, positionIds, targets, lossMask };
}

export interface PolicyOptions {
  objective: ObjectiveOptions;
  adamw: { weightDecay: number; beta1: number; beta2: number };
  maxGradNorm: number | null;
  provider?: 'auto' | 'cpu' | 'cuda' | 'webgpu';
  /** The rollout sampling temperature (default 1): log-probs are those of softmax(logits / temperature). */
  temperature?: number;
  /** Recompute each decoder layer in the update's backward pass (DecoderGraphOptions.gradientCheckpointing). */
  gradientCheckpointing?: boolean;
  /** With gradientCheckpointing: the update's attention in this many groups of query heads (DecoderGraphOptions.attentionHeadChunks). */
  attentionHeadChunks?: number;
  /** The update's compute precision (fine-tune.ts Precision; fp16 with dynamic loss scaling). The scorer stays float32. */
  precision?: Precision;
  /**
   * Micro-batches per update (default 1). Above 1 (and at 1 in loop mode), an update splits its mini-batch's rows
   * into that many micro-batches (accumulate/apply graphs), each loss scaled so the summed gradient is the
   * whole mini-batch's under the objective's aggregation: the out-of-memory retry (#21) doubles this.
   */
  gradAccumulation?: number;
  /** Frozen weights of at least this many bytes reach the scorer as views of their own bytes (default 1 MiB; tests pass 0). */
  scorerOwnBufferBytes?: number;
  /** Keep frozen weights whose values are all exactly bf16 (a bf16 checkpoint) as bf16 in the scorer (default true). */
  scorerStoredBf16?: boolean;
  /** How optimizer steps run (default 'loop'; fp16 always 'per-step': fineTuneRunner). */
  stepRunner?: StepRunnerKind;
}

/** One optimizer step's inputs for Policy.updates: a packed mini-batch and its old/reference log-probs and advantages. */
export interface UpdateItem {
  batch: PolicyBatch;
  oldLogProbs: Float32Array;
  refLogProbs?: Float32Array;
  advantages: Float32Array;
}

/** Name of the accumulate graph's per-micro-batch loss scale (PolicyOptions.gradAccumulation). */
const MICRO_LOSS_SCALE = 'micro_loss_scale';

/**
 * A mini-batch's feed as k micro-batches of consecutive rows (same padded length). The runner averages
 * the k gradients, so micro-batch j's loss is scaled by k·wⱼ/W, wⱼ its share of the normaliser: target
 * tokens ('token'), rows with tokens ('sequence'), rows ('constant', which divides by rows × budget).
 */
function microBatchFeeds(feed: Record<string, HostTensor>, batch: PolicyBatch, k: number, aggregation: ObjectiveOptions['aggregation']): Record<string, HostTensor>[] {
  const B = batch.batch;
  const S = batch.seq;
  if (B < k) throw new Error(`policy: a mini-batch of ${B} rows cannot be split into ${k} micro-batches`);
  const bounds = Array.from({ length: k + 1 }, (_, j) => Math.floor((j * B) / k));
  const rowTokens = Array.from({ length: B }, (_, b) => batch.lossMask.subarray(b * S, (b + 1) * S).reduce((a, v) => a + v, 0));
  const weight = (from: number, to: number) => {
    const rows = rowTokens.slice(from, to);
    if (aggregation === 'token') return Math.max(rows.reduce((a, v) => a + v, 0), 1);
    if (aggregation === 'sequence') return Math.max(rows.filter((v) => v > 0).length, 1);
    return to - from;
  };
  const whole = weight(0, B);
  return bounds.slice(0, k).map((from, j) => {
    const to = bounds[j + 1];
    const micro: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(feed)) {
      const per = t.dims.length === 2 ? S : 1;
      micro[name] = { dtype: t.dtype, dims: t.dims.length === 2 ? [to - from, S] : [to - from], data: t.data.slice(from * per, to * per) as HostTensor['data'] };
    }
    micro[MICRO_LOSS_SCALE] = { dtype: 'float32', dims: [], data: Float32Array.of((k * weight(from, to)) / whole) };
    return micro;
  });
}

/** Logits as the sampler sees them: divided by the temperature (no op at 1). */
function samplingLogits(logits: Tensor, temperature: number): Tensor {
  return temperature === 1 ? logits : op.mul(logits, 1 / temperature);
}

export function loraConfigOf(method: Extract<GrpoMethod, { kind: 'lora' }>): LoraConfig {
  return loraConfig({ r: method.r, loraAlpha: method.alpha, loraDropout: 0, targetModules: method.targetModules, useRslora: method.useRslora });
}

/** The decoder graph for a method, with the names of its trainable params. */
function methodDecoder(config: ModelConfig, method: GrpoMethod, gradientCheckpointing = false, computeDtype?: 'float16' | 'bfloat16', attentionHeadChunks?: number): { decoder: DecoderGraph; trainable: string[]; lora: LoraGraph | null; plan: SelectivePlan | null } {
  let projection: Projection | undefined;
  let lora: LoraGraph | null = null;
  if (method.kind === 'lora') {
    // Rollouts are sampled without dropout, and the ratio must compare like with like: no LoRA dropout in GRPO.
    lora = loraProjection(config, loraConfigOf(method), { dtype: 'float32', dropout: false });
    projection = lora.projection;
  } else if (method.kind === 'selective') {
    const neurons = Object.fromEntries(Object.entries(method.neurons ?? {}).map(([layer, list]) => [Number(layer), list]));
    const plan = planSelection(config, { layers: method.layers, parameters: method.parameters?.map(parameterPattern), neurons });
    const selective = selectiveProjection(plan, 'float32');
    projection = selective.projection;
    // Selected neurons train as slices of their weights (models/selective.ts); the names exist once the graph is built.
    const decoder = buildDecoderGraph(config, { dtype: 'float32', projection, gradientCheckpointing, attentionHeadChunks, computeDtype });
    return { decoder, trainable: [...plan.wholeParams, ...selective.sliceParams.keys()], lora, plan };
  }
  const decoder = buildDecoderGraph(config, { dtype: 'float32', projection, gradientCheckpointing, attentionHeadChunks, computeDtype });
  const trainable = method.kind === 'full' ? [...decoder.weights.keys()] : [...lora!.params.values()].flatMap(({ a, b }) => [a.name, b.name]);
  return { decoder, trainable, lora, plan: null };
}

/** "/regex/" strings are regular expressions; anything else is an exact weight name. */
function parameterPattern(p: string): string | RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(p);
  return m ? new RegExp(m[1], m[2]) : p;
}

/** Frozen weights at least this large reach the scorer session as views of their own bytes, not copied into pieces. */
const SCORER_OWN_BUFFER_BYTES = 2 ** 20;

/** Frozen float32 weights at least this large are stored as bf16 in the scorer when that is exact. */
const SCORER_BF16_MIN_BYTES = 1024;

/**
 * The float32 initializers of `model` (at least `minBytes`) whose every value is exactly a bfloat16
 * (low 16 bits zero), stored as bf16 (`NAME::bf16`) with a Cast to float32 in front of their first
 * consumer: the graph computes with the very same float32 values, onnxruntime holds half the bytes.
 */
export function storeExactBf16(model: OnnxModel, minBytes: number): { model: OnnxModel; stored: string[] } {
  const graph = model.graph;
  const casts = new Map<string, OnnxNode>();
  const initializers = graph.initializers.map((t) => {
    if (t.dtype !== 'float32' || !(t.data instanceof Float32Array) || t.data.byteLength < minBytes) return t;
    const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const half = new Uint16Array(bits.length);
    for (let i = 0; i < bits.length; i++) {
      if (bits[i] & 0xffff) return t;
      half[i] = bits[i] >>> 16;
    }
    const stored = `${t.name}::bf16`;
    casts.set(t.name, { opType: 'Cast', name: `${t.name}/CastFromBf16`, inputs: [stored], outputs: [t.name], attributes: { to: { kind: 'int', value: ONNX_DATA_TYPE_CODE.float32 } } });
    return { ...t, name: stored, dtype: 'bfloat16' as const, data: half };
  });
  if (!casts.size) return { model, stored: [] };
  const stored = [...casts.keys()];
  // Each Cast just before the first node that reads the weight, so a run casts as it goes.
  const nodes: OnnxNode[] = [];
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      const cast = casts.get(input);
      if (cast) {
        nodes.push(cast);
        casts.delete(input);
      }
    }
    nodes.push(node);
  }
  return { model: { ...model, graph: { ...graph, nodes: [...casts.values(), ...nodes], initializers } }, stored };
}

const f32 = (t: SafeTensor): Float32Array => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>));

export class Policy {
  /** Bytes of frozen weights the scorer session was handed as views of the loaded weights' own memory (no copy in JS). */
  scorerViewBytes = 0;
  /** Frozen weights (and constants) the scorer keeps as bf16: exactly bf16-valued, cast to float32 at use. */
  scorerStoredBf16: string[] = [];
  /** The scorer's host↔device bytes (its trainable inputs and log-probs), for the step's traffic. */
  private readonly scoreTraffic = new TrafficCounter();

  private constructor(
    readonly config: ModelConfig,
    readonly method: GrpoMethod,
    private readonly baseWeights: Weights,
    readonly runner: TrainSteps,
    private readonly scorer: ort.InferenceSession,
    readonly trainable: string[],
    /** Trainable values of the reference policy (LoRA: lora_B zeroed). */
    private readonly reference: Record<string, HostTensor>,
    private readonly loraCfg: LoraConfig | null,
    readonly usesReference: boolean,
    /** Selective tuning's plan when it trains neuron slices (they are written back into the weights for rollouts and the output). */
    private readonly plan: SelectivePlan | null = null,
    /** Micro-batches per update (PolicyOptions.gradAccumulation). */
    readonly gradAccumulation = 1,
    private readonly aggregation: ObjectiveOptions['aggregation'] = 'token',
    /** The update is the fused one-graph step (per-step runner at gradAccumulation 1): no micro-batch loss scale input. */
    private readonly fused = false,
  ) {}

  static async create(config: ModelConfig, weights: Weights, method: GrpoMethod, options: PolicyOptions & { adapter?: LoraAdapter }): Promise<Policy> {
    const usesReference = options.objective.beta > 0;
    const temperature = options.temperature ?? 1;
    if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`policy: temperature must be a positive number, got ${temperature}`);
    // --- update graph
    const precision = options.precision ?? 'fp32';
    const computeDtype = await resolveComputeDtype(precision, 'float32', options.provider ?? 'auto');
    const train = methodDecoder(config, method, options.gradientCheckpointing, computeDtype, options.attentionHeadChunks);
    const g = train.decoder.graph;
    const B = 'batch_size';
    const S = 'sequence_length';
    const targets = g.input('targets', 'int64', [B, S]);
    const mask = g.input('loss_mask', 'float32', [B, S]);
    const old = g.input('old_log_probs', 'float32', [B, S]);
    const ref = usesReference ? g.input('ref_log_probs', 'float32', [B, S]) : undefined;
    const advantages = g.input('advantages', 'float32', [B]);
    // Log-probs, the objective and the entropy in float32 (mixed precision computes only the decoder in half).
    const logits = samplingLogits(op.cast(train.decoder.logits, 'float32'), temperature);
    const logProbs = nn.tokenLogProbs(logits, targets);
    const objective = grpoObjective({ logProbs, oldLogProbs: old, refLogProbs: ref, advantages, mask }, options.objective);
    const trainableSet = new Set(train.trainable);
    const params = g.params.filter((p) => trainableSet.has(p.name));
    const accumulation = options.gradAccumulation ?? 1;
    if (!Number.isInteger(accumulation) || accumulation < 1) throw new RangeError(`policy: gradAccumulation must be a positive integer, got ${accumulation}`);
    const adamw = { weightDecay: options.adamw.weightDecay, beta1: options.adamw.beta1, beta2: options.adamw.beta2 };
    const stepMetrics = { ...objective.metrics, entropy: maskedEntropy(logits, mask) };
    // The loop runs the accumulate/apply pair at any accumulation (at 1 its micro-batch scale is fed 1: the fused step's numbers).
    const runnerKind = fineTuneRunner(options.stepRunner, precision);
    const fused = accumulation === 1 && runnerKind === 'per-step';
    const step = fused
      ? buildTrainStep({ loss: objective.loss, trainable: params, adamw, maxGradNorm: options.maxGradNorm, metrics: stepMetrics, checkpoints: train.decoder.checkpoints, lossScaling: precision === 'fp16' })
      : buildGradAccumulationStep({ loss: op.mul(objective.loss, g.input(MICRO_LOSS_SCALE, 'float32', [])), trainable: params, metrics: stepMetrics, checkpoints: train.decoder.checkpoints, lossScaling: precision === 'fp16' });

    // --- initial trainable values
    const loraCfg = method.kind === 'lora' ? loraConfigOf(method) : null;
    const initial: TensorMap = method.kind === 'lora' ? loraTensors(options.adapter?.lora ?? initLoraWeights(config, loraCfg!, 0)) : new Map(weights);
    if (train.plan?.neurons.size) for (const [name, t] of neuronSlices(config, train.plan, weights)) initial.set(name, t);
    const host = (name: string): HostTensor => {
      const t = initial.get(name);
      if (!t) throw new Error(`policy: no initial value for trainable ${name}`);
      return { dtype: 'float32', dims: [...t.shape], data: Float32Array.from(f32(t)) };
    };
    const initialParams: Record<string, HostTensor> = {};
    for (const io of step.signature.trainable) initialParams[io.name] = host(io.name);
    const frozen: Record<string, TensorData> = {};
    for (const spec of step.signature.frozen) frozen[spec.name] = weightData(weights, spec.name, 'float32');
    const graphs = fused
      ? { model: step.toOnnx(frozen), signature: step.signature }
      : (() => {
          const apply = buildApplyStep(step.signature.trainable, { adamw, maxGradNorm: options.maxGradNorm });
          return { accumulate: { model: step.toOnnx(frozen), signature: step.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };
        })();
    const runner = await TrainSteps.create(graphs, { params: initialParams }, { runner: runnerKind, provider: options.provider ?? 'auto', lossScaling: precision === 'fp16' ? {} : undefined });

    // --- scorer: per-token log-probs with trainable weights as inputs
    const scoring = methodDecoder(config, method);
    const sg = scoring.decoder.graph;
    const scoreTargets = sg.input('targets', 'int64', [B, S]);
    const scoreLogProbs = nn.tokenLogProbs(samplingLogits(scoring.decoder.logits, temperature), scoreTargets);
    const scoringTrainable = new Set(scoring.trainable);
    const initializers: Record<string, TensorData> = {};
    for (const p of sg.params) if (!scoringTrainable.has(p.name)) initializers[p.name] = weightData(weights, p.name, 'float32');
    const lowered = lower(sg, { outputs: { log_probs: op.identity(scoreLogProbs) }, initializers });
    // A bf16 checkpoint widened on load: its frozen weights are exactly bf16 values, so the scorer keeps
    // them as bf16 (half of onnxruntime's copy) and casts them back at use: the same float32 values.
    const storedBf16 = options.scorerStoredBf16 !== false;
    const model = storedBf16 ? storeExactBf16(lowered, SCORER_BF16_MIN_BYTES) : { model: lowered, stored: [] as string[] };
    // Frozen weights as in-memory external data (no 2 GB protobuf, no 4 GiB typed array), handed over the
    // way the update's step graph hands them (engine/runtime/step-graph.ts): weights of 1 MiB and more as
    // views of their own bytes (the loaded checkpoint's arrays), the small rest packed into ≤ 1 GiB pieces.
    // Copying every weight into pieces held one more full copy of the frozen weights while the session was
    // created, and MLAS prepacking kept packed copies of every frozen MatMul weight beside onnxruntime's own
    // (Qwen2.5-1.5B LoRA GRPO: ~568 MiB per decoder layer in all, against ~180 MiB of weights).
    const encoded = encodeModelWithExternalData(model.model, { mode: 'always', location: 'scorer.bin', maxFileBytes: EXTERNAL_DATA_PIECE_BYTES, ownBufferBytes: options.scorerOwnBufferBytes ?? SCORER_OWN_BUFFER_BYTES });
    const frozenBuffers = new Set(model.model.graph.initializers.map((t) => t.data.buffer));
    const scorerViewBytes = encoded.externalData.reduce((n, f) => n + (frozenBuffers.has(f.data.buffer) ? f.data.byteLength : 0), 0);
    const scorer = await ort.InferenceSession.create(encoded.model, {
      graphOptimizationLevel: 'all',
      // The update's device: old and reference log-probs are computed where the policy trains.
      executionProviders: [runner.provider.provider],
      externalData: encoded.externalData,
      // No constant folding where weights are stored as bf16 (it would fold every Cast into a float32
      // initializer again); no arena, so each run's cast weights go back to the system when it ends.
      ...(model.stored.length ? { enableCpuMemArena: false } : {}),
      extra: { session: { disable_prepacking: '1' }, ...(model.stored.length ? { optimization: { disable_specified_optimizers: 'ConstantFolding' } } : {}) },
    });

    const reference: Record<string, HostTensor> = {};
    for (const name of train.trainable) {
      const h = host(name);
      if (method.kind === 'lora' && name.endsWith('.lora_B.weight')) h.data = new Float32Array(h.data.length);
      reference[name] = h;
    }
    const policy = new Policy(config, method, weights, runner, scorer, train.trainable, reference, loraCfg, usesReference, train.plan?.neurons.size ? train.plan : null, accumulation, options.objective.aggregation, fused);
    policy.scorerViewBytes = scorerViewBytes;
    policy.scorerStoredBf16 = model.stored;
    return policy;
  }

  /**
   * Per-token log-probs [B, S] of `batch` under the current policy, or the reference. Calls run one at a
   * time (callers may fire a step's batches together; the scorer would otherwise hold every batch's
   * activations at once) and read the current parameters once per optimizer step — the parameters
   * only, never the AdamW moments.
   */
  logProbs(batch: PolicyBatch, which: 'current' | 'reference' = 'current'): Promise<Float32Array> {
    const run = this.scoring.then(() => this.scoreOne(batch, which));
    this.scoring = run.catch(() => undefined);
    return run;
  }

  private scoring: Promise<unknown> = Promise.resolve();
  private currentParams: { step: number; params: Promise<Record<string, HostTensor>> } | null = null;

  private async scoreOne(batch: PolicyBatch, which: 'current' | 'reference'): Promise<Float32Array> {
    let values = this.reference;
    if (which === 'current') {
      if (this.currentParams?.step !== this.runner.stepCount) this.currentParams = { step: this.runner.stepCount, params: this.runner.readParams() };
      values = await this.currentParams.params;
    }
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, [batch.batch, batch.seq]),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, [batch.batch, batch.seq]),
      position_ids: new ort.Tensor('int64', batch.positionIds, [batch.batch, batch.seq]),
      targets: new ort.Tensor('int64', batch.targets, [batch.batch, batch.seq]),
    };
    for (const name of this.trainable) {
      const t = values[name];
      feeds[name] = new ort.Tensor('float32', t.data as Float32Array, t.dims);
    }
    this.scoreTraffic.countInputs(feeds);
    const out = await this.scorer.run(feeds, ['log_probs']);
    this.scoreTraffic.countOutputs(out);
    this.scoreTraffic.endStep();
    return out.log_probs.data as Float32Array;
  }

  /**
   * One optimizer step of the GRPO objective on a packed batch. Per step (fp16) the runner's own step,
   * which reports a skipped (overflowed) step to the caller; in loop mode a run of one step.
   */
  async update(batch: PolicyBatch, extra: { oldLogProbs: Float32Array; refLogProbs?: Float32Array; advantages: Float32Array }, learningRate: number): Promise<StepResult> {
    const item = { batch, ...extra };
    const perStep = this.runner.perStepRunner;
    if (perStep) {
      const micro = this.feeds(item);
      return perStep.step(this.fused ? micro[0] : micro, { learningRate });
    }
    const run = await this.updates([item], learningRate);
    if (run.nonFinite) throw new NonFiniteLossError(run.nonFinite.step, run.nonFinite.loss);
    return run.steps[0];
  }

  /**
   * One optimizer step per item, all in one run of the runner (loop mode: one ONNX run, the state crossing
   * host↔device once). A non-finite loss or gradient norm ends the run at its step (StepsRun.nonFinite): the
   * steps before it are applied. A run that throws (out of memory, a lost device) applies nothing in loop mode.
   */
  updates(items: readonly UpdateItem[], learningRate: number): Promise<StepsRun> {
    return this.runner.run(items.map((item) => this.feeds(item)), items.map(() => learningRate));
  }

  /** An item's feeds: the fused step's one feed, or gradAccumulation micro-batches with their loss scales (1 at K = 1). */
  private feeds(item: UpdateItem): Record<string, HostTensor>[] {
    const { batch } = item;
    const bs = [batch.batch, batch.seq];
    const feed: Record<string, HostTensor> = {
      input_ids: { dtype: 'int64', dims: bs, data: batch.inputIds },
      attention_mask: { dtype: 'int64', dims: bs, data: batch.attentionMask },
      position_ids: { dtype: 'int64', dims: bs, data: batch.positionIds },
      targets: { dtype: 'int64', dims: bs, data: batch.targets },
      loss_mask: { dtype: 'float32', dims: bs, data: batch.lossMask },
      old_log_probs: { dtype: 'float32', dims: bs, data: item.oldLogProbs },
      advantages: { dtype: 'float32', dims: [batch.batch], data: item.advantages },
    };
    if (this.usesReference) {
      if (!item.refLogProbs) throw new Error('policy.update: the objective has a KL term (beta > 0) but no reference log-probs were given');
      feed.ref_log_probs = { dtype: 'float32', dims: bs, data: item.refLogProbs };
    }
    if (this.fused) return [feed];
    return microBatchFeeds(feed, batch, this.gradAccumulation, this.aggregation);
  }

  /** What the rollout generator needs: the base weights plus the adapter, or the updated full weights. */
  async generatorWeights(): Promise<{ weights: Weights; adapter?: LoraAdapter }> {
    const trained = await this.trainedTensors();
    if (this.loraCfg) return { weights: this.baseWeights, adapter: loraAdapterFrom(this.loraCfg, trained) };
    const merged: TensorMap = new Map(this.baseWeights);
    for (const [name, t] of trained) merged.set(name, t);
    if (!this.plan) return { weights: merged };
    // Neuron slices are not weights of the model: write them into their rows / columns and drop them.
    const written = applyNeuronSlices(this.config, this.plan, merged, trained);
    for (const name of trained.keys()) if (name.endsWith('.selected_neurons')) written.delete(name);
    return { weights: written };
  }

  /** The trainable tensors as they are now: the parameters only (the generator is refreshed every step; never the AdamW moments). */
  async trainedTensors(): Promise<TensorMap> {
    const params = await this.runner.readParams();
    const out: TensorMap = new Map();
    for (const [name, t] of Object.entries(params)) out.set(name, { dtype: 'F32', shape: [...t.dims], data: Float32Array.from(t.data as Float32Array) });
    return out;
  }

  readState(): Promise<TrainState> {
    return this.runner.readState();
  }

  loadState(state: TrainState): void {
    this.runner.loadState(state);
    this.currentParams = null;
  }

  async release(): Promise<void> {
    await this.runner.release();
    await this.scorer.release();
  }
}
