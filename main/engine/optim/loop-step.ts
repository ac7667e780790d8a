// Many micro-batches and optimizer steps per session.run: the accumulate and apply graphs of gradient
// accumulation (train-step.ts) nested in two ONNX `Loop`s.
//
//   outer Loop over S optimizer steps, carrying every trainable param, its AdamW moments and the count
//   of steps taken:
//     inner Loop over K micro-batches, carrying the gradient accumulators (zeros at the start of a step):
//       the accumulate graph on micro-batch (s, k) → accumulators + this batch's gradients; loss and
//       metrics as scan outputs [K]
//     the apply graph: grads = accumulators · 1/K, clipping, AdamW with lr[s] and step = first_step + s
//     a non-finite loss or gradient norm in the step stops the loop; its state outputs are then not the
//     state after the steps taken (the runner re-runs those steps alone, see loop-step-runner.ts)
//
// So params and moments cross host↔device once per K·S micro-batches. The same nodes as the one-step
// graphs run in the same order, so the updates are the same numbers (float64 tests: within 1e-12).
// Frozen params stay main-graph initializers, read by the nested bodies from the outer scope.
//
// Interface (names of the accumulate/apply graphs kept):
//   each trainable `p`, `adam_m/p`, `adam_v/p`      the state before the run
//   each batch input `x`                             flat: every micro-batch's elements one after another, so
//                                                    micro-batches of one run may differ in shape (no padding)
//   `x/span` int64 [S, K, 2], `x/dims` [S, K, rank]  where micro-batch (s, k) lies in `x`, and its dims
//   lr                                               [S] (the schedule's value for each step)
//   step                                             int64 [] (1-based number of the run's first step)
//   → `updated/p`, `updated/adam_m/p`, `updated/adam_v/p`; steps_taken int64 [];
//     loss [S', K], `metrics/…` [S', K], grad_norm [S'] (S' = steps run, including a non-finite one)
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from '../onnx/model.ts';
import { STEP_NAMES, type TrainStepSignature } from './train-step.ts';

export interface LoopStepGraphs {
  accumulate: { model: OnnxModel; signature: TrainStepSignature };
  apply: { model: OnnxModel; signature: TrainStepSignature };
}

export const LOOP_STEP_NAMES = {
  stepsTaken: 'steps_taken',
  loss: 'loss',
  gradNorm: 'grad_norm',
  /** int64 [S, K, 2]: where micro-batch (s, k) of batch input `x` starts and ends in the flat `x`. */
  span: (input: string) => `${input}/span`,
  /** int64 [S, K, rank]: micro-batch (s, k)'s dims of `x` (absent for a scalar input). */
  dims: (input: string) => `${input}/dims`,
} as const;

export interface BuiltLoopStep {
  model: OnnxModel;
  /** Output names of the per-micro-batch metrics, by metric key. */
  metrics: Record<string, string>;
}

