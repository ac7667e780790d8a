// Runs the loop-step model (../optim/loop-step.ts): one session.run takes S optimizer steps of K
// micro-batches each, so trainable params and AdamW moments cross host↔device once per K·S
// micro-batches instead of once per micro-batch. Between runs the state lives in a StateStore: on WebGPU
// device-resident `gpu-buffer` tensors (nothing crosses), elsewhere two host buffers per tensor that runs
// write into alternately (onnxruntime-node cannot keep CUDA tensors across runs); the traffic counter
// records every byte that crosses.
//
// Micro-batches go in flat (each input's elements one micro-batch after another, with a span and dims
// table), so the micro-batches of one run may have different shapes: no padding beyond what each
// micro-batch has on its own, so the same numbers as the per-step runner.
//
// A non-finite loss or gradient norm stops the loop inside the graph; the runner then re-runs the steps
// before it alone and keeps their state, so that step is not applied, the ones before it are, and the result
// names the step (the trainers report it as the per-step runner's NonFiniteLossError would). A run that
// fails (out of memory, a lost device) changes nothing.
import * as ort from 'onnxruntime-node';
import { buildLoopStepModel, LOOP_STEP_NAMES, type LoopStepGraphs } from '../optim/loop-step.ts';
import { STEP_NAMES, type TrainableIO } from '../optim/train-step.ts';
import { wrapRunError } from './errors.ts';
import { chooseExecutionProvider, type ProviderChoice, type ProviderRequest } from './providers.ts';
import { StateStore } from './state-store.ts';
import { createTrainSession, type SessionSettings } from './step-graph.ts';
import { injectTestDeviceLoss, injectTestOutOfMemory } from './test-oom.ts';
import { elementCount, type HostTensor, toOrtTensor } from './tensors.ts';
import { readStoredParams, readStoredState, setStoredState } from './train-state.ts';
import { TrafficCounter, type Traffic } from './traffic.ts';
import type { TrainState } from './train-step-runner.ts';

export type LoopBatch = Record<string, HostTensor>;

export interface LoopRunResult {
  /** Optimizer steps applied by this run, and the total after it. */
  stepsApplied: number;
  step: number;
  /** Per step run, per micro-batch (a stopped run's last row is the step that was not applied). */
  losses: number[][];
  metrics: Record<string, number[][]>;
  gradNorms: number[];
  /** The first non-finite loss (or, with finite losses, gradient norm): its 1-based optimizer step and micro-batch. */
  nonFinite: { step: number; microBatch: number; loss: number; gradNorm: number } | null;
  /** Bytes this run moved between host and device. */
  traffic: Traffic;
}

export type LoopStepRunnerOptions = SessionSettings & { provider?: ProviderRequest };

