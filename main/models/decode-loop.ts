// Generation as one session.run: the decode-loop model (decode-loop/loop-model.ts) with the same
// interface and results as generate.ts's per-token path. The host sends the padded prompts, one
// uniform per token per row (drawn from the same seeded generators the JS sampler uses, so a seed gives
// the same tokens) and the stop ids; it gets the token ids back. Stop strings, streaming callbacks and
// finish reasons are worked out afterwards from the tokens, exactly as the per-token loop decides them
// (the loop keeps generating past a stop string; those tokens are dropped).
// Knobs are baked into a graph, so a session is made per sampling setting — one at a time: switching
// setting releases the previous one, so a DecodeLoop never holds two copies of the weights.
//
// A DecodeLoop is what generating callers hold (CLI, eval, GRPO rollouts, local pair generator): through
// generate.ts's `generate` it runs the loop, or the per-token path (generate-per-token.ts) when asked
// (`path: 'per-token'`), for returnLogits, or when the loop graph does not load on a GPU provider — each
// path announced by one log line, and the per-token session made only then (replacing the loop's).
import * as ort from 'onnxruntime-node';
import { chooseExecutionProvider, type ProviderRequest, type Traffic } from '../engine/index.ts';
import { TrafficCounter } from '../engine/runtime/traffic.ts';
import type { SafeTensor } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import type { DecoderDType, Projection } from './decoder.ts';
import { LOOP_TOKENS, decodeLoopModel } from './decode-loop/loop-model.ts';
import { isGreedy, type GraphSampling } from './decode-loop/sampling-graph.ts';
import { DecoderSession, weightData } from './decoder-session.ts';
import { firstStop, validateGenerateOptions, type FinishReason, type GenerateOptions, type GeneratedSequence } from './generate-options.ts';
import { generatePerToken } from './generate-per-token.ts';
import { createWithOptimizedCache, optimizedCacheKey, type CachedSession } from './optimized-cache.ts';
import { SeededRandom } from './init.ts';
import { loraProjection, loraTensors } from './lora.ts';
import type { LoraAdapter } from './peft.ts';
import { encodeSessionModel, weightSessionOptions } from './session-weights.ts';
import type { WeightFiles } from './weight-files.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

export type DecodePath = 'loop' | 'per-token';

export interface DecodeLoopOptions {
  dtype?: DecoderDType;
  adapter?: LoraAdapter;
  provider?: ProviderRequest;
  weightFiles?: WeightFiles;
  keepStoredDtype?: boolean;
  /** As CompileOptions.optimizedCacheDir (sessions whose weights all come from `weightFiles`). */
  optimizedCacheDir?: string;
  /** 'loop' (default): one run per generate call. 'per-token': the reference path, one run per token. */
  path?: DecodePath;
  /** Where the one line per path ("generation: decode loop on cpu") goes. Default: nowhere. */
  log?: (line: string) => void;
  /**
   * Weights fed at every run instead of baked into the session (#30): the names whose values change between
   * generations (a GRPO policy's LoRA A/B, or its trained tensors). `update` replaces their values and the
   * loop session stays; everything else stays an initializer (or a mapped file).
   */
  liveWeights?: readonly string[];
}

export interface DecodeLoopResult {
  sequences: GeneratedSequence[];
  /** Bytes fed to and fetched from the session for this call (the engine's counter). */
  traffic: Traffic;
}

export class DecodeLoop {
  /** The one live onnxruntime session: a loop graph for one sampling setting, or the per-token session. */
  private live: { key: string; session: Promise<ort.InferenceSession | DecoderSession> } | null = null;
  /** Calls run one at a time (a session switch must not release a session another call is running). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Every run's traffic, summed (both paths). */
  readonly traffic = new TrafficCounter();
  private weights: Weights;
  private adapter?: LoraAdapter;
  private readonly fed: ReadonlySet<string>;
  private readonly projection?: () => Projection;
  /** onnxruntime sessions made so far (loop graphs and per-token): a reused DecodeLoop makes one. */
  sessionsMade = 0;
  private readonly announced = new Set<string>();
  /** Set when the loop graph would not load on this provider: every later call takes the per-token path. */
  private loopUnavailable: string | null = null;
  /** The optimised-graph cache entry of the last session made (null: no cache). */
  optimizedCache: CachedSession | null = null;