export function buildLoopStepModel(graphs: LoopStepGraphs): BuiltLoopStep {
  const acc = graphs.accumulate.signature;
  const app = graphs.apply.signature;
  if (acc.kind !== 'accumulate' || app.kind !== 'apply') throw new TypeError(`loop step: needs an accumulate and an apply graph, got ${acc.kind} and ${app.kind}`);
  if (acc.lossScaler) throw new TypeError('loop step: dynamic loss scaling (fp16) skips steps on the host; use the per-step runner for fp16');
  const trainable = app.trainable;
  const frozen = new Set(acc.frozen.map((f) => f.name));
  const dtype = trainable[0].dtype;
  const n = new Names();

  // ── main graph
  const main = new Emit('loop_step');
  const lr = STEP_NAMES.learningRate;
  const step0 = STEP_NAMES.step;
  const firstSpan = LOOP_STEP_NAMES.span(acc.batchInputs[0].name);
  const steps = main.op('Squeeze', [main.op('Shape', [lr], { start: int(0), end: int(1) }), main.i64([0])]);
  const micro = main.op('Shape', [firstSpan], { start: int(1), end: int(2) }); // [1] = K
  const K = main.op('Squeeze', [micro, main.i64([0])]);
  const gradScale = main.op('Reciprocal', [main.op('Cast', [K], { to: int(onnxTypeCode(dtype)) })]);
  const zeroCount = main.i64(0);

  // ── inner body: one micro-batch
  const inner = new Emit('inner');
  const kIter = 'inner/k';
  const sIter = 'outer/s';
  const innerInputs: OnnxValueInfo[] = [{ name: kIter, dtype: 'int64', shape: [] }, { name: 'inner/cond', dtype: 'bool', shape: [] }];
  const bindInner = new Map<string, string>();
  // Micro-batch (s, k) of input x: its elements x[start:end] of the flat input, reshaped to its own dims.
  for (const b of acc.batchInputs) {
    const at = (table: string) => inner.op('Gather', [inner.op('Gather', [table, sIter], { axis: int(0) }), kIter], { axis: int(0) });
    const span = at(LOOP_STEP_NAMES.span(b.name)); // [2]
    const start = inner.op('Slice', [span, inner.i64([0]), inner.i64([1])]);
    const end = inner.op('Slice', [span, inner.i64([1]), inner.i64([2])]);
    const piece = inner.op('Slice', [b.name, start, end, inner.i64([0])]);
    const dims = b.shape.length > 0 ? at(LOOP_STEP_NAMES.dims(b.name)) : inner.i64([], 'scalar_shape');
    const shaped = inner.op('Reshape', [piece, dims]);
    // Max(x, x) = x keeps onnxruntime's ReshapeFusion from merging this Reshape (its shape a value of the
    // loop) with a Reshape of the step graph: the merged node lost its shape input and session creation
    // failed ("Attempting to get index by a name which does not exist"). One pass over the micro-batch.
    bindInner.set(b.name, b.shape.length > 0 ? inner.op('Max', [shaped, shaped]) : shaped);
  }
  for (const t of trainable) {
    bindInner.set(t.name, n.param(t.name));
    const accIn = `inner/grad_acc/${t.name}`;
    innerInputs.push({ name: accIn, dtype: t.dtype, shape: t.shape });
    bindInner.set(STEP_NAMES.gradAccumulator(t.name), accIn);
  }
  const accEmbedded = embed(graphs.accumulate.model.graph, 'inner/g', bindInner, frozen);
  const accOutputs = acc.trainable.map((t) => accEmbedded.name(t.gradAccumulator!.output!));
  const metricKeys = Object.keys(acc.metrics);
  const scanNames = [acc.loss!, ...metricKeys.map((k) => acc.metrics[k])];
  const innerOut = new Emit('inner/out');
  const innerOutputs: OnnxValueInfo[] = [
    { name: innerOut.op('Identity', ['inner/cond']), dtype: 'bool', shape: [] },
    ...trainable.map((t, i) => ({ name: innerOut.op('Identity', [accOutputs[i]]), dtype: t.dtype, shape: t.shape })),
    ...scanNames.map((name) => ({ name: innerOut.op('Identity', [accEmbedded.name(name)]), dtype, shape: [] })),
  ];
  const innerBody: OnnxGraph = {
    name: 'micro_batch',
    nodes: [...inner.nodes, ...accEmbedded.nodes, ...innerOut.nodes],
    inputs: innerInputs,
    outputs: innerOutputs,
    initializers: [],
  };
  // Body constants are hoisted to the main graph (names are prefixed, so unique) and read from the outer
  // scope: onnxruntime resolves in-memory external data only for main-graph initializers.
  const hoisted = [...inner.initializers, ...accEmbedded.initializers, ...innerOut.initializers];

  // ── outer body: one optimizer step
  const outer = new Emit('outer');
  const outerInputs: OnnxValueInfo[] = [{ name: sIter, dtype: 'int64', shape: [] }, { name: 'outer/cond', dtype: 'bool', shape: [] }];
  for (const t of trainable) {
    for (const name of [n.param(t.name), n.m(t.name), n.v(t.name)]) outerInputs.push({ name, dtype: t.dtype, shape: t.shape });
  }
  outerInputs.push({ name: 'outer/count', dtype: 'int64', shape: [] });
  const zeros = trainable.map((t) => outer.op('ConstantOfShape', [outer.i64(t.shape, 'shape')], { value: { kind: 'tensor', value: scalarTensor(t.dtype, 0) } }));
  const innerLoop = outer.multi('Loop', [K, outer.bool(true), ...zeros], trainable.length + scanNames.length, { body: { kind: 'graph', value: innerBody } });
  const accumulated = innerLoop.slice(0, trainable.length);
  const scans = innerLoop.slice(trainable.length); // loss [K], metrics [K]
  const bindApply = new Map<string, string>([
    [app.learningRate!, outer.op('Gather', [lr, sIter], { axis: int(0) })],
    [app.step!, outer.op('Add', [step0, sIter])],
    [app.gradScale!, gradScale],
  ]);
  trainable.forEach((t, i) => {
    bindApply.set(t.param.input, n.param(t.name));
    bindApply.set(t.adamM!.input, n.m(t.name));
    bindApply.set(t.adamV!.input, n.v(t.name));
    bindApply.set(t.gradAccumulator!.input, accumulated[i]);
  });
  const applyEmbedded = embed(graphs.apply.model.graph, 'outer/g', bindApply, new Set());
  const post = new Emit('outer/out');
  const loss = scans[0];
  const finite = (x: string) => post.op('Not', [post.op('Or', [post.op('IsNaN', [x]), post.op('IsInf', [x])])]);
  const lossesFinite = post.op('Equal', [post.op('ReduceMin', [post.op('Cast', [finite(loss)], { to: int(7) })], { keepdims: int(0) }), post.i64(1)]);
  // A finite loss with an overflowing gradient would write inf/NaN into the params: not applied either.
  const ok = post.op('And', [lossesFinite, finite(applyEmbedded.name(app.gradNorm!))]);
  const outerOutputs: OnnxValueInfo[] = [{ name: post.op('Identity', [ok]), dtype: 'bool', shape: [] }];
  // The update goes out as it is, even from a step that is not ok: that step ends the loop and the runner
  // throws this run's state away (re-running the steps before it). Choosing old-or-new state in the graph
  // (Where) held one more copy of params and moments: +1× trainable state at the peak, for full fine-tuning.
  for (const t of trainable) {
    for (const updated of [t.param.output!, t.adamM!.output, t.adamV!.output]) outerOutputs.push({ name: applyEmbedded.name(updated), dtype: t.dtype, shape: t.shape });
  }
  outerOutputs.push({ name: post.op('Add', ['outer/count', post.op('Cast', [ok], { to: int(7) })]), dtype: 'int64', shape: [] });
  for (const s of scans) outerOutputs.push({ name: post.op('Identity', [s]), dtype, shape: ['K'] });
  outerOutputs.push({ name: post.op('Identity', [applyEmbedded.name(app.gradNorm!)]), dtype, shape: [] });
  const outerBody: OnnxGraph = {
    name: 'optimizer_step',
    nodes: [...outer.nodes, ...applyEmbedded.nodes, ...post.nodes],
    inputs: outerInputs,
    outputs: outerOutputs,
    initializers: [],
  };
  hoisted.push(...outer.initializers, ...applyEmbedded.initializers, ...post.initializers);

  const carriedIn = trainable.flatMap((t) => [t.param.input, t.adamM!.input, t.adamV!.input]);
  const carriedOut = trainable.flatMap((t) => [t.param.output!, t.adamM!.output, t.adamV!.output]);
  const scanOut = [LOOP_STEP_NAMES.loss, ...metricKeys.map((k) => acc.metrics[k]), LOOP_STEP_NAMES.gradNorm];
  main.nodes.push({
    opType: 'Loop',
    name: 'loop_step/Loop',
    inputs: [steps, main.bool(true), ...carriedIn, zeroCount],
    outputs: [...carriedOut, LOOP_STEP_NAMES.stepsTaken, ...scanOut],
    attributes: { body: { kind: 'graph', value: outerBody } },
  });
  const frozenInits = graphs.accumulate.model.graph.initializers.filter((t) => frozen.has(t.name));
  const stateInfo = (name: string, t: (typeof trainable)[number]): OnnxValueInfo => ({ name, dtype: t.dtype, shape: t.shape });
  const model: OnnxModel = {
    ...graphs.accumulate.model,
    graph: {
      name: 'loop_step',
      nodes: main.nodes,
      inputs: [
        ...trainable.flatMap((t) => [stateInfo(t.param.input, t), stateInfo(t.adamM!.input, t), stateInfo(t.adamV!.input, t)]),
        ...acc.batchInputs.flatMap((b): OnnxValueInfo[] => [
          { name: b.name, dtype: b.dtype, shape: [`${b.name}_elements`] },
          { name: LOOP_STEP_NAMES.span(b.name), dtype: 'int64', shape: ['steps', 'micro_batches', 2] },
          ...(b.shape.length > 0 ? [{ name: LOOP_STEP_NAMES.dims(b.name), dtype: 'int64' as const, shape: ['steps', 'micro_batches', b.shape.length] }] : []),
        ]),
        { name: lr, dtype, shape: ['steps'] },
        { name: step0, dtype: 'int64', shape: [] },
      ],
      outputs: [
        ...trainable.flatMap((t) => [stateInfo(t.param.output!, t), stateInfo(t.adamM!.output, t), stateInfo(t.adamV!.output, t)]),
        { name: LOOP_STEP_NAMES.stepsTaken, dtype: 'int64', shape: [] },
        ...[LOOP_STEP_NAMES.loss, ...metricKeys.map((k) => acc.metrics[k])].map((name) => ({ name, dtype, shape: ['steps_run', 'micro_batches'] })),
        { name: LOOP_STEP_NAMES.gradNorm, dtype, shape: ['steps_run'] },
      ],
      initializers: [...frozenInits, ...main.initializers, ...hoisted],
    },
  };
  return { model, metrics: Object.fromEntries(metricKeys.map((k) => [k, acc.metrics[k]])) };
}

