// Train-step graphs: forward + loss + backward + global-norm clipping + AdamW fused into ONE graph, so
// ONNX Runtime runs a whole optimizer step per session.run with no host round trips in between.
//
// Gradient accumulation uses two graphs instead of one (our choice; ONNX has no cheap in-graph loop):
//   accumulate: batch + accumulators in → loss + (accumulators + grads) out, run once per micro-batch;
//   apply:      params, AdamW state, accumulated grads, grad_scale (= 1/k for a mean over k
//               micro-batches) in → clipped AdamW update out.
// With k = 1 use the fused step: it skips the accumulator traffic entirely.
//
// Every built step comes with a TrainStepSignature: the names the runtime feeds and fetches, which
// params are trainable (graph inputs + outputs, carried between steps) and which are frozen (session
// initializers whose bytes the runtime supplies through `externalData`; see `toOnnx`).

import type { OnnxModel } from '../onnx/model.ts';
import type { DType } from '../ir/dtype.ts';
import { isStaticShape } from '../ir/dim.ts';
import { Graph, type Tensor, type TensorData } from '../ir/graph.ts';
import { gradients } from '../autodiff.ts';
import { checkpointedGradients, type CheckpointChain, type RecomputeSegment } from '../recompute.ts';
import { lower } from '../lower.ts';
import * as op from '../ops/api.ts';
import { adamwRowSparseUpdate, adamwScalars, adamwUpdate, DEFAULT_ADAMW, type AdamWConfig } from './adamw.ts';
import { rowSparseGradient } from './row-sparse.ts';
import { clipCoefficient, globalGradNorm } from './clip.ts';

/** A named graph value the runtime feeds or fetches. */
export type ValueSpec = { name: string; dtype: DType; shape: (number | string)[] };
/** Graph input name → graph output name for state carried from one step to the next. */
export type CarriedValue = { input: string; output: string };

export type TrainableIO = {
  /** The parameter's own name (e.g. 'model.layers.0.mlp.up_proj.weight'). */
  name: string;
  dtype: DType;
  shape: number[];
  /** Whether decoupled weight decay applies. */
  decay: boolean;
  /** Parameter value: fed as input, updated value fetched as output (absent in 'accumulate' graphs: input only). */
  param: { input: string; output?: string };
  adamM?: CarriedValue;
  adamV?: CarriedValue;
  /** Gradient accumulator ('accumulate' graphs carry it; 'apply' graphs read it as `input` only). */
  gradAccumulator?: { input: string; output?: string };
};

export type TrainStepSignature = {
  kind: 'fused-step' | 'accumulate' | 'apply';
  /** Per-micro-batch data inputs (token ids, labels, masks), as declared on the graph. */
  batchInputs: ValueSpec[];
  /** Scalar hyper-parameter inputs: learning rate (param dtype), step (int64, 1-based step being taken), grad scale. */
  learningRate?: string;
  step?: string;
  gradScale?: string;
  /** Dynamic loss scaling (fp16): the scalar the loss is multiplied by before the backward pass; gradients are divided by it. */
  lossScaler?: string;
  trainable: TrainableIO[];
  /** Params baked into the model as initializers (bytes supplied at session creation). */
  frozen: ValueSpec[];
  /** Scalar outputs. */
  loss?: string;
  gradNorm?: string;
  metrics: Record<string, string>;
};

export type BuiltTrainStep = {
  graph: Graph;
  signature: TrainStepSignature;
  /**
   * The ONNX model. Frozen params become initializers holding `frozen[name]` (or zeros when omitted);
   * pass the result to encodeModelWithExternalData with `select` = frozen names to keep their bytes
   * out of the protobuf and hand them to InferenceSession.create as `externalData`.
   */
  toOnnx(frozen?: Record<string, TensorData | null>): OnnxModel;
};

export type OptimizerOptions = {
  adamw?: Partial<AdamWConfig>;
  /** Global-norm clipping threshold; null disables clipping (the norm is still reported). Default 1.0. */
  maxGradNorm?: number | null;
  /** Which trainable params get weight decay. Default: rank ≥ 2 (matrices, embeddings; not norms/biases). */
  decay?: (param: Tensor) => boolean;
};

