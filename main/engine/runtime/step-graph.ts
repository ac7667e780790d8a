// One graph of a training step (the fused step, or the accumulate / apply halves of gradient
// accumulation) bound to onnxruntime sessions: which graph inputs come from carried state, which
// from the batch and which are scalars; which outputs update state and which come back as numbers.
// Sessions are created per bucket of symbolic-dim values (see session-cache.ts).

import * as ort from 'onnxruntime-node';
import { encodeModelWithExternalData } from '../onnx/emit.ts';
import type { OnnxModel, OnnxValueInfo } from '../onnx/model.ts';
import { wrapRunError } from './errors.ts';
import type { ProviderChoice } from './providers.ts';
import { SessionCache, type DimBucket } from './session-cache.ts';
import type { StateStore } from './state-store.ts';
import { describeTensor } from './tensors.ts';
import type { TrafficCounter } from './traffic.ts';

export type GraphWiring = {
  /** State fed as `input` whose next value is read from `output`. */
  carried: { state: string; input: string; output: string }[];
  /** State fed as `input` and not updated by this graph. */
  readOnly: { state: string; input: string }[];
  /** Graph inputs fed from each batch. */
  batchInputs: string[];
  /** Scalar inputs by role, e.g. { learningRate: 'lr', step: 'step' }. */
  scalars: Record<string, string>;
  /** Scalar outputs returned to the host as numbers, by key, e.g. { loss: 'loss', grad_norm: 'grad_norm' }. */
  values: Record<string, string>;
  /** Initializers that hold frozen parameters (handed to onnxruntime as in-memory external data). */
  frozen: string[];
};

/** Largest in-memory external-data buffer handed to onnxruntime (issue #19: no typed array near 4 GiB). */
export const EXTERNAL_DATA_PIECE_BYTES = 2 ** 30;

export type SessionSettings = {
  maxSessions?: number;
  /** Largest external-data piece (default EXTERNAL_DATA_PIECE_BYTES); tests force small pieces. */
  externalDataPieceBytes?: number;
  sessionOptions?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders' | 'externalData' | 'freeDimensionOverrides'>;
  log?: (line: string) => void;
};

/** A finished run whose state updates are not applied yet: commit() applies them, discard() drops them. */
export type PendingRun = {
  values: Record<string, number>;
  commit(): void;
  discard(): void;
};

export class StepGraph {
  private readonly sessions: SessionCache;
  private readonly inputs: Map<string, OnnxValueInfo>;
  /** Byte sizes of the external-data pieces the last session was created with (tests, the planner). */
  externalDataPieces: number[] = [];

  constructor(
    readonly model: OnnxModel,
    readonly wiring: GraphWiring,
    private readonly provider: ProviderChoice,
    settings: SessionSettings,
  ) {
    validateWiring(model, wiring);
    this.inputs = new Map(model.graph.inputs.map((i) => [i.name, i]));
    this.sessions = new SessionCache((dims) => this.createSession(dims, settings), settings.maxSessions ?? 4);
  }

  get name(): string {
    return this.model.graph.name;
  }

  get sessionsCreated(): number {
    return this.sessions.createdCount;
  }

  declared(input: string): OnnxValueInfo {
    const info = this.inputs.get(input);
    if (!info) throw new Error(`graph '${this.name}' has no input '${input}'`);
    return info;
  }

  /** Converts and checks one batch against the declared batch inputs. */
  checkBatch(batch: Record<string, ort.Tensor>, where: string): void {
    const expected = this.wiring.batchInputs;
    const missing = expected.filter((n) => !(n in batch));
    const extra = Object.keys(batch).filter((n) => !expected.includes(n));
    if (missing.length || extra.length) {
      throw new Error(
        `${where}: batch must have exactly [${expected.join(', ')}]` +
          (missing.length ? `; missing ${missing.join(', ')}` : '') +
          (extra.length ? `; unexpected ${extra.join(', ')}` : ''),
      );
    }
    for (const name of expected) {
      const declared = this.declared(name);
      if (batch[name].type !== declared.dtype) {
        throw new Error(`${where}: batch input '${name}' is ${describeTensor(batch[name])}, the graph wants ${declared.dtype}[${declared.shape}]`);
      }
    }
  }

