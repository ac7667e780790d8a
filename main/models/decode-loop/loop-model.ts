// The whole decode as one ONNX model: prefill over the padded prompts, then a `Loop` whose body is the
// decoder's one-token step. The KV cache is loop-carried, preallocated to the longest length (prompt
// length L + max_new_tokens − 1) and written in place by position with ScatterND; tokens are sampled in
// the graph (sampling-graph.ts) from uniforms the caller passes; the loop stops when every row has
// produced a stop token or the budget is spent. The host sends prompt ids, mask, positions, uniforms and
// stop ids, and gets back `tokens` int64 [batch, steps] — nothing per token crosses to the host.
//
// Both the prefill and the step are the ordinary decoder graph (decoder.ts) lowered twice: the step's
// weights are the main graph's initializers, read from the outer scope; every other name of the step is
// prefixed with `step/` so the two copies never collide. The step's attention reads the written slots of
// the preallocated cache (a Slice of the first L + i + 1), so it computes what the per-token path does.
//
// Interface:
//   input_ids, attention_mask, position_ids  int64 [batch_size, prompt_length]  (as a prefill run)
//   uniforms        float64 [batch_size, max_new_tokens]  (one draw per token per row; zeros for greedy)
//   stop_token_ids  int64 [num_stop]                       ([-1] for none)
//   → tokens        int64 [batch_size, steps], steps ≤ max_new_tokens (fewer when every row stopped)
import { lower, type OnnxModel, type TensorData } from '../../engine/index.ts';
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from '../../engine/onnx/model.ts';
import type { SafeTensor } from '../../engine/safetensors.ts';
import type { ModelConfig } from '../config.ts';
import { weightData } from '../decoder-session.ts';
import { buildDecoderGraph, cacheNames, type DecoderDType, type DecoderGraph, type Projection } from '../decoder.ts';
import { newKvName } from '../kv-cache.ts';
import { attachFileWeights } from '../session-weights.ts';
import type { WeightFiles } from '../weight-files.ts';
import { NodeBuilder, int, ints } from './onnx-nodes.ts';
import { sampleTokens, type GraphSampling } from './sampling-graph.ts';

export const LOOP_INPUTS = ['input_ids', 'attention_mask', 'position_ids', 'uniforms', 'stop_token_ids'] as const;
export const LOOP_TOKENS = 'tokens';

export interface DecodeLoopModelOptions {
  dtype: DecoderDType;
  /** A fresh projection per graph built (LoRA's creates its params on the graph it first sees). */
  projection?: () => Projection;
  sampling?: GraphSampling;
  weightFiles?: WeightFiles;
  /** Weights left as graph inputs, fed at every run (DecodeLoopOptions.liveWeights). */
  inputs?: ReadonlySet<string>;
}

type Weights = ReadonlyMap<string, SafeTensor>;

const STEP = 'step';
const B = 'batch_size';