/** Names of the outer body's carried state. */
class Names {
  param = (p: string) => `outer/param/${p}`;
  m = (p: string) => `outer/adam_m/${p}`;
  v = (p: string) => `outer/adam_v/${p}`;
}

/**
 * A lowered graph's nodes placed inside another graph: bound inputs renamed to the given values, names in
 * `keep` (outer-scope initializers) unchanged, every other name prefixed. Bound graph inputs disappear.
 */
function embed(graph: OnnxGraph, prefix: string, bind: ReadonlyMap<string, string>, keep: ReadonlySet<string>) {
  const name = (x: string) => (x === '' ? x : bind.get(x) ?? (keep.has(x) ? x : `${prefix}/${x}`));
  for (const input of graph.inputs) if (!bind.has(input.name)) throw new TypeError(`loop step: graph input '${input.name}' of ${graph.name} has no value in the loop`);
  const nodes: OnnxNode[] = graph.nodes.map((node) => ({ ...node, name: node.name ? `${prefix}/${node.name}` : node.name, inputs: node.inputs.map(name), outputs: node.outputs.map(name) }));
  const initializers: OnnxTensor[] = graph.initializers.filter((t) => !keep.has(t.name)).map((t) => ({ ...t, name: name(t.name) }));
  return { nodes, initializers, name };
}