export type TrainStepOptions = OptimizerOptions & {
  /** Scalar loss built on the graph. */
  loss: Tensor;
  /** Params to train; every other param of the graph is frozen. */
  trainable: readonly Tensor[];
  /** Extra scalar outputs (e.g. token accuracy), by output name. */
  metrics?: Record<string, Tensor>;
  /** Activation checkpointing: segments the backward recomputes instead of reading (../recompute.ts). */
  checkpoints?: CheckpointChain | readonly RecomputeSegment[] | null;
  /**
   * Dynamic loss scaling (PyTorch GradScaler): a scalar input `loss_scaler` multiplies the loss before
   * the backward pass and divides the gradients after it, so small fp16 gradients do not underflow; the
   * runner picks the scale and skips steps whose gradients overflow (TrainStepRunnerOptions.lossScaling).
   */
  lossScaling?: boolean;
};

export const STEP_NAMES = {
  learningRate: 'lr',
  step: 'step',
  gradScale: 'grad_scale',
  lossScaler: 'loss_scaler',
  loss: 'loss',
  gradNorm: 'grad_norm',
  updated: (name: string) => `updated/${name}`,
  adamM: (name: string) => `adam_m/${name}`,
  adamV: (name: string) => `adam_v/${name}`,
  gradAccumulator: (name: string) => `grad_acc/${name}`,
} as const;

/** The fused step: forward, loss, backward, clipping and AdamW in one graph. */
export function buildTrainStep(options: TrainStepOptions): BuiltTrainStep {
  const graph = options.loss.graph;
  const { trainable, frozen } = splitParams(graph, options.trainable, 'buildTrainStep');
  checkScalarLoss(options.loss);
  const dtype = trainable[0].dtype;
  const batch = graph.inputs.map(spec);
  const scaler = options.lossScaling ? graph.input(STEP_NAMES.lossScaler, dtype, []) : null;
  const grads = scaledGrads(options.loss, trainable, 'buildTrainStep', options.checkpoints, scaler);
  const lr = graph.input(STEP_NAMES.learningRate, dtype, []);
  const step = graph.input(STEP_NAMES.step, 'int64', []);
  const { outputs, trainableIO, gradNorm } = graph.scope('optimizer', () => optimizerStep(graph, trainable, grads, lr, step, options));
  const metrics = namedMetrics(options.metrics);
  Object.assign(outputs, { [STEP_NAMES.loss]: options.loss, [STEP_NAMES.gradNorm]: gradNorm }, metrics.tensors);
  const signature: TrainStepSignature = {
    kind: 'fused-step',
    batchInputs: batch,
    learningRate: lr.name,
    step: step.name,
    lossScaler: scaler?.name,
    trainable: trainableIO,
    frozen: frozen.map(spec),
    loss: STEP_NAMES.loss,
    gradNorm: STEP_NAMES.gradNorm,
    metrics: metrics.names,
  };
  return built(graph, signature, outputs, frozen);
}

/** Micro-batch graph for gradient accumulation: outputs loss and accumulators + this batch's gradients. */
export function buildGradAccumulationStep(options: Omit<TrainStepOptions, keyof OptimizerOptions>): BuiltTrainStep {
  // With lossScaling the accumulators hold scaled gradients (loss × loss_scaler): the runner folds
  // 1 / scale into the apply graph's grad_scale, so only one graph needs the input.
  const graph = options.loss.graph;
  const { trainable, frozen } = splitParams(graph, options.trainable, 'buildGradAccumulationStep');
  checkScalarLoss(options.loss);
  const batch = graph.inputs.map(spec);
  const scaler = options.lossScaling ? graph.input(STEP_NAMES.lossScaler, trainable[0].dtype, []) : null;
  const grads = requireGrads(scaler ? graph.scope('loss_scaling', () => op.mul(options.loss, op.cast(scaler, options.loss.dtype))) : options.loss, trainable, 'buildGradAccumulationStep', options.checkpoints);
  const outputs: Record<string, Tensor> = {};
  const trainableIO: TrainableIO[] = trainable.map((p, i) => {
    const acc = graph.input(STEP_NAMES.gradAccumulator(p.name), p.dtype, p.shape);
    outputs[STEP_NAMES.updated(acc.name)] = graph.scope(`accumulate/${p.name}`, () => op.add(acc, op.cast(grads[i], p.dtype)));
    return {
      name: p.name,
      dtype: p.dtype,
      shape: p.shape as number[],
      decay: false,
      param: { input: p.name },
      gradAccumulator: { input: acc.name, output: STEP_NAMES.updated(acc.name) },
    };
  });
  const metrics = namedMetrics(options.metrics);
  Object.assign(outputs, { [STEP_NAMES.loss]: options.loss }, metrics.tensors);
  const signature: TrainStepSignature = {
    kind: 'accumulate',
    batchInputs: batch,
    lossScaler: scaler?.name,
    trainable: trainableIO,
    frozen: frozen.map(spec),
    loss: STEP_NAMES.loss,
    metrics: metrics.names,
  };
  return built(graph, signature, outputs, frozen);
}

