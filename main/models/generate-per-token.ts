// The per-token decode path: batched generation with a KV cache on the compiled decoder
// (decoder-session.ts), one run per token. The reference for the decode loop (decode-loop.ts), which is
// the default; kept for tests, returnLogits and as an explicit fallback.
//
// Prompts of different lengths share one batch: each is repeated `n` times (GRPO groups), padded on
// the left (default) or right, and run once over the whole prompt (prefill, empty cache); then one
// token per step, feeding only the new tokens and the cache. Padding is described by attention_mask
// alone and positions are cumsum(mask) − 1, so the padding side does not change the results; with
// right padding the new tokens of a short row follow its padding slots, which stay masked.
// A finished row leaves the batch: its cache rows are dropped and the rest continue.
import * as ort from 'onnxruntime-node';
import type { DecoderSession, ForwardInput, KvCache } from './decoder-session.ts';
import { firstStop, validateGenerateOptions, type FinishReason, type GenerateOptions, type GeneratedSequence } from './generate-options.ts';
import { tokenChooser, type TokenChooser } from './sampling/sampler.ts';

interface Row {
  prompt: number;
  sample: number;
  ids: number[];
  promptLength: number;
  generated: number[];
  logits: Float32Array[];
  chooser: TokenChooser;
  finish: FinishReason | null;
  text?: string;
}

/**
 * Generates from a KV-cache decoder session (DecoderSession.create(config, weights, { kvCache: true })),
 * one session.run per token. generate.ts's `generate` runs this for a DecoderSession, and a DecodeLoop
 * runs it when asked for the per-token path (or for returnLogits).
 */
export async function generatePerToken(session: DecoderSession, prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GeneratedSequence[]> {
  if (!session.kvCache) throw new Error('generate: the decoder session must be compiled with kvCache: true');
  const config = session.config;
  validateGenerateOptions(config, prompts, options);
  const n = options.n ?? 1;
  const stopIds = new Set(options.stopTokenIds ?? config.eosTokenIds);
  const padId = config.padTokenId ?? config.eosTokenIds[0] ?? 0;
  const rows: Row[] = prompts.flatMap((p, prompt) =>
    Array.from({ length: n }, (_, sample) => ({
      prompt, sample, ids: [...p], promptLength: p.length, generated: [], logits: [],
      chooser: tokenChooser(options.sampling, prompt * n + sample, options.seeds?.[prompt * n + sample]), finish: null,
    })),
  );
  const B = rows.length;
  const L = Math.max(...prompts.map((p) => p.length));
  const left = (options.padding ?? 'left') === 'left';

  // Prefill over the padded prompts.
  const mask: number[][] = rows.map((r) => {
    const pad = new Array(L - r.promptLength).fill(0);
    const real = new Array(r.promptLength).fill(1);
    return left ? [...pad, ...real] : [...real, ...pad];
  });
  const inputIds = rows.flatMap((r) => {
    const pad = new Array(L - r.promptLength).fill(padId);
    return left ? [...pad, ...r.ids] : [...r.ids, ...pad];
  });
  const positions = rows.flatMap((r) => {
    const pad = new Array(L - r.promptLength).fill(0);
    const real = Array.from({ length: r.promptLength }, (_, t) => t);
    return left ? [...pad, ...real] : [...real, ...pad];
  });
  // Greedy decoding without returnLogits needs only the argmax: a lastPositionLogits session computes it
  // in the graph, so the logits never reach JS.
  const greedyInGraph = session.lastPositionLogits && (!options.sampling || options.sampling.temperature === 0) && !options.returnLogits;
  const runStep = async (input: ForwardInput): Promise<{ logits: Float32Array | Float64Array | null; nextToken: BigInt64Array | null; vocab: number; logitsLength: number; present: KvCache }> => {
    if (greedyInGraph) {
      const g = await session.forwardGreedy(input);
      return { logits: null, nextToken: g.nextToken, vocab: config.vocabSize, logitsLength: 1, present: g.present };
    }
    const f = await session.forward(input);
    return { logits: f.logits, nextToken: null, vocab: f.vocab, logitsLength: f.logitsLength, present: f.present! };
  };
  let out = await runStep({ inputIds, attentionMask: mask.flat(), positionIds: positions, batch: B, seq: L });
  let past: KvCache = out.present;
  // Batch slot → row. Finished rows leave the batch (their cache rows are dropped), so long
  // stragglers of a GRPO group do not keep paying for the rows that stopped early.
  let active = rows.map((_, i) => i);
  let lastIndex = rows.map((r) => (left ? L - 1 : r.promptLength - 1));

  for (let step = 1; step <= options.maxNewTokens; step++) {
    active.forEach((rowIndex, slot) => {
      const row = rows[rowIndex];
      let token: number;
      if (out.nextToken) token = Number(out.nextToken[slot]);
      else {
        // A lastPositionLogits session already picked each row's last real position.
        const at = (slot * out.logitsLength + (out.logitsLength === 1 ? 0 : lastIndex[slot])) * out.vocab;
        const logits = out.logits!.subarray(at, at + out.vocab);
        if (options.returnLogits) row.logits.push(Float32Array.from(logits));
        token = row.chooser.next(row.ids, logits);
      }
      row.ids.push(token);
      row.generated.push(token);
      options.onToken?.({ prompt: row.prompt, sample: row.sample, token, step });
      if (stopIds.has(token)) row.finish = 'stop_token';
      else if (options.stopStrings?.length) {
        const text = options.decode!(row.generated);
        const hit = firstStop(text, options.stopStrings);
        if (hit !== null) {
          row.finish = 'stop_string';
          row.text = text.slice(0, hit);
        }
      }
      if (!row.finish && step === options.maxNewTokens) row.finish = 'length';
    });
    const keep = active.flatMap((rowIndex, slot) => (rows[rowIndex].finish ? [] : [slot]));
    if (keep.length === 0) break;
    if (keep.length < active.length) {
      past = selectCacheRows(past, keep);
      active = keep.map((slot) => active[slot]);
    }
    // One decode step over the active rows' new tokens.
    for (const r of active) mask[r].push(1);
    out = await runStep({
      inputIds: active.map((r) => rows[r].generated[rows[r].generated.length - 1]),
      attentionMask: active.flatMap((r) => mask[r]),
      positionIds: active.map((r) => rows[r].promptLength + rows[r].generated.length - 1),
      batch: active.length,
      seq: 1,
      past,
    });
    past = out.present;
    lastIndex = active.map(() => 0);
  }

  return rows.map((r) => {
    const result: GeneratedSequence = { prompt: r.prompt, sample: r.sample, tokens: r.generated, finishReason: r.finish ?? 'length' };
    if (options.decode) result.text = r.text ?? options.decode(r.generated);
    if (options.returnLogits) result.logits = r.logits;
    return result;
  });
}

/** The cache restricted to batch rows `slots` (host copies; tensors are [batch, heads, length, dim]). */
function selectCacheRows(cache: KvCache, slots: readonly number[]): KvCache {
  const pick = (t: ort.Tensor) => {
    const [, heads, length, dim] = t.dims as number[];
    const rowSize = heads * length * dim;
    const data = t.data as Float32Array | Float64Array;
    const out = new (data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(slots.length * rowSize);
    slots.forEach((slot, i) => out.set(data.subarray(slot * rowSize, (slot + 1) * rowSize), i * rowSize));
    return new ort.Tensor(t.type as 'float32', out, [slots.length, heads, length, dim]);
  };
  return cache.map(({ key, value }) => ({ key: pick(key), value: pick(value) }));
}