  async run(store: StateStore, batch: Record<string, ort.Tensor>, scalars: Record<string, number>, traffic: TrafficCounter): Promise<PendingRun> {
    const session = await this.sessions.get(this.symbolicDims(batch));
    const feeds: Record<string, ort.Tensor> = { ...batch };
    for (const c of this.wiring.carried) feeds[c.input] = store.get(c.state);
    for (const r of this.wiring.readOnly) feeds[r.input] = store.get(r.state);
    for (const [role, input] of Object.entries(this.wiring.scalars)) {
      if (!(role in scalars)) throw new Error(`graph '${this.name}': no value for scalar input '${input}' (${role})`);
      feeds[input] = this.scalar(input, scalars[role]);
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const c of this.wiring.carried) fetches[c.output] = store.fetchTarget(c.state);
    for (const output of Object.values(this.wiring.values)) fetches[output] = null;

    let outputs: Record<string, ort.Tensor>;
    try {
      outputs = await session.run(feeds, fetches);
    } catch (error) {
      throw wrapRunError(this.name, feeds, error);
    }
    traffic.countInputs(feeds);
    traffic.countOutputs(outputs);

    const values: Record<string, number> = {};
    for (const [key, output] of Object.entries(this.wiring.values)) values[key] = await scalarValue(outputs[output]);
    let settled = false;
    return {
      values,
      commit: () => {
        if (settled) throw new Error('run already committed or discarded');
        settled = true;
        for (const c of this.wiring.carried) store.commit(c.state, outputs[c.output]);
      },
      discard: () => {
        if (settled) return;
        settled = true;
        for (const c of this.wiring.carried) store.discard(outputs[c.output]);
      },
    };
  }

  async release(): Promise<void> {
    await this.sessions.releaseAll();
  }

  private scalar(name: string, value: number): ort.Tensor {
    const declared = this.declared(name);
    const dims = declared.shape as number[];
    switch (declared.dtype) {
      case 'float32': return new ort.Tensor('float32', new Float32Array([value]), dims);
      case 'float64': return new ort.Tensor('float64', new Float64Array([value]), dims);
      case 'int64': return new ort.Tensor('int64', new BigInt64Array([BigInt(Math.round(value))]), dims);
      case 'int32': return new ort.Tensor('int32', new Int32Array([value]), dims);
      default: throw new Error(`graph '${this.name}': scalar input '${name}' must be float or integer, not ${declared.dtype}`);
    }
  }

