// Runs training steps built by the graph compiler (main/engine/optim/train-step.ts), keeping the
// trainable parameters and AdamW state between steps.
//
// - Fused step (k = 1): one graph does forward, loss, backward, clipping and AdamW; one session.run
//   per step.
// - Gradient accumulation (k micro-batches): the 'accumulate' graph runs once per micro-batch, adding
//   its gradients into accumulators carried as state; then the 'apply' graph scales them by 1/k and
//   takes the clipped AdamW step. Accumulators are zeroed after each optimizer step.
//
// Frozen parameters are initializers of the graphs (their bytes go to onnxruntime as in-memory
// external data at session creation); trainable parameters and optimizer state live in a StateStore
// (device-resident `gpu-buffer` tensors on WebGPU, alternating host buffers otherwise). A NaN/Inf
// loss throws NonFiniteLossError naming the step and leaves all state as it was before the step.

import * as ort from 'onnxruntime-node';
import type { OnnxModel } from '../onnx/model.ts';
import type { TrainStepSignature, TrainableIO } from '../optim/train-step.ts';
import { NonFiniteLossError } from './errors.ts';
import { chooseExecutionProvider, type ProviderChoice, type ProviderRequest } from './providers.ts';
import { StateStore } from './state-store.ts';
import { injectTestDeviceLoss, injectTestOutOfMemory } from './test-oom.ts';
import { StepGraph, type GraphWiring, type PendingRun, type SessionSettings } from './step-graph.ts';
import { type HostTensor, toOrtTensor } from './tensors.ts';
import { readStoredParams, readStoredState, setStoredState } from './train-state.ts';
import { TrafficCounter, type Traffic } from './traffic.ts';

/** A built step graph as the runner takes it: the lowered model and the builder's signature. */
export type BuiltStepGraph = { model: OnnxModel; signature: TrainStepSignature };

export type TrainStepGraphs = BuiltStepGraph | { accumulate: BuiltStepGraph; apply: BuiltStepGraph };

export type TrainStepRunnerOptions = SessionSettings & {
  provider?: ProviderRequest;
  /**
   * Dynamic loss scaling for graphs built with `lossScaling` (PyTorch GradScaler semantics): the loss is
   * multiplied by `scale` (initially initScale); a step whose loss or gradient norm is not finite is
   * skipped (no update, AdamW's step count unchanged) and the scale multiplied by backoffFactor; after
   * growthInterval finite steps in a row it is multiplied by growthFactor.
   */
  lossScaling?: Partial<LossScalingConfig>;
};

export type LossScalingConfig = { initScale: number; growthFactor: number; backoffFactor: number; growthInterval: number };
/** torch.amp.GradScaler's defaults. */
export const DEFAULT_LOSS_SCALING: LossScalingConfig = { initScale: 2 ** 16, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000 };

export type InitialTrainState = {
  /** Trainable parameters by name. */
  params: Record<string, HostTensor>;
  /** AdamW moments by state name (see TrainStepRunner.optimizerStateNames); missing ones start at zero. */
  optimizerState?: Record<string, HostTensor>;
  /** Optimizer steps already taken (when resuming). Default 0. */
  step?: number;
};

export type StepResult = {
  /** The optimizer step just taken (1-based). */
  step: number;
  /** Mean loss over the step's micro-batches. */
  loss: number;
  /** grad_norm (before clipping) and the graph's metrics; micro-batch metrics are averaged. */
  metrics: Record<string, number>;
  /** Bytes this step moved between host and device memory. */
  traffic: Traffic;
  /** Dynamic loss scaling: the step's gradients overflowed, nothing was updated (`step` is the last step taken). */
  skipped?: boolean;
  /** Dynamic loss scaling: the scale this step ran with. */
  lossScale?: number;
};

export type TrainState = {
  params: Record<string, HostTensor>;
  optimizerState: Record<string, HostTensor>;
  step: number;
};

export type BatchFeed = Record<string, HostTensor | ort.Tensor>;

export class TrainStepRunner {
  private readonly traffic = new TrafficCounter();
  private stepsTaken: number;
  private released = false;
  private scaling: (LossScalingConfig & { scale: number; goodSteps: number }) | null = null;

