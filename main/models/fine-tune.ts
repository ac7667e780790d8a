// Fine-tuning train steps for Hugging Face decoders on the engine: full fine-tuning, LoRA, and
// selective tuning, each as one fused train-step graph (forward + loss + backward + clipping + AdamW,
// engine/optim/train-step.ts) run by the engine's TrainStepRunner. Frozen weights are initializers of
// the step graph; only what trains (and its AdamW state) is carried between steps.
//
// With `gradAccumulation` > 1 the step is the engine's accumulate/apply pair instead; `lossScale` lets
// the caller weight micro-batches per target token; `packedSegments` trains on packed rows; `evaluate`
// runs a forward-only loss graph on the current weights (held-out loss).
//
// `FineTuner.export()` gives back what to save: full weights (full / selective) for weights.ts
// saveModel, or a PEFT adapter (LoRA) for peft.ts writeLoraAdapter.
import * as ort from 'onnxruntime-node';
import {
  buildApplyStep, buildGradAccumulationStep, buildTrainStep, chooseExecutionProvider, encodeModelWithExternalData, EXTERNAL_DATA_PIECE_BYTES, lower, NonFiniteLossError, op, toOrtTensor, TrainSteps,
  type AdamWConfig, type HostTensor, type ProviderRequest, type RngState, type StepResult, type StepRunnerKind, type StepsRun, type Tensor, type TensorData, type TrainState, type TrainStepRunnerOptions,
} from '../engine/index.ts';
import type { SafeTensor, TensorMap } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import { buildDecoderGraph, type DecoderDType, type DecoderGraph, type Projection } from './decoder.ts';
import { weightData } from './decoder-session.ts';
import { SeededRandom } from './init.ts';
import { initLoraWeights, loraAdapterFrom, loraDropoutFeeds, loraProjection, loraTargets, loraTensors, type LoraGraph } from './lora.ts';
import type { LoraAdapter, LoraConfig } from './peft.ts';
import { applyNeuronSlices, neuronSlices, planSelection, selectiveProjection, type Selection, type SelectivePlan } from './selective.ts';

export type TuningMethod =
  | { kind: 'full' }
  | { kind: 'lora'; lora: LoraConfig; /** Seed for A's init and dropout masks. */ seed?: number; /** Start from a trained adapter instead. */ adapter?: LoraAdapter }
  | { kind: 'selective'; selection: Selection };

export interface FineTuneOptions {
  dtype?: DecoderDType;
  adamw?: Partial<AdamWConfig>;
  /** Default 1.0; null disables clipping. */
  maxGradNorm?: number | null;
  /** Execution provider (default 'auto': CUDA, WebGPU, then CPU). */
  provider?: ProviderRequest;
  /** Packed rows: attention_mask carries segment ids (see DecoderGraphOptions.packedSegments). */
  packedSegments?: boolean;
  /**
   * Micro-batches per optimizer step (default 1: the fused step). Above 1, `step` takes that many
   * batches (or fewer, for a last partial step) and runs the accumulate/apply graphs.
   */
  gradAccumulation?: number;
  /**
   * Adds a float scalar input `loss_scale` that multiplies the graph's mean cross-entropy. The caller
   * feeds k·nᵢ/N for micro-batch i of k (nᵢ its target tokens, N the step's), so the step's gradient is
   * that of the per-token mean over all micro-batches, not the mean of per-batch means.
   */
  lossScale?: boolean;
  /**
   * Largest in-memory external-data piece holding frozen weights (default 1 GiB, the engine's
   * EXTERNAL_DATA_PIECE_BYTES): frozen weights of any total size reach onnxruntime without one typed
   * array over Node's 4 GiB cap. Tests force small pieces.
   */
  externalDataPieceBytes?: number;
  /** Activation checkpointing per decoder layer (see DecoderGraphOptions.gradientCheckpointing). */
  gradientCheckpointing?: boolean;
  /** With gradientCheckpointing: attention in this many groups of query heads (DecoderGraphOptions.attentionHeadChunks). */
  attentionHeadChunks?: number;
  /**
   * Compute precision (master weights and AdamW moments stay float32): 'fp16' computes in float16 with
   * dynamic loss scaling (steps whose gradients overflow are skipped, StepResult.skipped); 'bf16'
   * computes in bfloat16 (GPU providers: onnxruntime's CPU provider has no bf16 kernels, so it is refused
   * there). Default 'fp32'. Needs dtype float32.
   */
  precision?: Precision;
  /** Overrides of the fp16 loss scaler (initScale 65536, growth ×2 every 2000 good steps, backoff ×0.5). */
  lossScaling?: TrainStepRunnerOptions['lossScaling'];
  /** onnxruntime session options of the step graphs (e.g. enableCpuMemArena). */
  sessionOptions?: TrainStepRunnerOptions['sessionOptions'];
  /** Cross-entropy over this many vocabulary blocks (DecoderGraphOptions.lossChunks): the [tokens, vocab] logits never whole. */
  lossChunks?: number;
  /**
   * How steps run (engine/runtime/train-steps.ts): 'loop' (default) takes many steps of many micro-batches
   * in one session.run, so the trainable state crosses host↔device once per run; 'per-step' runs each
   * micro-batch on its own. fp16 (dynamic loss scaling) always runs per step.
   */
  runner?: StepRunnerKind;
}