  constructor(
    readonly config: ModelConfig,
    private baseWeights: Weights,
    readonly options: DecodeLoopOptions = {},
  ) {
    if (config.task !== 'causal-lm') throw new Error(`decode loop: needs a causal LM, got ${config.task}`);
    if (options.path !== undefined && options.path !== 'loop' && options.path !== 'per-token') throw new Error(`decode path must be "loop" or "per-token", got ${options.path}`);
    const dtype = options.dtype ?? 'float32';
    if (options.adapter) {
      const adapter = options.adapter;
      this.projection = () => loraProjection(config, adapter.config, { dtype, dropout: false }).projection;
    }
    this.adapter = options.adapter;
    this.weights = withAdapter(baseWeights, options.adapter);
    this.fed = new Set(options.liveWeights ?? []);
    for (const name of this.fed) if (!this.weights.has(name)) throw new Error(`decode loop: live weight ${name} is not among the weights`);
  }

  /**
   * New values of the live weights (same names and shapes; `adapter`: the same modules and rank). The loop
   * session is kept; a per-token session (it bakes them in) is dropped and made again on next use.
   */
  update(weights: Weights, adapter?: LoraAdapter): Promise<void> {
    return this.exclusive(async () => {
      if (this.fed.size === 0) throw new Error('decode loop: update needs liveWeights (the names fed at every run)');
      if (!!adapter !== !!this.adapter) throw new Error('decode loop: update must keep having (or not having) an adapter');
      const merged = withAdapter(weights, adapter);
      for (const [name, t] of this.weights) {
        const next = merged.get(name);
        if (!next) throw new Error(`decode loop: update lacks weight ${name}`);
        if (!this.fed.has(name) && next !== t) throw new Error(`decode loop: ${name} changed but is not a live weight (it is baked into the session)`);
        if (next.shape.join() !== t.shape.join()) throw new Error(`decode loop: ${name} is [${next.shape}], was [${t.shape}]`);
      }
      this.baseWeights = weights;
      this.adapter = adapter;
      this.weights = merged;
      if (this.live?.key === 'per-token') await this.releaseLive();
    });
  }

  /** A DecodeLoop (sessions are made on first use, or by load()); the one factory callers use. */
  static create(config: ModelConfig, weights: Weights, options: DecodeLoopOptions = {}): DecodeLoop {
    return new DecodeLoop(config, weights, options);
  }

  get dtype(): DecoderDType {
    return this.options.dtype ?? 'float32';
  }

  /** Which path a call with these options takes, and why when it is not the loop. */
  pathFor(options: Pick<GenerateOptions, 'returnLogits'>): { path: DecodePath; why: string } {
    if (this.options.path === 'per-token') return { path: 'per-token', why: 'requested' };
    if (options.returnLogits) return { path: 'per-token', why: 'returnLogits' };
    if (this.loopUnavailable) return { path: 'per-token', why: this.loopUnavailable };
    return { path: 'loop', why: '' };
  }

