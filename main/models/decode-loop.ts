// Generation as one session.run: the decode-loop model (decode-loop/loop-model.ts) with the same
// interface and results as generate.ts's per-token path. The host sends the padded prompts, one
// uniform per token per row (drawn from the same seeded generators the JS sampler uses, so a seed gives
// the same tokens) and the stop ids; it gets the token ids back. Stop strings, streaming callbacks and
// finish reasons are worked out afterwards from the tokens, exactly as the per-token loop decides them
// (the loop keeps generating past a stop string; those tokens are dropped).
// Knobs are baked into a graph, so one onnxruntime session per sampling setting is created and cached.
import * as ort from 'onnxruntime-node';
import { chooseExecutionProvider, type ProviderRequest, type Traffic } from '../engine/index.ts';
import { TrafficCounter } from '../engine/runtime/traffic.ts';
import type { SafeTensor } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import type { DecoderDType, Projection } from './decoder.ts';
import { LOOP_TOKENS, decodeLoopModel } from './decode-loop/loop-model.ts';
import { isGreedy, type GraphSampling } from './decode-loop/sampling-graph.ts';
import { validateGenerateOptions, type FinishReason, type GenerateOptions, type GeneratedSequence } from './generate.ts';
import { SeededRandom } from './init.ts';
import { loraProjection, loraTensors } from './lora.ts';
import type { LoraAdapter } from './peft.ts';
import { encodeSessionModel, weightSessionOptions } from './session-weights.ts';
import type { WeightFiles } from './weight-files.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

export interface DecodeLoopOptions {
  dtype?: DecoderDType;
  adapter?: LoraAdapter;
  provider?: ProviderRequest;
  weightFiles?: WeightFiles;
  keepStoredDtype?: boolean;
}

export interface DecodeLoopResult {
  sequences: GeneratedSequence[];
  /** Bytes fed to and fetched from the session for this call (the engine's counter). */
  traffic: Traffic;
}

export class DecodeLoop {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** Every run's traffic, summed. */
  readonly traffic = new TrafficCounter();
  private readonly weights: Weights;
  private readonly projection?: () => Projection;

  constructor(
    readonly config: ModelConfig,
    weights: Weights,
    readonly options: DecodeLoopOptions = {},
  ) {
    if (config.task !== 'causal-lm') throw new Error(`decode loop: needs a causal LM, got ${config.task}`);
    const dtype = options.dtype ?? 'float32';
    if (options.adapter) {
      const adapter = options.adapter;
      this.projection = () => loraProjection(config, adapter.config, { dtype, dropout: false }).projection;
      const merged = new Map(weights);
      for (const [name, t] of loraTensors(adapter.lora)) merged.set(name, t);
      for (const [name, t] of adapter.extra) merged.set(name, t);
      this.weights = merged;
    } else this.weights = weights;
  }

  get dtype(): DecoderDType {
    return this.options.dtype ?? 'float32';
  }

  /** The session for one sampling setting (created on first use). */
  private session(sampling: GraphSampling | undefined): Promise<ort.InferenceSession> {
    const knobs: GraphSampling | undefined = isGreedy(sampling) ? undefined : { temperature: sampling!.temperature, topK: sampling!.topK, topP: sampling!.topP, minP: sampling!.minP };
    const key = JSON.stringify(knobs ?? 'greedy');
    let session = this.sessions.get(key);
    if (!session) {
      session = this.create(knobs);
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  private async create(sampling: GraphSampling | undefined): Promise<ort.InferenceSession> {
    const { weightFiles } = this.options;
    const model = decodeLoopModel(this.config, this.weights, { dtype: this.dtype, projection: this.projection, sampling, weightFiles });
    const encoded = encodeSessionModel(model, weightFiles);
    const { provider } = await chooseExecutionProvider(this.options.provider ?? 'cpu');
    // float64 graphs: onnxruntime's extended fusions have float32 kernels only (as decoder-session.ts).
    const graphOptimizationLevel = this.dtype === 'float64' ? 'basic' : 'all';
    return ort.InferenceSession.create(encoded.model, {
      graphOptimizationLevel,
      executionProviders: [provider],
      ...weightSessionOptions(encoded, weightFiles, { keepStoredDtype: this.options.keepStoredDtype }),
    });
  }

  async generate(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<DecodeLoopResult> {
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
    const session = await this.session(options.sampling);
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
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
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

function firstStop(text: string, stops: readonly string[]): number | null {
  let best: number | null = null;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (best === null || i < best)) best = i;
  }
  return best;
}