/** Name of the loss-scale input (FineTuneOptions.lossScale). */
export const LOSS_SCALE_INPUT = 'loss_scale';

/** A causal-LM batch: rows of token ids with loss masks, padded on the right. */
export interface LmExample {
  ids: number[];
  /** 1 where the token is a target (predicted from the previous ones); default all but the first. */
  lossMask?: number[];
}

type Feed = Record<string, HostTensor>;
/** What lmBatch returns: the graph feed and its batch / sequence sizes. */
export type LmBatch = { feed: Feed; batch: number; seq: number };

/** input_ids / attention_mask / position_ids / labels (shifted: labels[t] = ids[t+1] where it is a target, else −100). */
export function lmBatch(examples: readonly LmExample[], padId = 0): LmBatch {
  if (examples.length === 0) throw new Error('lmBatch: no examples');
  const B = examples.length;
  const S = Math.max(...examples.map((e) => e.ids.length));
  const ids = new BigInt64Array(B * S).fill(BigInt(padId));
  const mask = new BigInt64Array(B * S);
  const pos = new BigInt64Array(B * S);
  const labels = new BigInt64Array(B * S).fill(-100n);
  examples.forEach((e, b) => {
    if (e.lossMask && e.lossMask.length !== e.ids.length) throw new Error(`lmBatch: example ${b} has ${e.ids.length} ids but ${e.lossMask.length} loss-mask values`);
    e.ids.forEach((id, t) => {
      ids[b * S + t] = BigInt(id);
      mask[b * S + t] = 1n;
      pos[b * S + t] = BigInt(t);
      if (t + 1 < e.ids.length && (e.lossMask ? e.lossMask[t + 1] : 1)) labels[b * S + t] = BigInt(e.ids[t + 1]);
    });
  });
  const t = (data: BigInt64Array): HostTensor => ({ dtype: 'int64', dims: [B, S], data });
  return { feed: { input_ids: t(ids), attention_mask: t(mask), position_ids: t(pos), labels: t(labels) }, batch: B, seq: S };
}

export class FineTuner {
  private dropoutRng: SeededRandom;
  private evalSession: Promise<ort.InferenceSession> | null = null;
  private constructor(
    readonly config: ModelConfig,
    readonly method: TuningMethod,
    readonly runner: TrainSteps,
    readonly decoder: DecoderGraph,
    /** Names of the trainable params. */
    readonly trainable: string[],
    private readonly baseWeights: ReadonlyMap<string, SafeTensor>,
    private readonly lora: LoraGraph | null,
    private readonly plan: SelectivePlan | null,
    private readonly dtype: DecoderDType,
    private readonly options: FineTuneOptions,
  ) {
    this.dropoutRng = new SeededRandom(((method.kind === 'lora' ? method.seed : 0) ?? 0) + 7919);
  }

