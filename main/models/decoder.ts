// The Qwen2 / Qwen3 / Llama decoder as an engine graph, from a ModelConfig. One builder serves every
// use: full-sequence logits (and a loss, for training graphs) and the KV-cache step graph used by
// generation and the transformers.js export. The families differ only in config flags (q/k/v bias,
// Qwen3's per-head q/k RMSNorm, MLP bias, tied embeddings, rope scaling), so there is no per-family code.
//
// Interface (transformers.js / Optimum naming):
//   input_ids       int64 [batch_size, sequence_length]
//   attention_mask  int64 [batch_size, total_sequence_length]   (1 = token, 0 = padding; past + new)
//   position_ids    int64 [batch_size, sequence_length]          (cumsum(mask) − 1, computed by the caller)
//   past_key_values.{i}.key|value  [batch_size, kv_heads, past_sequence_length, head_dim]   (kvCache only)
//   → logits [batch_size, sequence_length, vocab]; present.{i}.key|value [batch_size, kv_heads, total_sequence_length, head_dim]
// Parameters carry their Hugging Face names (`model.layers.0.self_attn.q_proj.weight`), so a weight map
// from weights.ts feeds them directly and train steps report gradients under the same names.
import { chainSegments, Graph, nn, op, type DType, type RecomputeSegment, type Tensor } from '../engine/index.ts';
import { maskingValue } from '../engine/ir/dtype.ts';
import type { ModelConfig } from './config.ts';
import { expectedWeightShapes } from './weights.ts';
import { rotaryFromPositions } from './rotary.ts';

export type DecoderDType = 'float32' | 'float64';