type Attr = NonNullable<OnnxNode['attributes']>[string];
const int = (value: number): Attr => ({ kind: 'int', value });

function onnxTypeCode(dtype: string): number {
  const code = ({ float32: 1, float64: 11, float16: 10, bfloat16: 16 } as Record<string, number>)[dtype];
  if (!code) throw new TypeError(`loop step: trainable dtype ${dtype} is not a float type`);
  return code;
}

function scalarTensor(dtype: string, value: number): OnnxTensor {
  if (dtype === 'float64') return { name: 'value', dtype: 'float64', dims: [1], data: Float64Array.of(value) };
  if (dtype === 'float32') return { name: 'value', dtype: 'float32', dims: [1], data: Float32Array.of(value) };
  throw new TypeError(`loop step: trainable dtype ${dtype} must be float32 or float64 (master weights)`);
}

/** Hand-written nodes with fresh names under a prefix. */
class Emit {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;
  constructor(private readonly prefix: string) {}
  private fresh(hint: string) {
    return `${this.prefix}/${hint}_${this.count++}`;
  }
  multi(opType: string, inputs: string[], outputs: number, attributes?: Record<string, Attr>): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType));
    this.nodes.push({ opType, name: names[0], inputs, outputs: names, ...(attributes ? { attributes } : {}) });
    return names;
  }
  op(opType: string, inputs: string[], attributes?: Record<string, Attr>): string {
    return this.multi(opType, inputs, 1, attributes)[0];
  }
  i64(values: number[] | number, hint = 'i64'): string {
    const list = Array.isArray(values) ? values : [values];
    const name = this.fresh(hint);
    this.initializers.push({ name, dtype: 'int64', dims: Array.isArray(values) ? [list.length] : [], data: BigInt64Array.from(list, (v) => BigInt(v)) });
    return name;
  }
  bool(value: boolean): string {
    const name = this.fresh('bool');
    this.initializers.push({ name, dtype: 'bool', dims: [], data: Uint8Array.of(value ? 1 : 0) });
    return name;
  }
}