export class LoopStepRunner {
  private readonly traffic = new TrafficCounter();
  private released = false;
  /** Byte sizes of the in-memory external-data pieces (frozen weights) the session was created with. */
  externalDataPieces: number[] = [];
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly trainable: readonly TrainableIO[],
    private readonly batchInputs: readonly { name: string; rank: number }[],
    private readonly metricNames: Record<string, string>,
    private readonly store: StateStore,
    readonly provider: ProviderChoice,
    private stepsTaken: number,
  ) {}

  static async create(
    graphs: LoopStepGraphs,
    initial: { params: Record<string, HostTensor>; optimizerState?: Record<string, HostTensor>; step?: number },
    options: LoopStepRunnerOptions = {},
  ): Promise<LoopStepRunner> {
    const built = buildLoopStepModel(graphs);
    const provider = await chooseExecutionProvider(options.provider ?? 'cpu');
    options.log?.(provider.message);
    const trainable = graphs.apply.signature.trainable;
    let pieces: number[] = [];
    const session = await createTrainSession(built.model, {
      onPieces: (bytes) => (pieces = bytes),
      frozen: graphs.accumulate.signature.frozen.map((f) => f.name),
      carriedOutputs: trainable.flatMap((t) => [t.param.output!, t.adamM!.output, t.adamV!.output]),
      provider,
      settings: options,
    });
    const batchInputs = graphs.accumulate.signature.batchInputs.map((b) => ({ name: b.name, rank: b.shape.length }));
    const runner = new LoopStepRunner(session, trainable, batchInputs, built.metrics, new StateStore(provider.provider === 'webgpu'), provider, initial.step ?? 0);
    runner.externalDataPieces = pieces;
    runner.setState(initial.params, initial.optimizerState ?? {}, 'zeros');
    return runner;
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number {
    return this.stepsTaken;
  }

  /** Host↔device bytes over the runner's life. */
  get totalTraffic(): Traffic {
    return this.traffic.totals;
  }

  /** Names under which readState() returns the AdamW moments. */
  get optimizerStateNames(): string[] {
    return this.trainable.flatMap((io) => [io.adamM!.input, io.adamV!.input]);
  }

  /**
   * S optimizer steps: `steps[s]` holds that step's K micro-batches (K the same for every step of a run;
   * the micro-batches' shapes may differ), `learningRates[s]` its learning rate.
   */
  async run(steps: LoopBatch[][], learningRates: number[]): Promise<LoopRunResult> {
    if (this.released) throw new Error('LoopStepRunner: used after release()');
    const S = steps.length;
    if (S === 0 || learningRates.length !== S) throw new Error(`loop step: ${S} steps of batches and ${learningRates.length} learning rates`);
    const K = steps[0].length;
    if (K === 0 || steps.some((s) => s.length !== K)) throw new Error('loop step: every step of a run needs the same number (≥ 1) of micro-batches');
    const first = this.stepsTaken + 1;
    const result = await this.runOnce(steps, learningRates, first);
    if (!result.nonFinite) return result;
    // A non-finite step ended the loop; the state it returned is not the state after the steps before it
    // (the graph does not keep a second copy to fall back on). Those steps are re-run alone and kept.
    const applied = result.stepsApplied;
    if (applied > 0) {
      const again = await this.runOnce(steps.slice(0, applied), learningRates.slice(0, applied), first);
      if (again.stepsApplied !== applied) throw new Error(`loop step: re-running steps ${first}–${first + applied - 1} gave ${again.stepsApplied} finite steps, the first run ${applied}`);
      return { ...result, step: this.stepsTaken, traffic: { hostToDevice: result.traffic.hostToDevice + again.traffic.hostToDevice, deviceToHost: result.traffic.deviceToHost + again.traffic.deviceToHost } };
    }
    return result;
  }

  /** One session.run over `steps`; keeps the returned state only when every step was finite. */
  private async runOnce(steps: LoopBatch[][], learningRates: number[], first: number): Promise<LoopRunResult> {
    const S = steps.length;
    for (const [s, micro] of steps.entries()) {
      for (const b of micro) injectTestOutOfMemory(first + s, (b.input_ids ?? Object.values(b)[0])?.dims[0] ?? 0);
      injectTestDeviceLoss(first + s);
    }
    learningRates.forEach((lr, s) => {
      if (!Number.isFinite(lr)) throw new Error(`train step ${first + s}: learning rate ${lr} is not finite`);
    });
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of this.batchInputs) Object.assign(feeds, flatten(steps, input.name, input.rank));
    const dtype = this.trainable[0].dtype;
    feeds[STEP_NAMES.learningRate] = new ort.Tensor(dtype as 'float64', dtype === 'float64' ? Float64Array.from(learningRates) : Float32Array.from(learningRates), [S]);
    feeds[STEP_NAMES.step] = new ort.Tensor('int64', BigInt64Array.of(BigInt(first)), []);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const t of this.trainable) {
      for (const io of [t.param, t.adamM!, t.adamV!]) {
        feeds[io.input] = this.store.get(stateKey(t, io.input));
        fetches[io.output!] = this.store.fetchTarget(stateKey(t, io.input));
      }
    }
    for (const name of [LOOP_STEP_NAMES.stepsTaken, LOOP_STEP_NAMES.loss, LOOP_STEP_NAMES.gradNorm, ...Object.values(this.metricNames)]) fetches[name] = null;
    let out: Record<string, ort.Tensor>;
    try {
      out = await this.session.run(feeds, fetches);
    } catch (error) {
      throw wrapRunError('loop_step', feeds, error);
    }
    this.traffic.countInputs(feeds);
    this.traffic.countOutputs(out);
    const applied = Number((out[LOOP_STEP_NAMES.stepsTaken].data as BigInt64Array)[0]);
    const finished = applied === S;
    for (const t of this.trainable) {
      for (const io of [t.param, t.adamM!, t.adamV!]) {
        if (finished) this.store.commit(stateKey(t, io.input), out[io.output!]);
        else this.store.discard(out[io.output!]);
      }
    }
    if (finished) this.stepsTaken += applied;
    const losses = rows(out[LOOP_STEP_NAMES.loss]);
    const gradNorms = Array.from(out[LOOP_STEP_NAMES.gradNorm].data as Float64Array, Number);
    let nonFinite: LoopRunResult['nonFinite'] = null;
    if (applied < losses.length) {
      const s = applied;
      const k = Math.max(0, losses[s].findIndex((loss) => !Number.isFinite(loss)));
      nonFinite = { step: first + s, microBatch: k, loss: losses[s][k], gradNorm: gradNorms[s] };
    }
    return {
      stepsApplied: applied,
      step: this.stepsTaken + (finished ? 0 : applied),
      losses,
      metrics: Object.fromEntries(Object.entries(this.metricNames).map(([k, name]) => [k, rows(out[name])])),
      gradNorms,
      nonFinite,
      traffic: this.traffic.endStep(),
    };
  }

  /** Copies parameters and optimizer state to host memory (checkpoints, export). */
  async readState(): Promise<TrainState> {
    return { ...(await readStoredState(this.store, this.trainable, this.traffic)), step: this.stepsTaken };
  }

  /** The trainable parameters alone (held-out evaluation, export). */
  async readParams(): Promise<Record<string, HostTensor>> {
    return readStoredParams(this.store, this.trainable, this.traffic);
  }

  /** Replaces parameters, optimizer state and the step counter (resuming from a checkpoint). */
  loadState(state: TrainState): void {
    this.setState(state.params, state.optimizerState, 'required');
    this.stepsTaken = state.step;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
    this.store.clear();
  }

  private setState(params: Record<string, HostTensor>, optimizerState: Record<string, HostTensor>, missingMoments: 'zeros' | 'required'): void {
    // No accumulators: the loop carries them inside the graph.
    setStoredState(this.store, this.trainable, params, optimizerState, { missingMoments, accumulators: false });
  }
}

