// Runs a fused train-step graph (forward + loss + backward + clipping + AdamW in one ONNX graph)
// step after step, keeping the trainable parameters and optimizer state between steps.
//
// Wiring, decided by a TrainStepSignature:
// - frozen parameters are initializers of the graph; their bytes go to onnxruntime as in-memory
//   external data when a session is created, so they are uploaded once and never fed again;
// - trainable parameters and optimizer state are graph inputs whose updated values come back as
//   graph outputs; the runner swaps each output into the state for the next step. On WebGPU they stay
//   on the device as `gpu-buffer` tensors; on CPU two host buffers per tensor alternate (outputs are
//   written into preallocated tensors, so a step allocates nothing large);
// - batch inputs, the learning rate and the 1-based step number are fed per call;
// - the loss (and metrics) come back to the host; a NaN/Inf loss throws NonFiniteLossError naming
//   the step and leaves the state as it was before that step.

import * as ort from 'onnxruntime-node';
import { encodeModelWithExternalData } from '../onnx/emit.ts';
import type { OnnxModel, OnnxValueInfo } from '../onnx/model.ts';
import { NonFiniteLossError, wrapRunError } from './errors.ts';
import { chooseExecutionProvider, type ProviderChoice, type ProviderRequest } from './providers.ts';
import { SessionCache, type DimBucket } from './session-cache.ts';
import { type HostTensor, describeTensor, elementCount, tensorByteSize, toHostTensor, toOrtTensor } from './tensors.ts';
import { TrafficCounter, type Traffic } from './traffic.ts';

/** A tensor carried between steps: fed as graph input `input`, its next value read from output `output`. */
export type StateSlot = { name: string; input: string; output: string };

/** How a train-step graph's inputs and outputs are wired (the graph builder produces it with the model). */
export type TrainStepSignature = {
  trainable: StateSlot[];
  /** AdamW first/second moments (any extra carried state works the same way). */
  optimizerState: StateSlot[];
  /** Names of graph initializers that hold frozen parameters. */
  frozen: string[];
  /** Graph inputs fed from each batch (token ids, targets, masks). */
  batchInputs: string[];
  /** Scalar graph input: the learning rate. */
  learningRate: string;
  /** Scalar graph input: the optimizer step t, starting at 1 (AdamW bias correction uses it). */
  step: string;
  /** Scalar graph output: the loss. */
  loss: string;
  /** Other scalar graph outputs returned to the host each step (e.g. 'grad_norm'). */
  metrics: string[];
};

export type TrainStepRunnerOptions = {
  provider?: ProviderRequest;
  /** Sessions kept, one per distinct set of symbolic-dim values (default 4). */
  maxSessions?: number;
  /** Extra onnxruntime session options (threads, optimization level). */
  sessionOptions?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders' | 'externalData' | 'freeDimensionOverrides'>;
  /** Receives the provider message and session creations. Default: silent. */
  log?: (line: string) => void;
};

export type InitialTrainState = {
  params: Record<string, HostTensor>;
  /** Missing slots start at zero (fresh AdamW). */
  optimizerState?: Record<string, HostTensor>;
  /** Optimizer steps already taken (when resuming). Default 0. */
  step?: number;
};

export type StepResult = {
  /** The optimizer step just taken (1-based). */
  step: number;
  loss: number;
  metrics: Record<string, number>;
  /** Bytes this step moved between host and device memory. */
  traffic: Traffic;
};

export type TrainState = {
  params: Record<string, HostTensor>;
  optimizerState: Record<string, HostTensor>;
  step: number;
};

export type BatchFeed = Record<string, HostTensor | ort.Tensor>;

export class TrainStepRunner {
  private readonly state = new Map<string, ort.Tensor>();
  /** CPU/CUDA: the second buffer of each state tensor, written by the next step. */
  private readonly spare = new Map<string, ort.Tensor>();
  private readonly slots: StateSlot[];
  private readonly inputsByName: Map<string, OnnxValueInfo>;
  private readonly sessions: SessionCache;
  private readonly traffic = new TrafficCounter();
  private readonly deviceResident: boolean;
  private stepsTaken: number;
  private released = false;

  private constructor(
    private readonly model: OnnxModel,
    private readonly signature: TrainStepSignature,
    readonly provider: ProviderChoice,
    options: TrainStepRunnerOptions,
    step: number,
  ) {
    this.slots = [...signature.trainable, ...signature.optimizerState];
    this.inputsByName = new Map(model.graph.inputs.map((i) => [i.name, i]));
    this.deviceResident = provider.provider === 'webgpu';
    this.stepsTaken = step;
    this.sessions = new SessionCache((dims) => this.createSession(dims, options), options.maxSessions ?? 4);
  }