export function decodeLoopModel(config: ModelConfig, weights: Weights, options: DecodeLoopModelOptions): OnnxModel {
  const { dtype, projection, weightFiles } = options;
  const prefill = buildDecoderGraph(config, { dtype, kvCache: true, projection: projection?.(), lastPositionLogits: true });
  const step = buildDecoderGraph(config, { dtype, kvCache: true, projection: projection?.(), lastPositionLogits: true });
  const { numLayers, numKvHeads } = config;

  // ── Prefill (main graph): the decoder over the prompts with an empty past, so present = the new K/V.
  const initializers: Record<string, TensorData> = {};
  for (const p of prefill.graph.params) {
    if (options.inputs?.has(p.name)) continue;
    if (!weightFiles?.tensors.has(p.name) || weights.has(p.name)) initializers[p.name] = weightData(weights, p.name, dtype);
  }
  const prefillModel = lower(prefill.graph, { outputs: kvOutputs(prefill), initializers, metadata: { architecture: config.architecture } });
  const main = new NodeBuilder('loop');
  const ids = 'input_ids';
  const mask = 'attention_mask';
  const uniforms = 'uniforms';
  const stopIds = 'stop_token_ids';
  const promptLength = main.dim(ids, 1); // [1]
  const budget = main.dim(uniforms, 1); // [1] max_new_tokens
  const extra = main.op('Sub', [budget, main.i64([1])]); // [1] cache slots after the prompt
  const pads = main.op('Concat', [main.i64([0, 0, 0, 0, 0, 0]), extra, main.i64([0])], { axis: int(0) });
  // With an empty past, present (what the prefill's attention reads) is the new K/V itself; padded to
  // the longest length, it is the loop's initial cache.
  const prefillNodes = [...prefillModel.graph.nodes];
  const caches: string[] = [];
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ['key', 'value'] as const) {
      const present = kind === 'key' ? cacheNames(i).presentKey : cacheNames(i).presentValue;
      const fresh = newKvName(i, kind);
      const at = prefillNodes.findIndex((n) => n.outputs.includes(fresh));
      if (at < 0) throw new Error(`decode loop: no node produces ${fresh}`);
      prefillNodes.splice(at + 1, 0, { opType: 'Identity', name: `${present}/prefill`, inputs: [fresh], outputs: [present] });
      caches.push(main.op('Pad', [present, pads]));
    }
  }
  const firstLogits = main.squeeze('logits', [1]);
  const firstUniform = main.op('Gather', [uniforms, main.i64(0)], { axis: int(1) });
  const first = sampleTokens(main, firstLogits, options.sampling, firstUniform);
  const firstDone = isStop(main, first, stopIds);
  const firstGo = notAll(main, firstDone);
  const promptLengths = main.op('ReduceSum', [mask, main.i64([1])], { keepdims: int(0) }); // [B] real tokens per row
  const baseIndex = cacheBaseIndex(main, ids, numKvHeads);
  const tripCount = main.squeeze(extra, [0]);

  // ── The step (Loop body).
  const body = stepBody(step, { sampling: options.sampling, promptMask: mask, promptLength, promptLengths, extra, baseIndex, uniforms, stopIds });
  const loopOutputs = main.multi('Loop', [tripCount, firstGo, first, firstDone, ...caches], 2 + caches.length + 1, { body: { kind: 'graph', value: { ...body, initializers: [] } } });
  const scanned = loopOutputs[loopOutputs.length - 1]; // [steps − 1, B]
  main.named('Concat', [main.unsqueeze(first, [1]), main.op('Transpose', [scanned], { perm: ints([1, 0]) })], LOOP_TOKENS, { axis: int(1) });

  const g = prefillModel.graph;
  const standIns = new Set(Array.from({ length: numLayers }, (_, i) => [cacheNames(i).presentKey, cacheNames(i).presentValue]).flat());
  const pasts = new Set(Array.from({ length: numLayers }, (_, i) => [cacheNames(i).pastKey, cacheNames(i).pastValue]).flat());
  const model: OnnxModel = {
    ...prefillModel,
    graph: {
      ...g,
      name: `${g.name}_decode_loop`,
      nodes: [...prefillNodes, ...main.nodes],
      inputs: [
        ...g.inputs.filter((v) => !standIns.has(v.name) && !pasts.has(v.name)),
        { name: uniforms, dtype: 'float64', shape: [B, 'max_new_tokens'] },
        { name: stopIds, dtype: 'int64', shape: ['num_stop'] },
      ],
      outputs: [{ name: LOOP_TOKENS, dtype: 'int64', shape: [B, 'steps'] }],
      // The step's constants live here too, read from the outer scope: onnxruntime resolves in-memory
      // external data only for main-graph initializers, and a large one would be moved out.
      initializers: [...g.initializers, ...main.initializers, ...body.initializers],
    },
  };
  return weightFiles ? attachFileWeights(model, weightFiles, dtype) : model;
}