/**
 * The optimizer half of gradient accumulation for params shaped like `params` (their names, dtypes,
 * shapes; typically the trainable params of the accumulate graph): grads are read from the
 * accumulators and scaled by the `grad_scale` input before clipping and AdamW.
 */
export function buildApplyStep(params: readonly { name: string; dtype: DType; shape: readonly number[] }[], options: OptimizerOptions = {}): BuiltTrainStep {
  if (params.length === 0) throw new TypeError('buildApplyStep: no params');
  const graph = new Graph('apply_step');
  const trainable = params.map((p) => graph.param(p.name, p.dtype, p.shape));
  const dtype = trainable[0].dtype;
  const scale = graph.input(STEP_NAMES.gradScale, dtype, []);
  const grads = trainable.map((p) => op.mul(graph.input(STEP_NAMES.gradAccumulator(p.name), p.dtype, p.shape), op.cast(scale, p.dtype)));
  const lr = graph.input(STEP_NAMES.learningRate, dtype, []);
  const step = graph.input(STEP_NAMES.step, 'int64', []);
  const { outputs, trainableIO, gradNorm } = graph.scope('optimizer', () => optimizerStep(graph, trainable, grads, lr, step, options));
  outputs[STEP_NAMES.gradNorm] = gradNorm;
  for (const io of trainableIO) io.gradAccumulator = { input: STEP_NAMES.gradAccumulator(io.name) };
  const signature: TrainStepSignature = {
    kind: 'apply',
    batchInputs: [],
    learningRate: lr.name,
    step: step.name,
    gradScale: scale.name,
    trainable: trainableIO,
    frozen: [],
    gradNorm: STEP_NAMES.gradNorm,
    metrics: {},
  };
  return built(graph, signature, outputs, []);
}

// ---------------------------------------------------------------------------------------------

function optimizerStep(graph: Graph, params: Tensor[], grads: Tensor[], lr: Tensor, step: Tensor, options: OptimizerOptions) {
  const config: AdamWConfig = { ...DEFAULT_ADAMW, ...options.adamw };
  const maxGradNorm = options.maxGradNorm === undefined ? 1.0 : options.maxGradNorm;
  const decayOf = options.decay ?? ((p: Tensor) => p.rank >= 2);
  // Embedding tables whose gradient only touches the batch's rows skip the dense gradient (row-sparse.ts).
  const sparse = params.map((p, i) => rowSparseGradient(p, grads[i]));
  const gradNorm = globalGradNorm(grads.map((g, i) => sparse[i]?.distinctRows ?? g));
  const clip = maxGradNorm === null ? undefined : clipCoefficient(gradNorm, maxGradNorm);
  const scalars = adamwScalars(lr, step, config, clip);
  const outputs: Record<string, Tensor> = {};
  const trainableIO = params.map((p, i) => {
    const m = graph.input(STEP_NAMES.adamM(p.name), p.dtype, p.shape);
    const v = graph.input(STEP_NAMES.adamV(p.name), p.dtype, p.shape);
    const decay = decayOf(p);
    const rows = sparse[i];
    const next = graph.scope(p.name, () =>
      rows ? adamwRowSparseUpdate({ param: p, m, v }, rows, scalars, config, { decay }) : adamwUpdate({ param: p, m, v }, grads[i], scalars, config, { decay }),
    );
    const io: TrainableIO = {
      name: p.name,
      dtype: p.dtype,
      shape: p.shape as number[],
      decay,
      param: { input: p.name, output: STEP_NAMES.updated(p.name) },
      adamM: { input: m.name, output: STEP_NAMES.updated(m.name) },
      adamV: { input: v.name, output: STEP_NAMES.updated(v.name) },
    };
    outputs[io.param.output!] = next.param;
    outputs[io.adamM!.output] = next.m;
    outputs[io.adamV!.output] = next.v;
    return io;
  });
  return { outputs, trainableIO, gradNorm };
}