  static async create(
    model: OnnxModel,
    signature: TrainStepSignature,
    initial: InitialTrainState,
    options: TrainStepRunnerOptions = {},
  ): Promise<TrainStepRunner> {
    validateSignature(model, signature);
    const provider = await chooseExecutionProvider(options.provider ?? 'auto');
    options.log?.(provider.message);
    const runner = new TrainStepRunner(model, signature, provider, options, initial.step ?? 0);
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

  /** Sessions created so far (one per bucket of symbolic-dim values, until evicted). */
  get sessionsCreated(): number {
    return this.sessions.createdCount;
  }

  /** Runs one optimizer step on `batch` and returns the loss and metrics. */
  async step(batch: BatchFeed, options: { learningRate: number }): Promise<StepResult> {
    if (this.released) throw new Error('TrainStepRunner: used after release()');
    const stepNumber = this.stepsTaken + 1;
    const batchTensors = this.checkBatch(batch);
    const session = await this.sessions.get(symbolicDims(this.signature.batchInputs, batchTensors, this.inputsByName));

    const feeds: Record<string, ort.Tensor> = { ...batchTensors };
    for (const slot of this.slots) feeds[slot.input] = this.state.get(slot.name)!;
    feeds[this.signature.learningRate] = this.scalar(this.signature.learningRate, options.learningRate);
    feeds[this.signature.step] = this.scalar(this.signature.step, stepNumber);

    const fetches: Record<string, ort.Tensor | null> = {};
    for (const slot of this.slots) fetches[slot.output] = this.deviceResident ? null : this.spare.get(slot.name)!;
    fetches[this.signature.loss] = null;
    for (const m of this.signature.metrics) fetches[m] = null;

    let outputs: Record<string, ort.Tensor>;
    try {
      outputs = await session.run(feeds, fetches);
    } catch (error) {
      throw wrapRunError(this.model.graph.name, feeds, error);
    }
    this.traffic.countInputs(feeds);
    this.traffic.countOutputs(outputs);

    const loss = await scalarValue(outputs[this.signature.loss]);
    if (!Number.isFinite(loss)) {
      if (this.deviceResident) for (const slot of this.slots) outputs[slot.output]?.dispose();
      this.traffic.endStep();
      throw new NonFiniteLossError(stepNumber, loss);
    }
    const metrics: Record<string, number> = {};
    for (const m of this.signature.metrics) metrics[m] = await scalarValue(outputs[m]);

    for (const slot of this.slots) {
      const previous = this.state.get(slot.name)!;
      if (this.deviceResident) {
        this.state.set(slot.name, outputs[slot.output]);
        if (previous.location !== 'cpu') previous.dispose();
      } else {
        // The preallocated spare now holds the new value; the old buffer becomes the spare.
        this.state.set(slot.name, this.spare.get(slot.name)!);
        this.spare.set(slot.name, previous);
      }
    }
    this.stepsTaken = stepNumber;
    return { step: stepNumber, loss, metrics, traffic: this.traffic.endStep() };
  }

  /** Copies parameters and optimizer state to host memory (for checkpoints and export). */
  async readState(): Promise<TrainState> {
    const read = async (slots: StateSlot[]): Promise<Record<string, HostTensor>> => {
      const out: Record<string, HostTensor> = {};
      for (const slot of slots) {
        const tensor = this.state.get(slot.name)!;
        if (tensor.location !== 'cpu') this.traffic.countDownload(tensorByteSize(tensor));
        const host = await toHostTensor(tensor);
        // Copy: the runner overwrites its host buffers on later steps.
        out[slot.name] = { ...host, data: host.data.slice() as HostTensor['data'] };
      }
      return out;
    };
    return {
      params: await read(this.signature.trainable),
      optimizerState: await read(this.signature.optimizerState),
      step: this.stepsTaken,
    };
  }

  /** Replaces parameters, optimizer state and the step counter (resuming from a checkpoint). */
  loadState(state: TrainState): void {
    this.setState(state.params, state.optimizerState, 'required');
    this.stepsTaken = state.step;
  }

  async release(): Promise<void> {
    this.released = true;
    await this.sessions.releaseAll();
    for (const t of this.state.values()) if (t.location !== 'cpu') t.dispose();
    this.state.clear();
    this.spare.clear();
  }

  // ------------------------------------------------------------------------------------------

  private setState(params: Record<string, HostTensor>, optimizerState: Record<string, HostTensor>, missingOptimizerState: 'zeros' | 'required'): void {
    const next = new Map<string, ort.Tensor>();
    const take = (slot: StateSlot, value: HostTensor | undefined, kind: string): void => {
      const declared = this.inputsByName.get(slot.input)!;
      if (!value) {
        if (kind === 'parameter' || missingOptimizerState === 'required') throw new Error(`train state: missing ${kind} '${slot.name}'`);
        if (declared.shape.some((d) => typeof d !== 'number')) {
          throw new Error(`train state: cannot zero-initialize '${slot.name}': graph input '${slot.input}' has symbolic shape [${declared.shape}]`);
        }
        value = zeroTensor(declared.dtype, declared.shape as number[]);
      }
      checkAgainstDeclared(value, declared, `${kind} '${slot.name}'`);
      // Own copies: the runner writes into these buffers on later steps.
      next.set(slot.name, toOrtTensor({ ...value, data: value.data.slice() as HostTensor['data'] }, slot.name));
    };
    for (const slot of this.signature.trainable) take(slot, params[slot.name], 'parameter');
    for (const slot of this.signature.optimizerState) take(slot, optimizerState[slot.name], 'optimizer state');
    const known = new Set(this.slots.map((s) => s.name));
    const unknown = [...Object.keys(params), ...Object.keys(optimizerState)].filter((n) => !known.has(n));
    if (unknown.length) throw new Error(`train state: unknown tensors ${unknown.join(', ')} (not in the train-step signature)`);

    for (const t of this.state.values()) if (t.location !== 'cpu') t.dispose();
    this.state.clear();
    this.spare.clear();
    for (const [name, tensor] of next) {
      this.state.set(name, tensor);
      if (!this.deviceResident) {
        const host = tensor.data as HostTensor['data'];
        const Ctor = host.constructor as new (n: number) => HostTensor['data'];
        this.spare.set(name, new ort.Tensor(tensor.type as 'float32', new Ctor(host.length) as never, tensor.dims));
      }
    }
  }

  private checkBatch(batch: BatchFeed): Record<string, ort.Tensor> {
    const expected = new Set(this.signature.batchInputs);
    const missing = this.signature.batchInputs.filter((n) => !(n in batch));
    const extra = Object.keys(batch).filter((n) => !expected.has(n));
    if (missing.length || extra.length) {
      throw new Error(
        `train step ${this.stepsTaken + 1}: batch must have exactly [${this.signature.batchInputs.join(', ')}]` +
          (missing.length ? `; missing ${missing.join(', ')}` : '') +
          (extra.length ? `; unexpected ${extra.join(', ')}` : ''),
      );
    }
    const out: Record<string, ort.Tensor> = {};
    for (const name of this.signature.batchInputs) {
      const value = batch[name];
      const tensor = 'dtype' in value ? toOrtTensor(value, `batch input '${name}'`) : value;
      const declared = this.inputsByName.get(name)!;
      if (tensor.type !== declared.dtype) {
        throw new Error(`train step ${this.stepsTaken + 1}: batch input '${name}' is ${describeTensor(tensor)}, the graph wants ${declared.dtype}[${declared.shape}]`);
      }
      out[name] = tensor;
    }
    return out;
  }

  private scalar(name: string, value: number): ort.Tensor {
    const declared = this.inputsByName.get(name)!;
    const dims = declared.shape as number[];
    switch (declared.dtype) {
      case 'float32': return new ort.Tensor('float32', new Float32Array([value]), dims);
      case 'float64': return new ort.Tensor('float64', new Float64Array([value]), dims);
      case 'int64': return new ort.Tensor('int64', new BigInt64Array([BigInt(Math.round(value))]), dims);
      case 'int32': return new ort.Tensor('int32', new Int32Array([value]), dims);
      default: throw new Error(`graph input '${name}' must be a float or integer scalar, not ${declared.dtype}`);
    }
  }

  private async createSession(dims: DimBucket, options: TrainStepRunnerOptions): Promise<ort.InferenceSession> {
    const started = performance.now();
    const frozen = new Set(this.signature.frozen);
    // Frozen weights (and any other large constant) travel as in-memory external data: the model
    // proto stays small and onnxruntime owns the only long-lived copy.
    const encoded = encodeModelWithExternalData(this.model, {
      mode: 'always',
      location: 'initializers.bin',
      minBytes: 0,
      select: (t) => frozen.has(t.name) || t.data.byteLength >= 1024,
    });
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      ...options.sessionOptions,
      executionProviders: [this.provider.provider],
      externalData: encoded.externalData,
      freeDimensionOverrides: dims,
    };
    if (this.deviceResident) {
      sessionOptions.preferredOutputLocation = Object.fromEntries(this.slots.map((s) => [s.output, 'gpu-buffer' as const]));
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(encoded.model, sessionOptions);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`creating a ${this.provider.provider} session for graph '${this.model.graph.name}' (${JSON.stringify(dims)}) failed: ${reason}`, { cause: error });
    }
    options.log?.(`session for ${this.model.graph.name} ${JSON.stringify(dims)} on ${this.provider.provider} in ${(performance.now() - started).toFixed(0)} ms`);
    return session;
  }
}