function kvOutputs(decoder: DecoderGraph) {
  const outputs: Record<string, DecoderGraph['logits']> = { logits: decoder.logits };
  decoder.cache!.forEach((layer, i) => {
    outputs[newKvName(i, 'key')] = layer.newKey;
    outputs[newKvName(i, 'value')] = layer.newValue;
  });
  return outputs;
}

/** bool [B]: the token is one of the stop ids. */
function isStop(b: NodeBuilder, token: string, stopIds: string): string {
  const hits = b.op('Equal', [b.unsqueeze(token, [1]), b.unsqueeze(stopIds, [0])]); // [B, K]
  return b.cast(b.op('ReduceMax', [b.cast(hits, 'int64'), b.i64([1])], { keepdims: int(0) }), 'bool');
}

/** bool []: some row is not done. */
function notAll(b: NodeBuilder, done: string): string {
  return b.op('Equal', [b.op('ReduceMin', [b.cast(done, 'int64')], { keepdims: int(0) }), b.i64(0)]);
}

/** int64 [B, kvHeads, 1, 3] of (row, head, 0): ScatterND indices of one cache slot, shifted by the slot. */
function cacheBaseIndex(b: NodeBuilder, ids: string, kvHeads: number): string {
  const batch = b.dim(ids, 0);
  const shape = b.op('Concat', [batch, b.i64([kvHeads, 1, 1])], { axis: int(0) });
  const rows = b.op('Expand', [b.op('Reshape', [b.op('Range', [b.i64(0), b.squeeze(batch, [0]), b.i64(1)]), b.i64([-1, 1, 1, 1])]), shape]);
  const heads = b.op('Expand', [b.op('Reshape', [b.op('Range', [b.i64(0), b.i64(kvHeads), b.i64(1)]), b.i64([1, -1, 1, 1])]), shape]);
  const zeros = b.op('Expand', [b.i64(0), shape]);
  return b.op('Concat', [rows, heads, zeros], { axis: int(3) });
}

interface Outer {
  sampling?: GraphSampling;
  promptMask: string;
  promptLength: string;
  promptLengths: string;
  extra: string;
  baseIndex: string;
  uniforms: string;
  stopIds: string;
}

/**
 * Loop body: (iteration i, cond, token, done, caches…) → (cond, token', done', caches'…, token').
 * Iteration i feeds generated token i at cache slot L + i and position promptLength + i, and samples
 * token i + 1 with uniforms[:, i + 1].
 */
