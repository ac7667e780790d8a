// The reward model being trained: a Qwen2-family decoder with a scalar `score` head
// (`*ForSequenceClassification`, num_labels 1), its reward read at each row's last non-padding token,
// and the Bradley-Terry loss (loss.ts) on top — forward, loss, backward, clipping and AdamW are engine
// graphs run by TrainSteps (engine/runtime/train-steps.ts): by default the loop step, many optimizer steps
// in one session.run (the trainable state crosses host↔device once per run); per step on request and for
// fp16 (the fused step graph, or the accumulate/apply pair with gradient accumulation).
//
// Batches have a fixed number of pairs P (a static batch of 2P rows: the P chosen answers, then the
// P rejected ones), with the sequence length left symbolic. Full, LoRA and selective tuning reuse the
// models issue's projection hooks; with LoRA and selective tuning the fresh score head trains too (PEFT
// does the same for SEQ_CLS tasks with `modules_to_save=["score"]`).
import {
  buildApplyStep, buildGradAccumulationStep, buildTrainStep, NonFiniteLossError, op, TrainSteps,
  type AdamWConfig, type Graph, type HostTensor, type ProviderRequest, type RngState, type StepRunnerKind, type StepsRun, type Tensor, type TensorData, type Traffic, type TrainState, type TrainStepRunnerOptions,
} from '../../engine/index.ts';
import type { SafeTensor, TensorMap } from '../../engine/safetensors.ts';
import { architectureName, type ModelConfig } from '../../models/config.ts';
import { buildDecoderGraph, type DecoderDType, type Projection } from '../../models/decoder.ts';
import { weightData } from '../../models/decoder-session.ts';
import { fineTuneRunner, resolveComputeDtype, type Precision, type TuningMethod } from '../../models/fine-tune.ts';
import { SeededRandom } from '../../models/init.ts';
import { initLoraWeights, loraDropoutFeeds, loraProjection, loraTensors, type LoraGraph } from '../../models/lora.ts';
import { mergeLoraAdapter } from '../../models/peft.ts';
import { loraAdapterFrom } from '../../models/lora.ts';
import { applyNeuronSlices, neuronSlices, planSelection, selectiveProjection, type SelectivePlan } from '../../models/selective.ts';
import { bradleyTerryLoss } from './loss.ts';

export const SCORE_WEIGHT = 'score.weight';

/**
 * The sequence-classification config (num_labels 1) and weights for a base checkpoint. A causal LM
 * (instruct / SFT) loses its `lm_head` and gets a fresh `score` head ~ N(0, initializer_range), as
 * transformers initialises a missing head; a reward model with one label is taken as it is.
 * `pad_token_id` is set (transformers' sequence classifiers need it to find the last real token).
 */
export function rewardModelFromBase(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, options: { padTokenId: number | null; seed?: number }): { config: ModelConfig; weights: TensorMap } {
  const padTokenId = config.padTokenId ?? options.padTokenId ?? config.eosTokenIds[0] ?? null;
  if (padTokenId === null) throw new Error('reward model: the base model has no pad_token_id and its tokenizer no pad or eos token; set pad_token_id in config.json');
  if (config.task === 'sequence-classification') {
    if (config.numLabels !== 1) throw new Error(`reward model: ${config.architecture} has num_labels ${config.numLabels}; a reward model has one (a scalar score)`);
    return { config: { ...config, padTokenId }, weights: new Map(weights) };
  }
  const rm: ModelConfig = { ...config, task: 'sequence-classification', architecture: architectureName(config.family, 'sequence-classification'), numLabels: 1, padTokenId };
  const out: TensorMap = new Map();
  for (const [name, t] of weights) if (name !== 'lm_head.weight') out.set(name, t);
  const std = typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02;
  const rng = new SeededRandom(options.seed ?? 0);
  out.set(SCORE_WEIGHT, { dtype: 'F32', shape: [1, config.hiddenSize], data: Float32Array.from({ length: config.hiddenSize }, () => rng.normal() * std) });
  return { config: rm, weights: out };
}