/** Checks that the signature covers every graph input exactly once and names real outputs/initializers. */
export function validateSignature(model: OnnxModel, signature: TrainStepSignature): void {
  const problems: string[] = [];
  const inputs = new Set(model.graph.inputs.map((i) => i.name));
  const outputs = new Set(model.graph.outputs.map((o) => o.name));
  const initializers = new Set(model.graph.initializers.map((t) => t.name));
  const fedNames = [
    ...signature.trainable.map((s) => s.input),
    ...signature.optimizerState.map((s) => s.input),
    ...signature.batchInputs,
    signature.learningRate,
    signature.step,
  ];
  const seen = new Set<string>();
  for (const name of fedNames) {
    if (!inputs.has(name)) problems.push(`'${name}' is not a graph input`);
    if (seen.has(name)) problems.push(`'${name}' is wired twice`);
    seen.add(name);
  }
  for (const name of inputs) if (!seen.has(name)) problems.push(`graph input '${name}' is not wired to state, batch, learning rate or step`);
  const fetched = [...signature.trainable.map((s) => s.output), ...signature.optimizerState.map((s) => s.output), signature.loss, ...signature.metrics];
  for (const name of fetched) if (!outputs.has(name)) problems.push(`'${name}' is not a graph output`);
  for (const name of signature.frozen) if (!initializers.has(name)) problems.push(`frozen parameter '${name}' is not a graph initializer`);
  const slotNames = new Set<string>();
  for (const slot of [...signature.trainable, ...signature.optimizerState]) {
    if (slotNames.has(slot.name)) problems.push(`state name '${slot.name}' is used twice`);
    slotNames.add(slot.name);
  }
  if (problems.length) throw new Error(`train-step signature does not match graph '${model.graph.name}':\n  ${problems.join('\n  ')}`);
}