function stepBody(step: DecoderGraph, outer: Outer): OnnxGraph {
  const { config, dtype } = step;
  const lowered = lower(step.graph, { outputs: kvOutputs(step) }).graph;
  const params = new Set(step.graph.params.map((p) => p.name));
  const rename = (name: string) => (name === '' || params.has(name) ? name : `${STEP}/${name}`);
  const b = new NodeBuilder(`${STEP}/in`); // before the decoder
  const a = new NodeBuilder(`${STEP}/out`); // after it
  const iter = `${STEP}/iter`;
  const condIn = `${STEP}/cond_in`;
  const tokenIn = `${STEP}/token_in`;
  const doneIn = `${STEP}/done_in`;
  const cacheIn = (i: number, kind: string) => `${STEP}/cache_in.${i}.${kind}`;

  // The decoder's inputs, made from the carried values.
  b.named('Unsqueeze', [tokenIn, b.i64([1])], rename('input_ids'));
  b.named('Unsqueeze', [b.op('Add', [outer.promptLengths, iter]), b.i64([1])], rename('position_ids'));
  // Attention sees the written slots only (L + i + 1 of them, as the per-token path's concatenated
  // cache): the mask is the prompt mask plus i + 1 ones, so the step's head is the lastPositionLogits one
  // (Gemm on the [vocab, hidden] weight as it is — a MatMul with Transpose(W) would transpose the tied
  // embedding every token, since weights read from an outer scope are not folded inside a Loop body).
  const seen = b.op('Add', [iter, b.i64(1)]); // []
  const batch = b.dim(tokenIn, 0);
  const ones = b.op('Expand', [b.i64(1), b.op('Concat', [batch, b.unsqueeze(seen, [0])], { axis: int(0) })]);
  b.named('Concat', [outer.promptMask, ones], rename('attention_mask'), { axis: int(1) });
  const slot = b.op('Add', [outer.promptLength, iter]); // [1]
  const length = b.op('Add', [slot, b.i64([1])]); // [1]
  const index = b.op('Add', [outer.baseIndex, b.op('Concat', [b.i64([0, 0]), slot], { axis: int(0) })]);
  // The step's new K/V is written into the carried cache at the slot, right after the node that computes
  // it (as kv-cache.ts splices its Concat); the decoder's stand-in `present` (what attention reads) is
  // that cache's first L + i + 1 slots.
  const nodes: OnnxNode[] = lowered.nodes.map((n) => ({ ...n, name: n.name ? `${STEP}/${n.name}` : n.name, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }));
  const cacheOut: string[] = [];
  const zero = b.i64([0]);
  const axis2 = b.i64([2]);
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ['key', 'value'] as const) {
      const present = rename(kind === 'key' ? cacheNames(i).presentKey : cacheNames(i).presentValue);
      const fresh = rename(newKvName(i, kind));
      const full = `${STEP}/cache_out.${i}.${kind}`;
      const at = nodes.findIndex((n) => n.outputs.includes(fresh));
      if (at < 0) throw new Error(`decode loop: no node produces ${fresh}`);
      nodes.splice(
        at + 1,
        0,
        { opType: 'ScatterND', name: `${full}/write`, inputs: [cacheIn(i, kind), index, fresh], outputs: [full] },
        { opType: 'Slice', name: `${present}/written`, inputs: [full, zero, length, axis2], outputs: [present] },
      );
      cacheOut.push(full);
    }
  }
  const logits = a.squeeze(rename('logits'), [1]);
  const uniform = a.op('Gather', [outer.uniforms, a.op('Add', [iter, a.i64(1)])], { axis: int(1) });
  const token = sampleTokens(a, logits, outer.sampling, uniform);
  const done = a.op('Or', [doneIn, isStop(a, token, outer.stopIds)]);
  const go = notAll(a, done);
  const tokenOut = a.named('Identity', [token], `${STEP}/token_out`);
  const doneOut = a.named('Identity', [done], `${STEP}/done_out`);
  const goOut = a.named('Identity', [go], `${STEP}/cond_out`);
  const scanOut = a.named('Identity', [token], `${STEP}/token_scan`);

  const cacheInfo = (name: string): OnnxValueInfo => ({ name, dtype, shape: [B, config.numKvHeads, 'cache_length', config.headDim] });
  const kinds = ['key', 'value'];
  return {
    name: `${STEP}_body`,
    // Topological order: plumbing in, the decoder, cache writes and sampling.
    nodes: [...b.nodes, ...nodes, ...a.nodes],
    inputs: [
      { name: iter, dtype: 'int64', shape: [] },
      { name: condIn, dtype: 'bool', shape: [] },
      { name: tokenIn, dtype: 'int64', shape: [B] },
      { name: doneIn, dtype: 'bool', shape: [B] },
      ...Array.from({ length: config.numLayers }, (_, i) => kinds.map((k) => cacheInfo(cacheIn(i, k)))).flat(),
    ],
    outputs: [
      { name: goOut, dtype: 'bool', shape: [] },
      { name: tokenOut, dtype: 'int64', shape: [B] },
      { name: doneOut, dtype: 'bool', shape: [B] },
      ...cacheOut.map(cacheInfo),
      { name: scanOut, dtype: 'int64', shape: [B] },
    ],
    initializers: [...lowered.initializers.map((t) => ({ ...t, name: rename(t.name) })), ...b.initializers, ...a.initializers],
  };
}