/**
 * logits [B, S, 1] → rewards [B] at each row's last position whose attention_mask is 1 (right padding:
 * index length − 1, where models/reward-model.ts and transformers read it).
 */
export function lastTokenRewards(g: Graph, logits: Tensor, attentionMask: Tensor): Tensor {
  return g.scope('last_token_reward', () => {
    const [B, S] = attentionMask.shape;
    const keyIndex = op.unsqueeze(op.arange(g, S), [0]); // [1, S]
    const last = op.reduceMax(op.mul(op.cast(op.notEqual(attentionMask, 0), 'int64'), keyIndex), [1]); // [B]
    const picked = op.gatherElements(logits, op.unsqueeze(last, [1, 2]), 1); // [B, 1, 1]
    return op.reshape(picked, [B]);
  });
}

/**
 * onnxruntime's intra-op workers sleep between parallel sections instead of spinning. A step is a few
 * hundred large parallel ops, so waking a worker costs little; spinning workers compete with everything
 * else on a shared machine (steps were 20–25% faster without spinning at load ~11 on 2 cores).
 */
const SLEEPING_WORKERS: TrainStepRunnerOptions['sessionOptions'] = { extra: { session: { intra_op: { allow_spinning: '0' } } } };

export interface RewardStepOptions {
  /** Pairs per micro-batch (the step graph's batch holds 2× as many rows); a step takes gradAccumulation of them. */
  pairsPerBatch: number;
  /**
   * Micro-batches per optimizer step (default 1). Above 1, `step` takes a batch of
   * gradAccumulation × pairsPerBatch pairs and averages the micro-batches' gradients: the Bradley-Terry
   * loss and the centering term are means over equal-sized halves, so this is the same step (the
   * out-of-memory retry halves pairsPerBatch and doubles this, #21).
   */
  gradAccumulation?: number;
  centeringCoefficient?: number;
  dtype?: DecoderDType;
  adamw?: Partial<AdamWConfig>;
  maxGradNorm?: number | null;
  provider?: ProviderRequest;
  /** onnxruntime session options of the step graph (default: workers sleep instead of spinning). */
  sessionOptions?: TrainStepRunnerOptions['sessionOptions'];
  /** Resume: trainable params, AdamW state and step from a checkpoint. */
  state?: TrainState;
  /** Seed for LoRA's A init and dropout masks. */
  seed?: number;
  /** Resume: the LoRA dropout generator's state from a checkpoint. */
  dropoutRng?: RngState;
  /** Recompute each decoder layer in the backward pass (DecoderGraphOptions.gradientCheckpointing). */
  gradientCheckpointing?: boolean;
  /** Compute precision (fine-tune.ts Precision): fp16 with dynamic loss scaling; master weights stay float32. */
  precision?: Precision;
  /** 'loop' (default): many steps per session.run; 'per-step': one run per micro-batch. fp16 always runs per step (fine-tune.ts fineTuneRunner). */
  runner?: StepRunnerKind;
}

/** One batch as the step graph takes it. */
export interface PairBatch {
  /** Token ids of the P chosen sequences followed by the P rejected ones. */
  sequences: number[][];
  /** [P] margins (0 when the data has none). */
  margins: number[];
}

export interface RewardStepResult {
  loss: number;
  gradNorm: number;
  accuracy: number;
  meanMargin: number;
  meanChosen: number;
  meanRejected: number;
}

/** What `steps` did: one result per applied step (with its share of the run's traffic), as TrainSteps' StepsRun. */
export interface RewardStepsRun {
  steps: (RewardStepResult & { traffic: Traffic })[];
  /** The step (1-based, counted over the runner's life) not applied because its loss or gradient norm was not finite. */
  nonFinite: StepsRun['nonFinite'];
  /** fp16: steps retried at a halved loss scale because their gradients overflowed. */
  overflows: StepsRun['overflows'];
  /** Bytes the whole run moved between host and device. */
  traffic: Traffic;
}