/** Values of the symbolic dims of the batch inputs, checked for consistency and against static dims. */
function symbolicDims(names: string[], batch: Record<string, ort.Tensor>, declaredByName: Map<string, OnnxValueInfo>): DimBucket {
  const dims: DimBucket = {};
  for (const name of names) {
    const declared = declaredByName.get(name)!;
    const actual = batch[name].dims;
    const mismatch = (): Error =>
      new Error(`batch input '${name}' has shape [${actual}], the graph declares [${declared.shape}]` +
        (Object.keys(dims).length ? ` (with ${JSON.stringify(dims)})` : ''));
    if (actual.length !== declared.shape.length) throw mismatch();
    declared.shape.forEach((d, i) => {
      if (typeof d === 'number') {
        if (d >= 0 && d !== actual[i]) throw mismatch();
      } else if (d in dims) {
        if (dims[d] !== actual[i]) throw mismatch();
      } else dims[d] = actual[i];
    });
  }
  return dims;
}

function checkAgainstDeclared(value: HostTensor, declared: OnnxValueInfo, what: string): void {
  const shapeOk = value.dims.length === declared.shape.length && declared.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === value.dims[i]);
  if (value.dtype !== declared.dtype || !shapeOk || value.data.length !== elementCount(value.dims)) {
    throw new Error(`${what} is ${value.dtype}[${value.dims}] (${value.data.length} elements), graph input '${declared.name}' is ${declared.dtype}[${declared.shape}]`);
  }
}

function zeroTensor(dtype: HostTensor['dtype'], dims: number[]): HostTensor {
  const n = elementCount(dims);
  switch (dtype) {
    case 'float32': return { dtype, dims, data: new Float32Array(n) };
    case 'float64': return { dtype, dims, data: new Float64Array(n) };
    case 'float16': case 'bfloat16': return { dtype, dims, data: new Uint16Array(n) };
    default: throw new Error(`cannot zero-initialize optimizer state of dtype ${dtype}`);
  }
}

async function scalarValue(tensor: ort.Tensor | undefined): Promise<number> {
  if (!tensor) return NaN;
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData();
  return Number((data as ArrayLike<number | bigint>)[0]);
}