  private constructor(
    private readonly trainable: TrainableIO[],
    private readonly fused: StepGraph | null,
    private readonly accumulate: StepGraph | null,
    private readonly apply: StepGraph | null,
    private readonly store: StateStore,
    readonly provider: ProviderChoice,
    step: number,
  ) {
    this.stepsTaken = step;
  }

  static async create(graphs: TrainStepGraphs, initial: InitialTrainState, options: TrainStepRunnerOptions = {}): Promise<TrainStepRunner> {
    const provider = await chooseExecutionProvider(options.provider ?? 'auto');
    options.log?.(provider.message);
    let runner: TrainStepRunner;
    if ('signature' in graphs) {
      expectKind(graphs.signature, 'fused-step');
      const fused = new StepGraph(graphs.model, fusedWiring(graphs.signature), provider, options);
      runner = new TrainStepRunner(graphs.signature.trainable, fused, null, null, new StateStore(provider.provider === 'webgpu'), provider, initial.step ?? 0);
    } else {
      expectKind(graphs.accumulate.signature, 'accumulate');
      expectKind(graphs.apply.signature, 'apply');
      const names = (s: TrainStepSignature) => s.trainable.map((t) => t.name).join(',');
      if (names(graphs.accumulate.signature) !== names(graphs.apply.signature)) {
        throw new Error('gradient accumulation: the accumulate and apply graphs train different parameters');
      }
      const accumulate = new StepGraph(graphs.accumulate.model, accumulateWiring(graphs.accumulate.signature), provider, options);
      const apply = new StepGraph(graphs.apply.model, applyWiring(graphs.apply.signature), provider, options);
      runner = new TrainStepRunner(graphs.apply.signature.trainable, null, accumulate, apply, new StateStore(provider.provider === 'webgpu'), provider, initial.step ?? 0);
    }
    runner.setState(initial.params, initial.optimizerState ?? {}, 'zeros');
    const scaled = 'signature' in graphs ? graphs.signature.lossScaler : graphs.accumulate.signature.lossScaler;
    if (options.lossScaling && !scaled) throw new Error('lossScaling: the step graph has no loss_scaler input (build it with lossScaling: true)');
    if (scaled) {
      const config = { ...DEFAULT_LOSS_SCALING, ...options.lossScaling };
      runner.scaling = { ...config, scale: config.initScale, goodSteps: 0 };
    }
    return runner;
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number {
    return this.stepsTaken;
  }

  /** Names under which readState() returns the AdamW moments. */
  get optimizerStateNames(): string[] {
    return this.trainable.flatMap((io) => [io.adamM!.input, io.adamV!.input]);
  }

  /** Host↔device bytes over the runner's life. */
  get totalTraffic(): Traffic {
    return this.traffic.totals;
  }

  /** Byte sizes of the in-memory external-data pieces (frozen weights) of the step graph's last session. */
  get externalDataPieces(): number[] {
    return (this.fused ?? this.accumulate)!.externalDataPieces;
  }

  /** Sessions created so far, over all graphs (one per bucket of symbolic-dim values, until evicted). */
  get sessionsCreated(): number {
    return [this.fused, this.accumulate, this.apply].reduce((n, g) => n + (g?.sessionsCreated ?? 0), 0);
  }

  /**
   * One optimizer step. Pass one batch for the fused step, or the micro-batches of one step when the
   * runner was built with accumulate/apply graphs.
   */
  async step(batches: BatchFeed | BatchFeed[], options: { learningRate: number }): Promise<StepResult> {
    if (this.released) throw new Error('TrainStepRunner: used after release()');
    const stepNumber = this.stepsTaken + 1;
    const where = `train step ${stepNumber}`;
    const micro = (Array.isArray(batches) ? batches : [batches]).map((b) => toOrtFeeds(b, where));
    if (micro.length === 0) throw new Error(`${where}: no batches`);
    for (const m of micro) injectTestOutOfMemory(stepNumber, (m.input_ids ?? Object.values(m)[0])?.dims[0] ?? 0);
    injectTestDeviceLoss(stepNumber);
    if (!Number.isFinite(options.learningRate)) throw new Error(`${where}: learning rate ${options.learningRate} is not finite`);
    const scale = this.scaling?.scale ?? 1;
    // Accumulators hold scaled gradients: the apply graph's grad_scale also divides by the loss scale.
    const scalars = { learningRate: options.learningRate, step: stepNumber, gradScale: 1 / (micro.length * scale), lossScaler: scale };

    let result: { loss: number; metrics: Record<string, number> } | null;
    if (this.fused) {
      if (micro.length > 1) throw new Error(`${where}: ${micro.length} micro-batches given, but gradient accumulation needs the runner built with accumulate/apply graphs`);
      this.fused.checkBatch(micro[0], where);
      const run = await this.fused.run(this.store, micro[0], scalars, this.traffic);
      if (this.overflowed(run)) result = null;
      else {
        this.rejectNonFinite(run, stepNumber);
        run.commit();
        const { loss, ...metrics } = run.values;
        result = { loss, metrics };
      }
    } else {
      result = await this.accumulatedStep(micro, scalars, stepNumber, where);
    }
    if (!result) return this.skipStep(scale);
    this.stepsTaken = stepNumber;
    if (this.scaling && ++this.scaling.goodSteps >= this.scaling.growthInterval) {
      this.scaling.scale *= this.scaling.growthFactor;
      this.scaling.goodSteps = 0;
    }
    return { step: stepNumber, ...result, traffic: this.traffic.endStep(), ...(this.scaling ? { lossScale: scale } : {}) };
  }

  /** The current dynamic loss scale (null without loss scaling). */
  get lossScale(): number | null {
    return this.scaling?.scale ?? null;
  }

  /** With loss scaling: a run whose loss or gradient norm is not finite is discarded (true) instead of applied. */
  private overflowed(run: PendingRun): boolean {
    if (!this.scaling) return false;
    if (Number.isFinite(run.values.loss) && (run.values.grad_norm === undefined || Number.isFinite(run.values.grad_norm))) return false;
    run.discard();
    return true;
  }

  private skipStep(scale: number): StepResult {
    const scaling = this.scaling!;
    scaling.scale *= scaling.backoffFactor;
    scaling.goodSteps = 0;
    // fp16's smallest subnormal: a scale below it cannot bring gradients back into range.
    if (scaling.scale < 2 ** -24) throw new NonFiniteLossError(this.stepsTaken + 1, NaN);
    return { step: this.stepsTaken, loss: NaN, metrics: {}, traffic: this.traffic.endStep(), skipped: true, lossScale: scale };
  }

  /** Copies parameters and optimizer state to host memory (for checkpoints and export). */
  async readState(): Promise<TrainState> {
    return { ...(await readStoredState(this.store, this.trainable, this.traffic)), step: this.stepsTaken };
  }

  /** Copies the trainable parameters alone to host memory (export; readState also copies the AdamW moments). */
  async readParams(): Promise<Record<string, HostTensor>> {
    return readStoredParams(this.store, this.trainable, this.traffic);
  }

  /** Replaces parameters, optimizer state and the step counter (resuming from a checkpoint). */
  loadState(state: TrainState): void {
    this.setState(state.params, state.optimizerState, 'required');
    this.stepsTaken = state.step;
  }

  async release(): Promise<void> {
    this.released = true;
    for (const g of [this.fused, this.accumulate, this.apply]) await g?.release();
    this.store.clear();
  }

  // ------------------------------------------------------------------------------------------

  private async accumulatedStep(micro: Record<string, ort.Tensor>[], scalars: Record<string, number>, stepNumber: number, where: string) {
    const accumulate = this.accumulate!;
    const accumulators = this.trainable.map((io) => io.gradAccumulator!.input);
    let lossSum = 0;
    const metricSums: Record<string, number> = {};
    try {
      for (const [i, batch] of micro.entries()) {
        accumulate.checkBatch(batch, `${where}, micro-batch ${i + 1}`);
        const run = await accumulate.run(this.store, batch, scalars, this.traffic);
        if (this.overflowed(run)) return null;
        this.rejectNonFinite(run, stepNumber);
        run.commit();
        const { loss, ...metrics } = run.values;
        lossSum += loss;
        for (const [k, v] of Object.entries(metrics)) metricSums[k] = (metricSums[k] ?? 0) + v;
      }
      const applied = await this.apply!.run(this.store, {}, scalars, this.traffic);
      if (this.overflowed(applied)) return null;
      applied.commit();
      const metrics: Record<string, number> = { ...applied.values };
      for (const [k, v] of Object.entries(metricSums)) metrics[k] = v / micro.length;
      return { loss: lossSum / micro.length, metrics };
    } finally {
      for (const key of accumulators) this.store.zero(key);
    }
  }

  private rejectNonFinite(run: PendingRun, stepNumber: number): void {
    const loss = run.values.loss;
    if (Number.isFinite(loss)) return;
    run.discard();
    this.traffic.endStep();
    throw new NonFiniteLossError(stepNumber, loss);
  }

  private setState(params: Record<string, HostTensor>, optimizerState: Record<string, HostTensor>, missingMoments: 'zeros' | 'required'): void {
    setStoredState(this.store, this.trainable, params, optimizerState, { missingMoments, accumulators: this.accumulate !== null });
  }
}

// ---- wiring the builder's signatures ---------------------------------------------------------

function expectKind(signature: TrainStepSignature, kind: TrainStepSignature['kind']): void {
  if (signature.kind !== kind) throw new Error(`expected a '${kind}' graph, got a '${signature.kind}' graph`);
}

function valueOutputs(s: TrainStepSignature): Record<string, string> {
  const values: Record<string, string> = { ...s.metrics };
  if (s.loss) values.loss = s.loss;
  if (s.gradNorm) values.grad_norm = s.gradNorm;
  return values;
}

function scalarInputs(s: TrainStepSignature): Record<string, string> {
  const scalars: Record<string, string> = {};
  if (s.learningRate) scalars.learningRate = s.learningRate;
  if (s.step) scalars.step = s.step;
  if (s.gradScale) scalars.gradScale = s.gradScale;
  if (s.lossScaler) scalars.lossScaler = s.lossScaler;
  return scalars;
}

function optimizerSlots(io: TrainableIO): GraphWiring['carried'] {
  if (!io.param.output || !io.adamM || !io.adamV) throw new Error(`parameter '${io.name}' has no AdamW update outputs in this graph`);
  return [
    { state: io.name, input: io.param.input, output: io.param.output },
    { state: io.adamM.input, input: io.adamM.input, output: io.adamM.output },
    { state: io.adamV.input, input: io.adamV.input, output: io.adamV.output },
  ];
}

function fusedWiring(s: TrainStepSignature): GraphWiring {
  return {
    carried: s.trainable.flatMap(optimizerSlots),
    readOnly: [],
    batchInputs: s.batchInputs.map((b) => b.name),
    scalars: scalarInputs(s),
    values: valueOutputs(s),
    frozen: s.frozen.map((f) => f.name),
  };
}

function accumulateWiring(s: TrainStepSignature): GraphWiring {
  return {
    carried: s.trainable.map((io) => {
      if (!io.gradAccumulator?.output) throw new Error(`accumulate graph: parameter '${io.name}' has no accumulator output`);
      return { state: io.gradAccumulator.input, input: io.gradAccumulator.input, output: io.gradAccumulator.output };
    }),
    readOnly: s.trainable.map((io) => ({ state: io.name, input: io.param.input })),
    batchInputs: s.batchInputs.map((b) => b.name),
    scalars: scalarInputs(s),
    values: valueOutputs(s),
    frozen: s.frozen.map((f) => f.name),
  };
}

function applyWiring(s: TrainStepSignature): GraphWiring {
  return {
    carried: s.trainable.flatMap(optimizerSlots),
    readOnly: s.trainable.map((io) => {
      if (!io.gradAccumulator) throw new Error(`apply graph: parameter '${io.name}' has no accumulator input`);
      return { state: io.gradAccumulator.input, input: io.gradAccumulator.input };
    }),
    batchInputs: [],
    scalars: scalarInputs(s),
    values: valueOutputs(s),
    frozen: s.frozen.map((f) => f.name),
  };
}

// ---- helpers ---------------------------------------------------------------------------------

function toOrtFeeds(batch: BatchFeed, where: string): Record<string, ort.Tensor> {
  if (batch === null || typeof batch !== 'object') throw new Error(`${where}: a batch must be an object of named tensors`);
  const out: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(batch)) out[name] = 'dtype' in value ? toOrtTensor(value, `${where}: batch input '${name}'`) : value;
  return out;
}