/** A step's loss and graph metrics (means over its micro-batches) under the names the trainer logs. */
function rewardResult(loss: number, m: Record<string, number>): RewardStepResult {
  return { loss, gradNorm: m.grad_norm, accuracy: m.accuracy, meanMargin: m.margin, meanChosen: m.chosen, meanRejected: m.rejected };
}

export class RewardModelStep {
  private constructor(
    readonly config: ModelConfig,
    readonly method: TuningMethod,
    readonly runner: TrainSteps,
    readonly pairsPerBatch: number,
    readonly gradAccumulation: number,
    readonly trainable: string[],
    private readonly baseWeights: ReadonlyMap<string, SafeTensor>,
    private readonly lora: LoraGraph | null,
    private readonly plan: SelectivePlan | null,
    private readonly dtype: DecoderDType,
    readonly dropoutRng: SeededRandom,
  ) {}

  /** `config` / `weights`: a sequence classifier with one label (rewardModelFromBase). */
  static async create(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, method: TuningMethod, options: RewardStepOptions): Promise<RewardModelStep> {
    if (config.task !== 'sequence-classification' || config.numLabels !== 1) throw new Error(`reward model step: needs a sequence classifier with num_labels 1, got ${config.architecture} (num_labels ${config.numLabels})`);
    const P = options.pairsPerBatch;
    if (!Number.isInteger(P) || P < 1) throw new Error(`reward model step: pairsPerBatch must be an integer ≥ 1, got ${P}`);
    const dtype = options.dtype ?? 'float32';
    let projection: Projection | undefined;
    let lora: LoraGraph | null = null;
    let plan: SelectivePlan | null = null;
    let selective: ReturnType<typeof selectiveProjection> | null = null;
    let extraInitial: TensorMap = new Map();
    if (method.kind === 'lora') {
      lora = loraProjection(config, method.lora, { dtype, dropout: true });
      projection = lora.projection;
      extraInitial = loraTensors(method.adapter?.lora ?? initLoraWeights(config, method.lora, method.seed ?? options.seed ?? 0));
    } else if (method.kind === 'selective') {
      plan = planSelection(config, method.selection);
      selective = selectiveProjection(plan, dtype);
      projection = selective.projection;
      extraInitial = neuronSlices(config, plan, weights);
    } else if (method.kind !== 'full') throw new Error(`reward model step: unknown tuning method ${(method as { kind: string }).kind}`);

    // The score only at each row's last real token: the last layer runs its queries and MLP there alone.
    // Not with LoRA dropout, whose [batch, seq, width] masks the projections read at every position.
    const lastPositionScores = !(method.kind === 'lora' && method.lora.loraDropout > 0);
    const precision = options.precision ?? 'fp32';
    const computeDtype = await resolveComputeDtype(precision, dtype, options.provider ?? 'cpu');
    const decoder = buildDecoderGraph(config, { dtype, projection, batchSize: 2 * P, lastPositionScores, gradientCheckpointing: options.gradientCheckpointing, computeDtype });
    const g = decoder.graph;
    const margin = g.input('margin', dtype, [P]);
    // Scores and the Bradley-Terry loss in the master dtype (mixed precision computes only the decoder in half).
    const scores = op.cast(decoder.logits, dtype);
    const rewards = lastPositionScores ? op.reshape(scores, [2 * P]) : lastTokenRewards(g, scores, decoder.attentionMask);
    const bt = bradleyTerryLoss(rewards, margin, { centeringCoefficient: options.centeringCoefficient });

    let trainable: string[];
    if (method.kind === 'full') trainable = [...decoder.weights.keys()];
    else if (method.kind === 'lora') trainable = [...[...lora!.params.values()].flatMap(({ a, b }) => [a.name, b.name]), SCORE_WEIGHT];
    else trainable = [...new Set([...plan!.wholeParams, ...selective!.sliceParams.keys(), SCORE_WEIGHT])];
    const trainableSet = new Set(trainable);
    const params = g.params.filter((p) => trainableSet.has(p.name));
    const accumulation = options.gradAccumulation ?? 1;
    if (!Number.isInteger(accumulation) || accumulation < 1) throw new Error(`reward model step: gradAccumulation must be an integer ≥ 1, got ${accumulation}`);
    const stepMetrics = { accuracy: bt.accuracy, margin: bt.meanMargin, chosen: bt.meanChosen, rejected: bt.meanRejected };
    const runnerKind = fineTuneRunner(options.runner, precision);
    // The loop runs the accumulate/apply pair at any accumulation (its K = 1 equals the fused step).
    const fused = accumulation === 1 && runnerKind === 'per-step';
    const step = fused
      ? buildTrainStep({ loss: bt.loss, trainable: params, adamw: options.adamw, maxGradNorm: options.maxGradNorm, metrics: stepMetrics, checkpoints: decoder.checkpoints, lossScaling: precision === 'fp16' })
      : buildGradAccumulationStep({ loss: bt.loss, trainable: params, metrics: stepMetrics, checkpoints: decoder.checkpoints, lossScaling: precision === 'fp16' });
    const all: TensorMap = new Map([...weights, ...extraInitial]);
    const frozen: Record<string, TensorData> = {};
    for (const spec of step.signature.frozen) frozen[spec.name] = weightData(all, spec.name, dtype);
    const initial: Record<string, HostTensor> = {};
    for (const io of step.signature.trainable) {
      // Copies: the runner owns its buffers and the caller's weights must stay as they were.
      initial[io.name] = { dtype, dims: io.shape, data: (weightData(all, io.name, dtype) as Float32Array | Float64Array).slice() };
    }
    const graphs = fused
      ? { model: step.toOnnx(frozen), signature: step.signature }
      : (() => {
          const apply = buildApplyStep(step.signature.trainable, { adamw: options.adamw, maxGradNorm: options.maxGradNorm });
          return { accumulate: { model: step.toOnnx(frozen), signature: step.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };
        })();
    const runner = await TrainSteps.create(graphs, { params: initial }, { runner: runnerKind, provider: options.provider ?? 'cpu', sessionOptions: options.sessionOptions ?? SLEEPING_WORKERS, lossScaling: precision === 'fp16' ? {} : undefined });
    if (options.state) runner.loadState(options.state);
    return new RewardModelStep(config, method, runner, P, accumulation, trainable, weights, lora, plan, dtype, new SeededRandom(options.dropoutRng ?? (options.seed ?? 0) + 7919));
  }

  /** The step graph's feed for a batch: right-padded ids, mask, positions, margins. */
  feed(batch: PairBatch): Record<string, HostTensor> {
    const P = this.pairsPerBatch;
    if (batch.sequences.length !== 2 * P) throw new Error(`reward model step: a batch holds ${2 * P} sequences (${P} chosen, then ${P} rejected), got ${batch.sequences.length}`);
    if (batch.margins.length !== P) throw new Error(`reward model step: ${P} margins expected, got ${batch.margins.length}`);
    const B = 2 * P;
    const S = Math.max(...batch.sequences.map((s) => s.length));
    const pad = BigInt(this.config.padTokenId ?? 0);
    const ids = new BigInt64Array(B * S).fill(pad);
    const mask = new BigInt64Array(B * S);
    const pos = new BigInt64Array(B * S);
    batch.sequences.forEach((s, b) => {
      if (s.length === 0) throw new Error(`reward model step: sequence ${b} is empty`);
      s.forEach((id, t) => {
        ids[b * S + t] = BigInt(id);
        mask[b * S + t] = 1n;
        pos[b * S + t] = BigInt(t);
      });
    });
    const i64 = (data: BigInt64Array): HostTensor => ({ dtype: 'int64', dims: [B, S], data });
    const margins = this.dtype === 'float64' ? Float64Array.from(batch.margins) : Float32Array.from(batch.margins);
    const feed: Record<string, HostTensor> = { input_ids: i64(ids), attention_mask: i64(mask), position_ids: i64(pos), margin: { dtype: this.dtype, dims: [P], data: margins } };
    if (this.lora && this.method.kind === 'lora') Object.assign(feed, loraDropoutFeeds(this.lora.dropoutMasks, this.method.lora, B, S, this.dropoutRng, this.dtype));
    return feed;
  }

  /** One optimizer step on gradAccumulation × P pairs; a non-finite loss or gradient norm throws NonFiniteLossError. */
  async step(batch: PairBatch, learningRate: number): Promise<RewardStepResult> {
    const perStep = this.runner.perStepRunner;
    if (perStep) {
      // fp16 loss scaling: a step whose gradients overflowed changed nothing; retry it at the halved scale
      // (the runner gives up with NonFiniteLossError once the scale cannot go lower).
      const feeds = () => (this.gradAccumulation === 1 ? this.feed(batch) : this.microBatches(batch).map((b) => this.feed(b)));
      let r = await perStep.step(feeds(), { learningRate });
      while (r.skipped) r = await perStep.step(feeds(), { learningRate });
      return rewardResult(r.loss, r.metrics);
    }
    const run = await this.steps([batch], [learningRate]);
    if (run.nonFinite) throw new NonFiniteLossError(run.nonFinite.step, run.nonFinite.loss);
    return run.steps[0];
  }

  /**
   * Optimizer steps in one run (loop mode: one session.run; per-step mode: one after another), `batches[s]`
   * step s's gradAccumulation × P pairs at `learningRates[s]`. LoRA dropout masks are drawn here, step by
   * step in micro-batch order, as `step` draws them. A non-finite loss or gradient norm ends the run at its
   * step (RewardStepsRun.nonFinite): the steps before it are applied.
   */
  async steps(batches: readonly PairBatch[], learningRates: number[]): Promise<RewardStepsRun> {
    const feeds = batches.map((batch) => (this.gradAccumulation === 1 ? [batch] : this.microBatches(batch)).map((b) => this.feed(b)));
    const run = await this.runner.run(feeds, learningRates);
    return { steps: run.steps.map((r) => ({ ...rewardResult(r.loss, r.metrics), traffic: r.traffic })), nonFinite: run.nonFinite, overflows: run.overflows, traffic: run.traffic };
  }

  /** A step's gradAccumulation × P pairs as micro-batches of P pairs (chosen and rejected sliced alike). */
  private microBatches(batch: PairBatch): PairBatch[] {
    const P = this.pairsPerBatch;
    const k = this.gradAccumulation;
    const pairs = batch.margins.length;
    if (pairs !== k * P || batch.sequences.length !== 2 * pairs) throw new Error(`reward model step: a step holds ${k} × ${P} pairs (${2 * k * P} sequences), got ${pairs} margins and ${batch.sequences.length} sequences`);
    return Array.from({ length: k }, (_, j) => ({
      sequences: [...batch.sequences.slice(j * P, (j + 1) * P), ...batch.sequences.slice(pairs + j * P, pairs + (j + 1) * P)],
      margins: batch.margins.slice(j * P, (j + 1) * P),
    }));
  }

  /** The full sequence-classification weights as they are now (LoRA merged, neuron slices written back). */
  async currentWeights(): Promise<TensorMap> {
    // Parameters only (not the AdamW moments), and no second copy of float32 data (readParams copies).
    const params = await this.runner.readParams();
    const trained: TensorMap = new Map();
    for (const [name, t] of Object.entries(params)) trained.set(name, { dtype: 'F32', shape: [...t.dims], data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array) });
    let weights: TensorMap = new Map(this.baseWeights);
    for (const [name, t] of trained) if (this.baseWeights.has(name)) weights.set(name, t);
    if (this.method.kind === 'lora') weights = mergeLoraAdapter(weights, loraAdapterFrom(this.method.lora, trained));
    if (this.plan) weights = applyNeuronSlices(this.config, this.plan, weights, trained);
    return weights;
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}