  static async create(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, method: TuningMethod, options: FineTuneOptions = {}): Promise<FineTuner> {
    const dtype = options.dtype ?? 'float32';
    const precision = options.precision ?? 'fp32';
    const computeDtype = await resolveComputeDtype(precision, dtype, options.provider ?? 'auto');
    let projection: Projection | undefined;
    let lora: LoraGraph | null = null;
    let plan: SelectivePlan | null = null;
    let slices: TensorMap = new Map();
    let selective: ReturnType<typeof selectiveProjection> | null = null;
    if (method.kind === 'lora') {
      lora = loraProjection(config, method.lora, { dtype, dropout: true });
      if (options.lossChunks !== undefined && loraTargets(config, method.lora).has('lm_head')) throw new Error('fine-tune: lossChunks (chunked cross-entropy) cannot adapt lm_head with LoRA; drop lm_head from target_modules or lossChunks');
      projection = lora.projection;
    } else if (method.kind === 'selective') {
      plan = planSelection(config, method.selection);
      selective = selectiveProjection(plan, dtype);
      projection = selective.projection;
      slices = neuronSlices(config, plan, weights);
    } else if (method.kind !== 'full') throw new Error(`fine-tune: unknown method ${(method as { kind: string }).kind}`);

    const decoder = buildDecoderGraph(config, { dtype, labels: true, projection, packedSegments: options.packedSegments, gradientCheckpointing: options.gradientCheckpointing, attentionHeadChunks: options.attentionHeadChunks, lossChunks: options.lossChunks, computeDtype });
    let trainable: string[];
    let initialParams: TensorMap;
    if (method.kind === 'full') {
      trainable = [...decoder.weights.keys()];
      initialParams = new Map(weights);
    } else if (method.kind === 'lora') {
      trainable = [...lora!.params.values()].flatMap(({ a, b }) => [a.name, b.name]);
      initialParams = loraTensors(method.adapter?.lora ?? initLoraWeights(config, method.lora, method.seed ?? 0));
    } else {
      trainable = [...plan!.wholeParams, ...selective!.sliceParams.keys()];
      initialParams = new Map([...weights, ...slices]);
    }
    const trainableSet = new Set(trainable);
    const params = decoder.graph.params.filter((p) => trainableSet.has(p.name));
    let loss: Tensor = decoder.loss!;
    if (options.lossScale) loss = decoder.graph.scope('loss_scale', () => op.mul(decoder.loss!, decoder.graph.input(LOSS_SCALE_INPUT, dtype, [])));
    const accumulation = options.gradAccumulation ?? 1;
    if (!Number.isInteger(accumulation) || accumulation < 1) throw new RangeError(`fine-tune: gradAccumulation must be a positive integer, got ${accumulation}`);
    const runnerKind = fineTuneRunner(options.runner, precision);
    // The loop runs the accumulate/apply pair at any accumulation (its K = 1 equals the fused step).
    const fused = accumulation === 1 && runnerKind === 'per-step';
    const step = fused
      ? buildTrainStep({ loss, trainable: params, adamw: options.adamw, maxGradNorm: options.maxGradNorm, checkpoints: decoder.checkpoints, lossScaling: precision === 'fp16' })
      : buildGradAccumulationStep({ loss, trainable: params, checkpoints: decoder.checkpoints, lossScaling: precision === 'fp16' });
    const frozen: Record<string, TensorData> = {};
    for (const spec of step.signature.frozen) frozen[spec.name] = weightData(weights, spec.name, dtype);
    const initial: Record<string, HostTensor> = {};
    for (const io of step.signature.trainable) initial[io.name] = { dtype, dims: io.shape, data: weightData(initialParams, io.name, dtype) as HostTensor['data'] };
    // The runner carries trainable values between steps; hand it copies so callers' weights stay as they were.
    for (const v of Object.values(initial)) v.data = v.data.slice() as HostTensor['data'];
    const graphs = fused
      ? { model: step.toOnnx(frozen), signature: step.signature }
      : (() => {
          const apply = buildApplyStep(step.signature.trainable, { adamw: options.adamw, maxGradNorm: options.maxGradNorm });
          return { accumulate: { model: step.toOnnx(frozen), signature: step.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };
        })();
    const runner = await TrainSteps.create(graphs, { params: initial }, { runner: runnerKind, provider: options.provider, externalDataPieceBytes: options.externalDataPieceBytes, sessionOptions: options.sessionOptions, lossScaling: precision === 'fp16' ? options.lossScaling ?? {} : undefined });
    return new FineTuner(config, method, runner, decoder, trainable, weights, lora, plan, dtype, options);
  }

  /**
   * One optimizer step on a batch from lmBatch, or on up to `gradAccumulation` micro-batches (LoRA
   * dropout masks are drawn here, in micro-batch order).
   */
  async step(batches: LmBatch | readonly LmBatch[], learningRate: number): Promise<StepResult> {
    const list = Array.isArray(batches) ? (batches as readonly LmBatch[]) : [batches as LmBatch];
    const perStep = this.runner.perStepRunner;
    // Per step (fp16): the runner's own step, which reports a skipped (overflowed) step to the caller.
    if (perStep) {
      const feeds = this.feeds(list);
      return perStep.step((this.options.gradAccumulation ?? 1) === 1 ? feeds[0] : feeds, { learningRate });
    }
    const run = await this.steps([list], [learningRate]);
    if (run.nonFinite) throw new NonFiniteLossError(run.nonFinite.step, run.nonFinite.loss);
    return run.steps[0];
  }

  /**
   * S optimizer steps in one run (`steps[s]`: step s's micro-batches, up to gradAccumulation of them, the
   * same number for every step; `learningRates[s]` its rate). LoRA dropout masks are drawn here, step by
   * step in micro-batch order, as `step` draws them. A non-finite loss or gradient norm ends the run at its
   * step (StepsRun.nonFinite): the steps before it are applied.
   */
  async steps(steps: readonly (readonly LmBatch[])[], learningRates: number[]): Promise<StepsRun> {
    return this.runner.run(steps.map((list) => this.feeds(list)), learningRates);
  }

  private feeds(list: readonly LmBatch[]): Feed[] {
    const limit = this.options.gradAccumulation ?? 1;
    if (list.length > limit) throw new Error(`fine-tune: ${list.length} micro-batches for one step, but the tuner was built for gradAccumulation ${limit}`);
    return list.map((batch) => {
      const feed: Feed = { ...batch.feed };
      if (this.lora && this.method.kind === 'lora') Object.assign(feed, loraDropoutFeeds(this.lora.dropoutMasks, this.method.lora, batch.batch, batch.seq, this.dropoutRng, this.dtype));
      return feed;
    });
  }

  /** Trainable params, AdamW state and step count (for checkpoints). */
  readState(): Promise<TrainState> {
    return this.runner.readState();
  }

  /** Restores what readState returned (resuming a run). */
  loadState(state: TrainState): void {
    this.runner.loadState(state);
  }

  /** State of the generator drawing LoRA dropout masks (checkpoints keep it for an exact resume). */
  rngState(): RngState {
    return this.dropoutRng.getState();
  }

  restoreRng(state: RngState): void {
    this.dropoutRng = new SeededRandom(state);
  }

  /**
   * Mean cross-entropy of a batch under the current weights, without dropout or an update (held-out
   * evaluation). `loss_scale` in the feed, if any, is ignored. Uses one cached forward-only session.
   */
  async evaluate(batch: LmBatch): Promise<number> {
    this.evalSession ??= this.createEvalSession();
    const session = await this.evalSession;
    // Parameters only: the AdamW moments (2× the trainable bytes) are not needed to evaluate.
    const params = await this.runner.readParams();
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const value = batch.feed[name] ?? params[name];
      if (!value) throw new Error(`fine-tune evaluate: no value for input '${name}'`);
      feeds[name] = toOrtTensor(value, `evaluate input '${name}'`);
    }
    const out = await session.run(feeds, ['loss']);
    return Number((out.loss.data as Float32Array | Float64Array)[0]);
  }