  /**
   * Generation on the default path (see pathFor). This is what generate.ts's `generate` runs for a
   * DecodeLoop; `generate` below is the loop alone (with the call's traffic).
   */
  async sequences(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GeneratedSequence[]> {
    if (this.pathFor(options).path === 'loop') {
      try {
        return (await this.generate(prompts, options)).sequences;
      } catch (error) {
        if (!(error instanceof LoopLoadError)) throw error;
        // A provider whose kernels cannot run the loop graph (control flow, ScatterND): the per-token
        // path still works there. On the CPU provider a load failure is a bug and is thrown above.
        this.loopUnavailable = loadFailure(error);
      }
    }
    return this.exclusive(async () => {
      const { why } = this.pathFor(options);
      const session = (await this.use('per-token', () => this.perTokenSession())) as DecoderSession;
      this.announce('per-token', `generation: per-token path (${why}), one onnxruntime run per token`);
      return generatePerToken(session, prompts, options);
    });
  }

  /**
   * Makes the session a call with these options would run (so a caller can time loading apart from
   * generating); a loop graph that does not load on a GPU provider switches to the per-token path here.
   */
  async load(options: Pick<GenerateOptions, 'sampling' | 'returnLogits'> = {}): Promise<void> {
    if (this.pathFor(options).path === 'loop') {
      try {
        await this.exclusive(() => this.use(loopKey(options.sampling), () => this.loopSession(graphKnobs(options.sampling))));
        return;
      } catch (error) {
        if (!(error instanceof LoopLoadError)) throw error;
        this.loopUnavailable = loadFailure(error);
      }
    }
    await this.exclusive(() => this.use('per-token', () => this.perTokenSession()));
  }

  /** Generation as one run of the loop graph; the result carries the call's traffic. */
  generate(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<DecodeLoopResult> {
    return this.exclusive(() => this.runLoop(prompts, options));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The live session for `key`, made by `make` after releasing any other (one copy of the weights). */
  private async use(key: string, make: () => Promise<ort.InferenceSession | DecoderSession>): Promise<ort.InferenceSession | DecoderSession> {
    if (this.live?.key !== key) {
      await this.releaseLive();
      const session = make();
      this.live = { key, session };
      session.catch(() => {
        if (this.live?.session === session) this.live = null;
      });
    }
    return this.live!.session;
  }

  private async releaseLive(): Promise<void> {
    const live = this.live;
    this.live = null;
    if (live) await (await live.session.catch(() => null))?.release();
  }

  private announce(path: DecodePath, line: string): void {
    if (this.announced.has(path)) return;
    this.announced.add(path);
    this.options.log?.(line);
  }

  private async perTokenSession(): Promise<DecoderSession> {
    const { dtype, provider, weightFiles, keepStoredDtype, optimizedCacheDir } = this.options;
    this.sessionsMade++;
    const session = await DecoderSession.create(this.config, this.baseWeights, {
      kvCache: true, lastPositionLogits: true, dtype, adapter: this.adapter, provider: provider ?? 'cpu', weightFiles, keepStoredDtype, optimizedCacheDir, traffic: this.traffic,
    });
    this.optimizedCache = session.optimizedCache;
    return session;
  }

  private async loopSession(sampling: GraphSampling | undefined): Promise<ort.InferenceSession> {
    const { optimizedCacheDir } = this.options;
    // Live weights are graph inputs: never initializers, never file references.
    const weightFiles = this.options.weightFiles && this.fed.size ? { dir: this.options.weightFiles.dir, tensors: new Map([...this.options.weightFiles.tensors].filter(([name]) => !this.fed.has(name))) } : this.options.weightFiles;
    this.sessionsMade++;
    const model = decodeLoopModel(this.config, this.weights, { dtype: this.dtype, projection: this.projection, sampling, weightFiles, inputs: this.fed });
    const encoded = encodeSessionModel(model, weightFiles);
    const { provider } = await chooseExecutionProvider(this.options.provider ?? 'cpu');
    // float64 graphs: onnxruntime's extended fusions have float32 kernels only (as decoder-session.ts).
    const graphOptimizationLevel = this.dtype === 'float64' ? 'basic' : 'all';
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel,
      executionProviders: [provider],
      ...weightSessionOptions(encoded, weightFiles, { keepStoredDtype: this.options.keepStoredDtype }),
    };
    const create = (source: Uint8Array | string, o: ort.InferenceSession.SessionOptions) => (typeof source === 'string' ? ort.InferenceSession.create(source, o) : ort.InferenceSession.create(source, o));
    try {
      if (optimizedCacheDir && weightFiles && encoded.externalData.length === 0) {
        const settings = { graphOptimizationLevel, provider, freeDimensionOverrides: null, extra: sessionOptions.extra ?? null };
        const key = optimizedCacheKey({ model: encoded.model, files: weightFiles, settings });
        const { session, cache } = await createWithOptimizedCache(optimizedCacheDir, key, encoded.model, sessionOptions, create);
        this.optimizedCache = cache;
        return session;
      }
      this.optimizedCache = null;
      return await create(encoded.model, sessionOptions);
    } catch (error) {
      if (provider === 'cpu') throw error;
      throw new LoopLoadError(provider, error);
    }
  }

  private async runLoop(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<DecodeLoopResult> {
    const config = this.config;
    validateGenerateOptions(config, prompts, options);
    if (options.returnLogits) throw new Error('decode loop: returnLogits needs the per-token path (generate.ts); the loop returns token ids only');
    const n = options.n ?? 1;
    const N = options.maxNewTokens;
    const stopIds = [...(options.stopTokenIds ?? config.eosTokenIds)];
    const padId = config.padTokenId ?? config.eosTokenIds[0] ?? 0;
    const rows = prompts.flatMap((p, prompt) => Array.from({ length: n }, (_, sample) => ({ prompt, sample, ids: p })));
    const batch = rows.length;
    const L = Math.max(...prompts.map((p) => p.length));
    const left = (options.padding ?? 'left') === 'left';

    const ids = new BigInt64Array(batch * L);
    const mask = new BigInt64Array(batch * L);
    const positions = new BigInt64Array(batch * L);
    rows.forEach((r, b) => {
      const offset = left ? L - r.ids.length : 0;
      for (let t = 0; t < L; t++) ids[b * L + t] = BigInt(padId);
      r.ids.forEach((id, t) => {
        ids[b * L + offset + t] = BigInt(id);
        mask[b * L + offset + t] = 1n;
        positions[b * L + offset + t] = BigInt(t);
      });
    });
    // One uniform per generated token per row, from the generator SamplingChooser would own (same seed rule).
    const uniforms = new Float64Array(batch * N);
    if (!isGreedy(options.sampling)) {
      rows.forEach((_, r) => {
        const seed = options.seeds?.[r] ?? (options.sampling!.seed ?? 0) + r;
        const rng = new SeededRandom(seed);
        for (let t = 0; t < N; t++) uniforms[r * N + t] = rng.uniform();
      });
    }
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, L]),
      attention_mask: new ort.Tensor('int64', mask, [batch, L]),
      position_ids: new ort.Tensor('int64', positions, [batch, L]),
      uniforms: new ort.Tensor('float64', uniforms, [batch, N]),
      stop_token_ids: new ort.Tensor('int64', BigInt64Array.from(stopIds.length ? stopIds : [-1], (v) => BigInt(v)), [Math.max(1, stopIds.length)]),
    };
    for (const name of this.fed) feeds[name] = new ort.Tensor(this.dtype, weightData(this.weights, name, this.dtype), this.weights.get(name)!.shape);
    const session = (await this.use(loopKey(options.sampling), () => this.loopSession(graphKnobs(options.sampling)))) as ort.InferenceSession;
    this.announce('loop', `generation: decode loop (prefill and every token in one onnxruntime run) on ${(await chooseExecutionProvider(this.options.provider ?? 'cpu')).provider}`);
    this.traffic.countInputs(feeds);
    const out = await session.run(feeds, [LOOP_TOKENS]);
    this.traffic.countOutputs(out);
    const traffic = this.traffic.endStep();
    const tokens = out[LOOP_TOKENS];
    const steps = tokens.dims[1] as number;
    const data = tokens.data as BigInt64Array;
    const sequences = rows.map((r, b) => finish(Array.from(data.subarray(b * steps, (b + 1) * steps), Number), r.prompt, r.sample, options, new Set(stopIds)));
    if (options.onToken) replayStream(sequences, options.onToken);
    return { sequences, traffic };
  }