function splitParams(graph: Graph, trainable: readonly Tensor[], who: string): { trainable: Tensor[]; frozen: Tensor[] } {
  if (trainable.length === 0) throw new TypeError(`${who}: no trainable params`);
  const set = new Set(trainable);
  for (const t of trainable) {
    if (t.graph !== graph) throw new TypeError(`${who}: trainable ${t} belongs to another graph than the loss`);
    if (t.source !== 'param') throw new TypeError(`${who}: trainable ${t} is not a param (declare it with graph.param)`);
    if (!isStaticShape(t.shape)) throw new TypeError(`${who}: trainable param '${t.name}' needs a static shape`);
  }
  const dtypes = new Set(trainable.map((t) => t.dtype));
  if (dtypes.size > 1) throw new TypeError(`${who}: trainable params mix dtypes (${[...dtypes].join(', ')}); keep master weights in one dtype`);
  return { trainable: [...trainable], frozen: graph.params.filter((p) => !set.has(p)) };
}

function checkScalarLoss(loss: Tensor): void {
  if (loss.rank !== 0) throw new TypeError(`train step: loss must be a scalar, got ${loss}`);
}

/** Gradients of loss × scaler, divided by the scaler (no scaling without one). */
function scaledGrads(loss: Tensor, params: Tensor[], who: string, checkpoints: CheckpointChain | readonly RecomputeSegment[] | null | undefined, scaler: Tensor | null): Tensor[] {
  if (!scaler) return requireGrads(loss, params, who, checkpoints);
  const g = loss.graph;
  const scaled = g.scope('loss_scaling', () => op.mul(loss, op.cast(scaler, loss.dtype)));
  const inverse = g.scope('loss_scaling', () => op.reciprocal(scaler));
  return requireGrads(scaled, params, who, checkpoints).map((grad) => g.scope('loss_scaling', () => op.mul(grad, op.cast(inverse, grad.dtype))));
}

function requireGrads(loss: Tensor, params: Tensor[], who: string, checkpoints?: CheckpointChain | readonly RecomputeSegment[] | null): Tensor[] {
  const grads = checkpoints ? checkpointedGradients(loss, params, checkpoints) : gradients(loss, params);
  return grads.map((g, i) => {
    if (!g) throw new TypeError(`${who}: trainable param '${params[i].name}' does not affect the loss (freeze it instead)`);
    return g;
  });
}

function namedMetrics(metrics: Record<string, Tensor> = {}) {
  const names: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(metrics)) {
    names[key] = `metrics/${key}`;
    tensors[`metrics/${key}`] = t;
  }
  return { names, tensors };
}

function spec(t: Tensor): ValueSpec {
  return { name: t.name, dtype: t.dtype, shape: [...t.shape] };
}

function built(graph: Graph, signature: TrainStepSignature, outputs: Record<string, Tensor>, frozen: Tensor[]): BuiltTrainStep {
  return {
    graph,
    signature,
    toOnnx(frozenValues = {}) {
      const initializers: Record<string, TensorData | null> = {};
      for (const p of frozen) initializers[p.name] = frozenValues[p.name] ?? null;
      for (const name of Object.keys(frozenValues)) {
        if (!frozen.some((p) => p.name === name)) throw new TypeError(`toOnnx: '${name}' is not a frozen param of this step`);
      }
      return lower(graph, {
        outputs,
        initializers,
        name: `${graph.name}_${signature.kind}`,
        metadata: { 'saenggak.train_step': JSON.stringify({ kind: signature.kind }) },
      });
    },
  };
}