  private async createEvalSession(): Promise<ort.InferenceSession> {
    let projection: Projection | undefined;
    if (this.method.kind === 'lora') projection = loraProjection(this.config, this.method.lora, { dtype: this.dtype, dropout: false }).projection;
    else if (this.method.kind === 'selective') projection = selectiveProjection(this.plan!, this.dtype).projection;
    const decoder = buildDecoderGraph(this.config, { dtype: this.dtype, labels: true, projection, packedSegments: this.options.packedSegments });
    const trainable = new Set(this.trainable);
    const initializers: Record<string, TensorData> = {};
    for (const p of decoder.graph.params) if (!trainable.has(p.name)) initializers[p.name] = weightData(this.baseWeights, p.name, this.dtype);
    const model = lower(decoder.graph, { outputs: { loss: decoder.loss! }, initializers, name: 'fine_tune_eval' });
    const provider = this.runner.provider.provider;
    // Frozen weights as in-memory external data in ≤ 1 GiB pieces, like the step graph (no 2 GB protobuf).
    const encoded = encodeModelWithExternalData(model, { mode: 'always', location: 'eval.bin', maxFileBytes: this.options.externalDataPieceBytes ?? EXTERNAL_DATA_PIECE_BYTES });
    return ort.InferenceSession.create(encoded.model, { graphOptimizationLevel: this.dtype === 'float64' ? 'basic' : 'all', executionProviders: [provider], externalData: encoded.externalData });
  }