  /** Values of the symbolic dims of the batch inputs, checked for consistency and against static dims. */
  private symbolicDims(batch: Record<string, ort.Tensor>): DimBucket {
    const dims: DimBucket = {};
    for (const name of this.wiring.batchInputs) {
      const declared = this.declared(name);
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

  private createSession(dims: DimBucket, settings: SessionSettings): Promise<ort.InferenceSession> {
    return createTrainSession(this.model, { frozen: this.wiring.frozen, carriedOutputs: this.wiring.carried.map((c) => c.output), provider: this.provider, settings, dims, onPieces: (pieces) => (this.externalDataPieces = pieces) });
  }
}

/**
 * A session for a train graph (a step graph, or the loop step of ../optim/loop-step.ts). Frozen weights
 * and other large constants travel as in-memory external data; on WebGPU the carried outputs stay on the
 * device (`gpu-buffer`).
 */
export async function createTrainSession(
  model: OnnxModel,
  options: { frozen: readonly string[]; carriedOutputs: readonly string[]; provider: ProviderChoice; settings: SessionSettings; dims?: DimBucket; onPieces?: (bytes: number[]) => void },
): Promise<ort.InferenceSession> {
  const { provider, settings } = options;
  const dims = options.dims ?? {};
  const started = performance.now();
  const frozen = new Set(options.frozen);
  // Frozen weights (and other large constants) travel as in-memory external data: the model proto
  // stays small and onnxruntime holds the only long-lived copy inside the session.
  const encoded = encodeModelWithExternalData(model, {
    mode: 'always',
    location: 'initializers.bin',
    minBytes: 0,
    select: (t) => frozen.has(t.name) || t.data.byteLength >= 1024,
    maxFileBytes: settings.externalDataPieceBytes ?? EXTERNAL_DATA_PIECE_BYTES,
    // Weights of 1 MiB and more go as views of their own bytes, as inference sessions do (models/
    // session-weights.ts): copying them into pieces held a second full copy of the frozen weights next
    // to onnxruntime's while the session was created (Qwen2.5-1.5B LoRA: +5.75 GiB at the peak).
    ownBufferBytes: 2 ** 20,
  });
  options.onPieces?.(encoded.externalData.map((f) => f.data.byteLength));
  // float64 graphs: 'all' fuses contrib ops (QuickGelu, …) whose CPU kernels are float32 only.
  const float64 = model.graph.inputs.some((i) => i.dtype === 'float64');
  // No MLAS prepacking: a frozen weight read by several Gemms (forward, checkpoint rebuild, backward)
  // kept its own copy plus packed ones. Measured on Qwen2.5-1.5B cut to 6 layers, LoRA, 512 tokens:
  // peak RSS 10.07 → 8.28 GB, step time unchanged (19.1 s vs 20.7 s).
  const extra = settings.sessionOptions?.extra as { session?: Record<string, string> } | undefined;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: float64 ? 'basic' : 'all',
    ...settings.sessionOptions,
    extra: { ...extra, session: { disable_prepacking: '1', ...extra?.session } },
    executionProviders: [provider.provider],
    externalData: encoded.externalData,
    freeDimensionOverrides: dims,
  };
  if (provider.provider === 'webgpu') {
    sessionOptions.preferredOutputLocation = Object.fromEntries(options.carriedOutputs.map((name) => [name, 'gpu-buffer' as const]));
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encoded.model, sessionOptions);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`creating a ${provider.provider} session for graph '${model.graph.name}' (${JSON.stringify(dims)}) failed: ${reason}`, { cause: error });
  }
  settings.log?.(`session for ${model.graph.name} ${JSON.stringify(dims)} on ${provider.provider} in ${(performance.now() - started).toFixed(0)} ms`);
  return session;
}

/** Checks that the wiring covers every graph input exactly once and names real outputs and initializers. */
export function validateWiring(model: OnnxModel, wiring: GraphWiring): void {
  const problems: string[] = [];
  const inputs = new Set(model.graph.inputs.map((i) => i.name));
  const outputs = new Set(model.graph.outputs.map((o) => o.name));
  const initializers = new Set(model.graph.initializers.map((t) => t.name));
  const fed = [...wiring.carried.map((c) => c.input), ...wiring.readOnly.map((r) => r.input), ...wiring.batchInputs, ...Object.values(wiring.scalars)];
  const seen = new Set<string>();
  for (const name of fed) {
    if (!inputs.has(name)) problems.push(`'${name}' is not a graph input`);
    if (seen.has(name)) problems.push(`'${name}' is wired twice`);
    seen.add(name);
  }
  for (const name of inputs) if (!seen.has(name)) problems.push(`graph input '${name}' is not wired to state, batch or a scalar`);
  for (const name of [...wiring.carried.map((c) => c.output), ...Object.values(wiring.values)]) {
    if (!outputs.has(name)) problems.push(`'${name}' is not a graph output`);
  }
  for (const name of wiring.frozen) if (!initializers.has(name)) problems.push(`frozen parameter '${name}' is not a graph initializer`);
  if (problems.length) throw new Error(`train-step signature does not match graph '${model.graph.name}':\n  ${problems.join('\n  ')}`);
}

async function scalarValue(tensor: ort.Tensor | undefined): Promise<number> {
  if (!tensor) return NaN;
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData();
  return Number((data as ArrayLike<number | bigint>)[0]);
}