  async release(): Promise<void> {
    await this.exclusive(() => this.releaseLive());
  }
}

/** The knobs a loop graph bakes in (undefined: greedy), and the live-session key of that graph. */
function graphKnobs(sampling: GenerateOptions['sampling']): GraphSampling | undefined {
  return isGreedy(sampling) ? undefined : { temperature: sampling!.temperature, topK: sampling!.topK, topP: sampling!.topP, minP: sampling!.minP };
}
function loopKey(sampling: GenerateOptions['sampling']): string {
  return `loop:${JSON.stringify(graphKnobs(sampling) ?? 'greedy')}`;
}

function loadFailure(error: LoopLoadError): string {
  return `the loop graph does not load on ${error.provider}: ${error.reason instanceof Error ? error.reason.message.split('\n')[0] : String(error.reason)}`;
}

/** The loop graph failed to load on a GPU provider (the caller falls back to the per-token path). */
class LoopLoadError extends Error {
  constructor(
    readonly provider: string,
    readonly reason: unknown,
  ) {
    super(`decode loop: the loop graph does not load on ${provider}`);
  }
}

/** The per-token loop's stopping rules applied to a row's tokens (stop token first, then stop strings, then length). */
function finish(all: number[], prompt: number, sample: number, options: GenerateOptions, stopIds: ReadonlySet<number>): GeneratedSequence {
  const tokens: number[] = [];
  let reason: FinishReason | null = null;
  let text: string | undefined;
  for (const token of all) {
    tokens.push(token);
    if (stopIds.has(token)) reason = 'stop_token';
    else if (options.stopStrings?.length) {
      const decoded = options.decode!(tokens);
      const hit = firstStop(decoded, options.stopStrings);
      if (hit !== null) {
        reason = 'stop_string';
        text = decoded.slice(0, hit);
      }
    }
    if (reason) break;
  }
  const result: GeneratedSequence = { prompt, sample, tokens, finishReason: reason ?? 'length' };
  if (options.decode) result.text = text ?? options.decode(tokens);
  return result;
}

/** onToken in the per-token loop's order: step by step, rows in order. */
function replayStream(sequences: GeneratedSequence[], onToken: NonNullable<GenerateOptions['onToken']>): void {
  const longest = Math.max(...sequences.map((s) => s.tokens.length));
  for (let step = 1; step <= longest; step++) {
    for (const s of sequences) if (s.tokens.length >= step) onToken({ prompt: s.prompt, sample: s.sample, token: s.tokens[step - 1], step });
  }
}

/** Base weights with an adapter's A/B (and its extra tensors) added, as the session's params see them. */
function withAdapter(base: Weights, adapter: LoraAdapter | undefined): Weights {
  if (!adapter) return base;
  const merged = new Map(base);
  for (const [name, t] of loraTensors(adapter.lora)) merged.set(name, t);
  for (const [name, t] of adapter.extra) merged.set(name, t);
  return merged;
}