  /** The trained params as float32 safetensors by name. */
  async trainedTensors(): Promise<TensorMap> {
    const state = await this.runner.readState();
    const out: TensorMap = new Map();
    for (const [name, t] of Object.entries(state.params)) out.set(name, { dtype: 'F32', shape: [...t.dims], data: Float32Array.from(t.data as Float32Array) });
    return out;
  }

  /** What to save: full model weights (full / selective) or a PEFT adapter (LoRA). */
  async export(): Promise<{ weights: TensorMap } | { adapter: LoraAdapter }> {
    const trained = await this.trainedTensors();
    if (this.method.kind === 'lora') return { adapter: loraAdapterFrom(this.method.lora, trained) };
    const weights: TensorMap = new Map(this.baseWeights);
    for (const [name, t] of trained) if (this.baseWeights.has(name)) weights.set(name, t);
    return { weights: this.plan ? applyNeuronSlices(this.config, this.plan, weights, trained) : weights };
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}

export type Precision = 'fp32' | 'bf16' | 'fp16';

/** The step runner a fine-tune uses: the loop unless asked otherwise, and per step for fp16 (loss scaling is decided on the host). */
export function fineTuneRunner(requested: StepRunnerKind | undefined, precision: Precision): StepRunnerKind {
  if (precision === 'fp16') return 'per-step';
  return requested ?? 'loop';
}

/**
 * The decoder's compute dtype for a precision, or undefined for plain float32 / float64. bf16 is refused
 * where it would run on the CPU provider (no bf16 kernels in onnxruntime 1.30, not even Add or Gather).
 */
export async function resolveComputeDtype(precision: Precision, dtype: DecoderDType, provider: ProviderRequest): Promise<'float16' | 'bfloat16' | undefined> {
  if (!['fp32', 'bf16', 'fp16'].includes(precision)) throw new Error(`precision must be fp32, bf16 or fp16, got ${precision}`);
  if (precision === 'fp32') return undefined;
  if (dtype !== 'float32') throw new Error(`precision ${precision} needs float32 master weights (dtype float32), got dtype ${dtype}`);
  if (precision === 'bf16' && (await chooseExecutionProvider(provider)).provider === 'cpu') {
    throw new Error("precision bf16 needs a GPU provider (cuda or webgpu): onnxruntime's CPU provider has no bfloat16 kernels; use fp32 (the CPU default) or fp16");
  }
  return precision === 'fp16' ? 'float16' : 'bfloat16';
}

/**
 * The default precision for a provider: bf16 on CUDA, fp16 on WebGPU (WGSL has f16, no bfloat16), fp32 on
 * the CPU. (The GPU paths were built and tested on CPU kernels only; no GPU was at hand.)
 */
export async function defaultPrecision(provider: ProviderRequest): Promise<Precision> {
  const chosen = (await chooseExecutionProvider(provider)).provider;
  return chosen === 'cpu' ? 'fp32' : chosen === 'webgpu' ? 'fp16' : 'bf16';
}