/** Symbolic dimension names, as transformers.js expects them. */
export const DIMS = {
  batch: 'batch_size',
  seq: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

/** Names of the cache values of layer `i`. */
export const cacheNames = (i: number) => ({
  pastKey: `past_key_values.${i}.key`,
  pastValue: `past_key_values.${i}.value`,
  presentKey: `present.${i}.key`,
  presentValue: `present.${i}.value`,
});

/**
 * A projection: y = x·Wᵀ (+ b). `module` is the weight's module path ('model.layers.3.mlp.up_proj'),
 * so an adapter (LoRA) can decide per module whether to add its low-rank path.
 */
export type Projection = (module: string, x: Tensor, weight: Tensor, bias: Tensor | undefined) => Tensor;

export interface DecoderGraphOptions {
  dtype?: DecoderDType;
  /** Build the KV-cache step graph (past_key_values in, present out). */
  kvCache?: boolean;
  /** Add an int64 `labels` [batch_size, sequence_length] input (already shifted: labels[t] is the token after t; −100 ignored) and a mean cross-entropy `loss`. */
  labels?: boolean;
  /** Replaces every linear projection (LoRA hooks in here). Default: the engine's nn.linear. */
  projection?: Projection;
  /**
   * Generation head: logits only at each row's last real new position (the last 1 of attention_mask),
   * shape [batch, 1, vocab]. Prefill then runs the LM head on one row per sequence instead of all S,
   * and the head is a MatMul straight into [batch, 1, vocab] (no copying Reshape of the logits).
   * Causal LMs only; the transformers.js export keeps the full [batch, seq, vocab] logits.
   */
  lastPositionLogits?: boolean;
  /**
   * Sequence classifiers (reward models): the score only at each row's last real position (the last 1
   * of attention_mask), logits [batch, 1, numLabels]. Nothing after the last layer's keys and values
   * reads other positions, so that layer computes its queries, attention output and MLP for that one
   * position (its keys and values still cover every position) — the same numbers as scoring all
   * positions and picking one, without the last layer's per-position work. Full-sequence graphs only.
   */
  lastPositionScores?: boolean;
  /**
   * Packed training rows (several examples per row): attention_mask holds a segment id per token
   * (1, 2, 3, … for the examples of a row; 0 = padding) instead of 1/0, and a query attends only keys
   * of its own segment (block-diagonal causal attention). position_ids must restart at 0 per segment.
   * Full-sequence graphs only (no kvCache, no lastPositionLogits); generation graphs are unchanged.
   */
  packedSegments?: boolean;
  /**
   * Activation checkpointing per decoder layer (training graphs): the graph gets a CheckpointChain
   * (`checkpoints`) whose layers a train step recomputes in its backward pass, so only each layer's
   * input lives through the step. The forward computes the same numbers either way.
   */
  gradientCheckpointing?: boolean;
  /**
   * Training graphs of causal LMs: the loss as chunked cross-entropy over this many vocabulary blocks
   * (engine nn.chunkedLinearCrossEntropy), so the [batch·seq, vocab] logits never exist whole in the
   * forward or the backward. The loss is the same; `checkpoints` then holds its recompute segments.
   * The head is the plain weight: a projection hook is not applied to lm_head (callers refuse LoRA on it).
   */
  lossChunks?: number;
  /**
   * With gradientCheckpointing: attention in this many groups of query heads, computed in turn in the
   * forward and each rebuilt on its own in the backward pass (engine nn.attention headChunks), so one
   * group's [B, H/k, S, S] probabilities exist at a time instead of all heads'. Same values. Ignored
   * without checkpointing.
   */
  attentionHeadChunks?: number;
  /**
   * Mixed precision (training graphs): parameters stay `dtype` (the float32 master weights, so their
   * gradients and AdamW run in float32) and are cast to this dtype where they are used; activations are
   * this dtype. RMSNorm statistics, the attention softmax and the loss run in float32 (as PyTorch autocast
   * does). Default: `dtype` (no casts).
   */
  computeDtype?: 'float16' | 'bfloat16';
  /** Fixed batch / sequence sizes instead of symbolic ones (train-step shape buckets). */
  batchSize?: number;
  sequenceLength?: number;
}

/** One layer's cache plumbing: the new K/V computed this step, and the full K/V attention reads. */
export interface LayerCache {
  pastKey: Tensor;
  pastValue: Tensor;
  /** Stand-ins for concat(past, new) along the sequence axis; see kv-cache.ts for why. */
  presentKey: Tensor;
  presentValue: Tensor;
  newKey: Tensor;
  newValue: Tensor;
}

export interface DecoderGraph {
  config: ModelConfig;
  graph: Graph;
  dtype: DecoderDType;
  inputIds: Tensor;
  attentionMask: Tensor;
  positionIds: Tensor;
  labels: Tensor | null;
  /** [batch, seq, vocab] for causal LMs; [batch, seq, numLabels] (score at every position) for sequence classifiers. */
  logits: Tensor;
  loss: Tensor | null;
  /** The model's weights as graph params, by Hugging Face name. */
  weights: Map<string, Tensor>;
  /** Per layer, when built with kvCache. */
  cache: LayerCache[] | null;
  /** What a train step recomputes in its backward pass (gradientCheckpointing layers, lossChunks blocks), in forward order. */
  checkpoints: RecomputeSegment[] | null;
}

export function checkDecoderSupported(config: ModelConfig): void {
  if (config.slidingWindow !== null) throw new Error(`decoder: sliding-window attention (sliding_window=${config.slidingWindow}) is not supported`);
  if (config.headDim % 2 !== 0) throw new Error(`decoder: head_dim must be even for rotary embeddings, got ${config.headDim}`);
  if (config.numHeads % config.numKvHeads !== 0) throw new Error(`decoder: num_attention_heads ${config.numHeads} is not a multiple of num_key_value_heads ${config.numKvHeads}`);
}

export function buildDecoderGraph(config: ModelConfig, options: DecoderGraphOptions = {}): DecoderGraph {
  checkDecoderSupported(config);
  if (options.packedSegments && (options.kvCache || options.lastPositionLogits)) throw new Error('decoder: packedSegments is for full-sequence training graphs (no kvCache, no lastPositionLogits)');
  if (options.lastPositionScores && config.task !== 'sequence-classification') throw new Error(`decoder: lastPositionScores needs a sequence classifier, got ${config.task}`);
  if (options.lastPositionScores && (options.kvCache || options.packedSegments || options.lastPositionLogits)) throw new Error('decoder: lastPositionScores is for full-sequence graphs (no kvCache, packedSegments or lastPositionLogits)');
  if (options.gradientCheckpointing && options.kvCache) throw new Error('decoder: gradientCheckpointing is for training graphs (no kvCache)');
  const checkpointing = options.gradientCheckpointing ?? false;
  const dtype = options.dtype ?? 'float32';
  if (options.computeDtype && (options.kvCache || dtype !== 'float32')) throw new Error('decoder: computeDtype is for training graphs with float32 master weights (no kvCache)');
  const compute: DType = options.computeDtype ?? dtype;
  const project: Projection = options.projection ?? ((_module, x, w, b) => nn.linear(x, w, b));
  const g = new Graph(`${config.family}_decoder${options.kvCache ? '_with_past' : ''}`);
  const B = options.batchSize ?? DIMS.batch;
  const S = options.sequenceLength ?? DIMS.seq;
  const T = options.kvCache ? DIMS.total : S;
  const { numHeads: H, numKvHeads: Hkv, headDim: D } = config;

  // Input order matters: symbolic sizes are read at run time off the first input that has them
  // (total_sequence_length off attention_mask, before the cache stand-ins that are removed later).
  const inputIds = g.input('input_ids', 'int64', [B, S]);
  const attentionMask = g.input('attention_mask', 'int64', [B, T]);
  const positionIds = g.input('position_ids', 'int64', [B, S]);
  const labels = options.labels ? g.input('labels', 'int64', [B, S]) : null;

  const weights = new Map<string, Tensor>();
  for (const [name, shape] of expectedWeightShapes(config)) weights.set(name, g.param(name, dtype, shape));
  // Each weight cast to the compute dtype once, where it is first used (mixed precision); else the param itself.
  const casts = new Map<string, Tensor>();
  const atCompute = (name: string, t: Tensor): Tensor => {
    if (t.dtype === compute) return t;
    if (!casts.has(name)) casts.set(name, g.scope(`${name}/to_${compute}`, () => op.cast(t, compute)));
    return casts.get(name)!;
  };
  const w = (name: string) => atCompute(name, weights.get(name)!);
  const wOpt = (name: string) => (weights.has(name) ? w(name) : undefined);
  // RMSNorm statistics in float32 under mixed precision (fp16's range is too small for mean(x²)).
  const norm = (x: Tensor, name: string): Tensor =>
    x.dtype === dtype ? nn.rmsNorm(x, weights.get(name)!, config.rmsNormEps) : op.cast(nn.rmsNorm(op.cast(x, dtype), weights.get(name)!, config.rmsNormEps), x.dtype);

  const cache: LayerCache[] | null = options.kvCache ? [] : null;
  if (cache) {
    for (let i = 0; i < config.numLayers; i++) {
      const n = cacheNames(i);
      cache.push({
        pastKey: g.input(n.pastKey, dtype, [B, Hkv, DIMS.past, D]),
        pastValue: g.input(n.pastValue, dtype, [B, Hkv, DIMS.past, D]),
        presentKey: g.input(n.presentKey, dtype, [B, Hkv, T, D]),
        presentValue: g.input(n.presentValue, dtype, [B, Hkv, T, D]),
      } as LayerCache);
    }
  }

  const linear = (module: string, x: Tensor) => g.scope(module.split('.').pop()!, () => project(module, x, w(`${module}.weight`), wOpt(`${module}.bias`)));
  const bias = attentionBias(g, attentionMask, S, T, compute, options.packedSegments ?? false);
  const rotary = rotaryFromPositions(g, config, positionIds, compute);
  const toHeads = (x: Tensor, n: number) => op.transpose(op.reshape(x, [B, S, n, D]), [0, 2, 1, 3]);
  // lastPositionScores: the last layer's queries are the last real positions only.
  const lastQueries = options.lastPositionScores ? lastPositionQueries(g, config, attentionMask, positionIds, S, compute) : null;

  const layer = (i: number, h: Tensor): Tensor => {
    const p = `model.layers.${i}`;
    const queries = i === config.numLayers - 1 ? lastQueries : null;
    return g.scope(p, () => {
      const x = g.scope('input_layernorm', () => norm(h, `${p}.input_layernorm.weight`));
      // Rows that continue past this layer: every position, or (lastPositionScores) each row's last one.
      const Sq = queries ? 1 : S;
      const residual = queries ? queries.pick(h) : h;
      const attn = g.scope('self_attn', () => {
        let q = op.reshape(linear(`${p}.self_attn.q_proj`, queries ? queries.pick(x) : x), [B, Sq, H, D]);
        let k = op.reshape(linear(`${p}.self_attn.k_proj`, x), [B, S, Hkv, D]);
        const v = toHeads(linear(`${p}.self_attn.v_proj`, x), Hkv);
        if (config.qkNorm) {
          q = g.scope('q_norm', () => norm(q, `${p}.self_attn.q_norm.weight`));
          k = g.scope('k_norm', () => norm(k, `${p}.self_attn.k_norm.weight`));
        }
        const qr = nn.applyRotary(op.transpose(q, [0, 2, 1, 3]), queries ? queries.rotary : rotary);
        const kr = nn.applyRotary(op.transpose(k, [0, 2, 1, 3]), rotary);
        let keys = kr;
        let values = v;
        if (cache) {
          cache[i].newKey = kr;
          cache[i].newValue = v;
          keys = cache[i].presentKey;
          values = cache[i].presentValue;
        }
        const o = op.reshape(op.transpose(nn.attention(qr, keys, values, queries ? queries.bias : bias, { headChunks: checkpointing ? options.attentionHeadChunks : undefined }), [0, 2, 1, 3]), [B, Sq, H * D]);
        return linear(`${p}.self_attn.o_proj`, o);
      });
      const h1 = op.add(residual, attn);
      const y = g.scope('post_attention_layernorm', () => norm(h1, `${p}.post_attention_layernorm.weight`));
      const mlp = g.scope('mlp', () => {
        const gate = linear(`${p}.mlp.gate_proj`, y);
        const up = linear(`${p}.mlp.up_proj`, y);
        return linear(`${p}.mlp.down_proj`, nn.swiglu(gate, up));
      });
      return op.add(h1, mlp);
    });
  };

  // The lookup reads the master table (its gradient stays a float32 row scatter), then casts the rows.
  let h = g.scope('model.embed_tokens', () => op.cast(op.gather(weights.get('model.embed_tokens.weight')!, inputIds), compute));
  // Gradient checkpointing: each layer reads a stop-gradient boundary, and the train step rebuilds the
  // layer from it in the backward pass (engine/recompute.ts) instead of reading its forward activations.
  const boundaries: Tensor[] = [];
  const rebuild: ((x: Tensor) => Tensor)[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    if (checkpointing) {
      h = g.scope(`checkpoint_${i}`, () => op.stopGradient(h));
      boundaries.push(h);
      rebuild.push((x) => g.scope(`recompute`, () => layer(i, x)));
    }
    h = layer(i, h);
  }
  if (checkpointing) {
    h = g.scope(`checkpoint_${config.numLayers}`, () => op.stopGradient(h));
    boundaries.push(h);
  }
  const normed = g.scope('model.norm', () => norm(h, 'model.norm.weight'));
  let logits: Tensor;
  if (options.lastPositionLogits) {
    if (config.task !== 'causal-lm') throw new Error(`decoder: lastPositionLogits needs a causal LM, got ${config.task}`);
    const head = config.tieWordEmbeddings ? w('model.embed_tokens.weight') : w('lm_head.weight');
    const last = g.scope('last_position', () => gatherLastPosition(g, normed, attentionMask, S, T, config.hiddenSize));
    // Gemm(transB) reads the [vocab, hidden] weight in place: a MatMul with Transpose(W) made onnxruntime
    // fold a transposed second copy of the (tied) embedding at load, +vocab·hidden floats resident.
    logits = g.scope('lm_head', () => (options.projection && !config.tieWordEmbeddings ? options.projection('lm_head', last, head, undefined) : nn.linear(last, head)));
  } else if (config.task === 'sequence-classification') logits = g.scope('score', () => project('score', normed, w('score.weight'), undefined));
  else if (config.tieWordEmbeddings) logits = g.scope('lm_head', () => nn.linear(normed, w('model.embed_tokens.weight')));
  else logits = g.scope('lm_head', () => project('lm_head', normed, w('lm_head.weight'), undefined));
  // The loss in the master dtype (float32) under mixed precision.
  let loss = labels ? nn.crossEntropy(op.cast(logits, dtype), labels) : null;
  const segments: RecomputeSegment[] = checkpointing ? chainSegments({ boundaries, rebuild }) : [];
  if (options.lossChunks !== undefined && labels) {
    if (config.task !== 'causal-lm' || options.lastPositionLogits) throw new Error('decoder: lossChunks is for causal-LM training graphs (labels, full-sequence logits)');
    // The head's input as a boundary: final norm (a segment of its own) → chunked cross-entropy blocks.
    const top = checkpointing ? h : g.scope('loss_boundary', () => op.stopGradient(h));
    const flatNorm = (x: Tensor) => g.scope('model.norm', () => op.reshape(norm(x, 'model.norm.weight'), [-1, config.hiddenSize]));
    const hidden = g.scope('loss_boundary', () => op.stopGradient(flatNorm(top)));
    segments.push({ input: top, output: hidden, rebuild: flatNorm });
    const head = config.tieWordEmbeddings ? w('model.embed_tokens.weight') : w('lm_head.weight');
    const chunked = nn.chunkedLinearCrossEntropy(hidden, head, labels, options.lossChunks);
    loss = chunked.loss;
    segments.push(...chunked.segments);
  }
  const checkpoints = segments.length ? segments : null;
  return { config, graph: g, dtype, inputIds, attentionMask, positionIds, labels, logits, loss, weights, cache, checkpoints };
}

/** What the last layer needs to run its queries at each row's last real position only (lastPositionScores). */
interface LastPositionQueries {
  /** [B, S, hidden] → [B, 1, hidden] at the last real position. */
  pick(x: Tensor): Tensor;
  /** cos/sin of the last positions' rotary angles, [B, 1, 1, headDim]. */
  rotary: { cos: Tensor; sin: Tensor };
  /**
   * [B, 1, 1, S]: the last real position may attend every real key (the causal limit j ≤ last only
   * excludes padding there), with the same values as that query's row of the full attention bias.
   */
  bias: Tensor;
}

function lastPositionQueries(g: Graph, config: ModelConfig, mask: Tensor, positionIds: Tensor, S: number | string, dtype: DType): LastPositionQueries {
  return g.scope('last_position', () => {
    const keyIsToken = op.notEqual(mask, 0);
    const last = op.reduceMax(op.mul(op.cast(keyIsToken, 'int64'), op.unsqueeze(op.arange(g, S), [0])), [1]); // [B]
    const positions = op.gatherElements(positionIds, op.unsqueeze(last, [1]), 1); // [B, 1]
    const index = (x: Tensor) => op.expand(op.unsqueeze(last, [1, 2]), [x.shape[0], 1, x.shape[2]]);
    // Half precision: gather in float32 (the gradient's ScatterElements-add has no CPU float16 kernel).
    const pick = (x: Tensor) => (x.dtype === 'float16' || x.dtype === 'bfloat16' ? op.cast(op.gatherElements(op.cast(x, 'float32'), index(x), 1), x.dtype) : op.gatherElements(x, index(x), 1));
    const bias = op.where(op.unsqueeze(keyIsToken, [1, 2]), g.scalar(0, dtype), g.scalar(maskingValue(dtype), dtype));
    return { pick, rotary: rotaryFromPositions(g, config, positions, dtype), bias };
  });
}

/**
 * normed [B, S, hidden] → [B, 1, hidden] at each row's last real new position: the largest key index
 * j with attention_mask[b, j] = 1, minus the past length T − S. Decoding (S = 1) gives 0; prefill gives
 * S − 1 with left padding and the prompt length − 1 with right padding.
 */
function gatherLastPosition(g: Graph, normed: Tensor, mask: Tensor, S: number | string, T: number | string, hidden: number): Tensor {
  const keyIndex = op.unsqueeze(op.arange(g, T), [0]); // [1, T]
  let last = op.reduceMax(op.mul(op.cast(op.notEqual(mask, 0), 'int64'), keyIndex), [1]); // [B]
  if (S !== T) last = op.sub(last, op.sub(op.dimSize(g, T, 'int64'), op.dimSize(g, S, 'int64')));
  const index = op.expand(op.unsqueeze(last, [1, 2]), [normed.shape[0], 1, hidden]); // [B, 1, hidden]
  return op.gatherElements(normed, index, 1);
}

/**
 * Additive attention bias [B, 1, S, T]: query i (absolute index T − S + i among the T keys) may attend
 * key j when j ≤ T − S + i and attention_mask[b, j] = 1. Works for prefill (T = S), cached decoding,
 * and both left and right padding (the mask, not the layout, says which slots are real). With packed
 * segments (S = T) the mask holds segment ids and query i also needs mask[b, j] = mask[b, i].
 */
function attentionBias(g: Graph, mask: Tensor, S: number | string, T: number | string, dtype: DType, packedSegments: boolean): Tensor {
  return g.scope('attention_bias', () => {
    let queryIndex = op.arange(g, S); // [S]
    if (S !== T) queryIndex = op.add(queryIndex, op.sub(op.dimSize(g, T, 'int64'), op.dimSize(g, S, 'int64')));
    const keyIndex = op.arange(g, T); // [T]
    const causal = op.lessOrEqual(op.unsqueeze(keyIndex, [0]), op.unsqueeze(queryIndex, [1])); // [S, T]
    let allowed = op.and(op.unsqueeze(causal, [0, 1]), op.unsqueeze(op.notEqual(mask, 0), [1, 2])); // [B, 1, S, T]
    if (packedSegments) allowed = op.and(allowed, op.equal(op.unsqueeze(mask, [1, 3]), op.unsqueeze(mask, [1, 2]))); // same segment
    return op.where(allowed, g.scalar(0, dtype), g.scalar(maskingValue(dtype), dtype));
  });
}
