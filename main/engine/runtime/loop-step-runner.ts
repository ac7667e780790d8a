// Runs the loop-step model (../optim/loop-step.ts): one session.run takes S optimizer steps of K
// micro-batches each, so trainable params and AdamW moments cross host↔device once per K·S
// micro-batches instead of once per step. The state lives on the host between runs (onnxruntime-node
// cannot keep CUDA tensors across runs); the traffic counter records every byte of it.
// A non-finite loss stops the loop inside the graph: that step is not applied, the steps before it are,
// and the result names the step (as NonFiniteLossError does for the per-step runner).
import * as ort from 'onnxruntime-node';
import { encodeModelWithExternalData } from '../onnx/emit.ts';
import { buildLoopStepModel, LOOP_STEP_NAMES, type LoopStepGraphs } from '../optim/loop-step.ts';
import type { TrainableIO } from '../optim/train-step.ts';
import { chooseExecutionProvider, type ProviderRequest } from './providers.ts';
import { elementCount, type HostTensor, toHostTensor, toOrtTensor } from './tensors.ts';
import { TrafficCounter, type Traffic } from './traffic.ts';

export type LoopBatch = Record<string, HostTensor>;

export interface LoopRunResult {
  /** Optimizer steps applied by this run, and the total after it. */
  stepsApplied: number;
  step: number;
  /** Per step run, per micro-batch (a stopped run's last row is the step that was not applied). */
  losses: number[][];
  metrics: Record<string, number[][]>;
  gradNorms: number[];
  /** The first non-finite loss: its 1-based optimizer step and micro-batch. */
  nonFinite: { step: number; microBatch: number; loss: number } | null;
  traffic: Traffic;
}

export class LoopStepRunner {
  readonly traffic = new TrafficCounter();
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly trainable: readonly TrainableIO[],
    private readonly batchInputs: readonly string[],
    private readonly metricNames: Record<string, string>,
    private state: Map<string, HostTensor>,
    private stepsTaken: number,
  ) {}

  static async create(graphs: LoopStepGraphs, initial: { params: Record<string, HostTensor>; optimizerState?: Record<string, HostTensor>; step?: number }, options: { provider?: ProviderRequest } = {}): Promise<LoopStepRunner> {
    const built = buildLoopStepModel(graphs);
    // Frozen params go to in-memory external data, as the per-step runner does.
    const encoded = encodeModelWithExternalData(built.model, { mode: 'always', location: 'loop-step.frozen', minBytes: 1024 });
    const { provider } = await chooseExecutionProvider(options.provider ?? 'cpu');
    const session = await ort.InferenceSession.create(encoded.model, { executionProviders: [provider], graphOptimizationLevel: 'basic', externalData: encoded.externalData });
    const trainable = graphs.apply.signature.trainable;
    const state = new Map<string, HostTensor>();
    for (const t of trainable) {
      const p = initial.params[t.name];
      if (!p) throw new Error(`loop step: no initial value for trainable param '${t.name}'`);
      if (elementCount(p.dims) !== elementCount(t.shape)) throw new Error(`loop step: param '${t.name}' is [${p.dims}], the graph needs [${t.shape}]`);
      state.set(t.param.input, p);
      for (const io of [t.adamM!, t.adamV!]) {
        const given = initial.optimizerState?.[io.input];
        state.set(io.input, given ?? { dtype: t.dtype, dims: [...t.shape], data: t.dtype === 'float64' ? new Float64Array(elementCount(t.shape)) : new Float32Array(elementCount(t.shape)) });
      }
    }
    return new LoopStepRunner(session, trainable, graphs.accumulate.signature.batchInputs.map((b) => b.name), built.metrics, state, initial.step ?? 0);
  }

  get stepCount(): number {
    return this.stepsTaken;
  }

  /** Trainable params and AdamW moments by input name (`p`, `adam_m/p`, `adam_v/p`). */
  readState(): Record<string, HostTensor> {
    return Object.fromEntries(this.state);
  }

  /**
   * S optimizer steps: `steps[s]` holds that step's K micro-batches (every micro-batch the same shape),
   * `learningRates[s]` its learning rate.
   */
  async run(steps: LoopBatch[][], learningRates: number[]): Promise<LoopRunResult> {
    const S = steps.length;
    if (S === 0 || learningRates.length !== S) throw new Error(`loop step: ${S} steps of batches and ${learningRates.length} learning rates`);
    const K = steps[0].length;
    if (K === 0 || steps.some((s) => s.length !== K)) throw new Error('loop step: every step needs the same number (≥ 1) of micro-batches');
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.batchInputs) feeds[name] = stack(steps, name);
    const dtype = this.trainable[0].dtype;
    feeds.lr = new ort.Tensor(dtype as 'float64', dtype === 'float64' ? Float64Array.from(learningRates) : Float32Array.from(learningRates), [S]);
    feeds.step = new ort.Tensor('int64', BigInt64Array.of(BigInt(this.stepsTaken + 1)), []);
    for (const [name, t] of this.state) feeds[name] = toOrtTensor(t, name);
    this.traffic.countInputs(feeds);
    const out = await this.session.run(feeds);
    this.traffic.countOutputs(out);
    for (const t of this.trainable) {
      for (const io of [t.param, t.adamM!, t.adamV!]) this.state.set(io.input, await toHostTensor(out[io.output!]));
    }
    const applied = Number((out[LOOP_STEP_NAMES.stepsTaken].data as BigInt64Array)[0]);
    const first = this.stepsTaken + 1;
    this.stepsTaken += applied;
    const rows = (t: ort.Tensor) => {
      const [r, c] = t.dims as number[];
      const d = t.data as Float64Array | Float32Array;
      return Array.from({ length: r }, (_, i) => Array.from(d.subarray(i * c, (i + 1) * c)));
    };
    const losses = rows(out[LOOP_STEP_NAMES.loss]);
    let nonFinite: LoopRunResult['nonFinite'] = null;
    losses.forEach((row, s) => row.forEach((loss, k) => {
      if (!nonFinite && !Number.isFinite(loss)) nonFinite = { step: first + s, microBatch: k, loss };
    }));
    return {
      stepsApplied: applied,
      step: this.stepsTaken,
      losses,
      metrics: Object.fromEntries(Object.entries(this.metricNames).map(([k, name]) => [k, rows(out[name])])),
      gradNorms: Array.from(out[LOOP_STEP_NAMES.gradNorm].data as Float64Array),
      nonFinite,
      traffic: this.traffic.endStep(),
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** [S, K, …] from S×K micro-batches of one input. */
function stack(steps: LoopBatch[][], name: string): ort.Tensor {
  const first = steps[0][0][name];
  if (!first) throw new Error(`loop step: micro-batch (1, 1) has no input '${name}'`);
  const size = first.data.length;
  const Ctor = first.data.constructor as { new (n: number): HostTensor['data'] };
  const data = new Ctor(steps.length * steps[0].length * size);
  steps.forEach((micro, s) => micro.forEach((b, k) => {
    const t = b[name];
    if (!t || t.data.length !== size || t.dims.join() !== first.dims.join()) throw new Error(`loop step: micro-batch (${s + 1}, ${k + 1}) input '${name}' must be [${first.dims}] like the first`);
    (data as Float64Array).set(t.data as Float64Array, (s * steps[0].length + k) * size);
  }));
  return toOrtTensor({ dtype: first.dtype, dims: [steps.length, steps[0].length, ...first.dims], data }, name);
}