/** A param's state key is its name; its moments are keyed by their input names (`adam_m/p`, `adam_v/p`). */
function stateKey(t: TrainableIO, input: string): string {
  return input === t.param.input ? t.name : input;
}

/** The flat input `name` and its span / dims tables from S×K micro-batches. */
function flatten(steps: LoopBatch[][], name: string, rank: number): Record<string, ort.Tensor> {
  const S = steps.length;
  const K = steps[0].length;
  const first = steps[0][0][name];
  if (!first) throw new Error(`loop step: micro-batch (1, 1) has no input '${name}'`);
  let total = 0;
  steps.forEach((micro, s) => micro.forEach((b, k) => {
    const t = b[name];
    if (!t) throw new Error(`loop step: micro-batch (${s + 1}, ${k + 1}) has no input '${name}'`);
    if (t.dtype !== first.dtype || t.dims.length !== rank || t.data.length !== elementCount(t.dims)) {
      throw new Error(`loop step: micro-batch (${s + 1}, ${k + 1}) input '${name}' is ${t.dtype}[${t.dims}] (${t.data.length} elements); the graph wants ${first.dtype} of rank ${rank}`);
    }
    total += t.data.length;
  }));
  const Ctor = first.data.constructor as { new (n: number): HostTensor['data'] };
  const data = new Ctor(total);
  const span = new BigInt64Array(S * K * 2);
  const dims = new BigInt64Array(S * K * rank);
  let at = 0;
  steps.forEach((micro, s) => micro.forEach((b, k) => {
    const t = b[name];
    (data as Float64Array).set(t.data as Float64Array, at);
    const i = s * K + k;
    span[2 * i] = BigInt(at);
    span[2 * i + 1] = BigInt(at + t.data.length);
    t.dims.forEach((d, j) => (dims[i * rank + j] = BigInt(d)));
    at += t.data.length;
  }));
  const out: Record<string, ort.Tensor> = {
    [name]: toOrtTensor({ dtype: first.dtype, dims: [total], data }, name),
    [LOOP_STEP_NAMES.span(name)]: new ort.Tensor('int64', span, [S, K, 2]),
  };
  if (rank > 0) out[LOOP_STEP_NAMES.dims(name)] = new ort.Tensor('int64', dims, [S, K, rank]);
  return out;
}

/** A [rows, cols] output as rows of numbers. */
function rows(t: ort.Tensor): number[][] {
  const [r, c] = t.dims as number[];
  const d = t.data as Float64Array | Float32Array;
  return Array.from({ length: r }, (_, i) => Array.from(d.subarray(i * c, (i + 1) * c)));
}
