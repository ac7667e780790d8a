// Lowering: IR graph → OnnxModel (plain objects; ./onnx/emit.ts writes the protobuf).
//
// Only nodes that some requested output needs are emitted (dead-code elimination: gradients nobody
// asked for vanish here). Node names are the IR's scoped names ('model.layers.0/self_attn/MatMul'),
// value names derive from them, so the model reads well in Netron. Symbolic dims stay symbolic in the
// graph's inputs/outputs; where an op needs one at run time (Reshape, Expand, ConstantOfShape), it is
// read once off a graph input carrying it (Shape with start/end) and reused.

import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx/model.ts';
import { DEFAULT_IR_VERSION, DEFAULT_OPSET } from './onnx/model.ts';
import { bytesPerElement, toOnnxDType, type DType } from './ir/dtype.ts';
import { formatShape, isStatic, numElements, parseDim, type Dim } from './ir/dim.ts';
import { scalarData, type Graph, type Node, type Tensor, type TensorData } from './ir/graph.ts';
import type { LowerContext } from './ops/lower-context.ts';
import { PRIMITIVES, type PrimitiveOp } from './ops/primitives.ts';
import { attr } from './ops/lower-context.ts';

export type LowerOptions = {
  /** Graph outputs, by ONNX output name. */
  outputs: Record<string, Tensor>;
  /** Model graph name (default: the IR graph's). */
  name?: string;
  /**
   * Params to lower as initializers (e.g. frozen weights), by param name. A value of `null` declares
   * an initializer whose bytes the caller supplies later: it is emitted with zero-filled data that
   * the caller replaces, or moves to external data (see {@link frozenInitializerNames}).
   */
  initializers?: Record<string, TensorData | null>;
  /** Graph inputs to omit although declared (default: every declared input and non-initializer param). */
  omitInputs?: readonly string[];
  doc?: string;
  metadata?: Record<string, string>;
};

export class LoweringError extends Error {
  override name = 'LoweringError';
}

export function lower(graph: Graph, options: LowerOptions): OnnxModel {
  return new Lowering(graph, options).run();
}

class Lowering implements LowerContext {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly initializerNames = new Set<string>();
  private readonly names = new Map<Tensor, string>();
  private readonly constCache = new Map<string, string>();
  private readonly symbolCache = new Map<string, string>();
  private readonly symbolSources = new Map<string, { input: string; axis: number }>();
  private tempCounter = 0;

  constructor(
    private readonly graph: Graph,
    private readonly options: LowerOptions,
  ) {}

  run(): OnnxModel {
    const { graph, options } = this;
    const initData = options.initializers ?? {};
    const params = new Map(graph.params.map((p) => [p.name, p]));
    for (const name of Object.keys(initData)) {
      if (!params.has(name)) throw new LoweringError(`initializer '${name}' is not a param of graph '${graph.name}'`);
    }
    const omit = new Set(options.omitInputs ?? []);
    const declared = [...graph.inputs, ...graph.params].filter((t) => !(t.name in initData) && !omit.has(t.name));
    for (const t of declared) {
      this.names.set(t, t.name);
      t.shape.forEach((d, axis) => {
        for (const s of isStatic(d) ? [] : parseDim(d).syms) if (!this.symbolSources.has(s) && d === s) this.symbolSources.set(s, { input: t.name, axis });
      });
    }

    const live = liveNodes(graph, Object.values(options.outputs));
    const outputNameOf = new Map<Tensor, string>();
    for (const [name, t] of Object.entries(options.outputs)) {
      if (t.graph !== graph) throw new LoweringError(`output '${name}' belongs to another graph`);
      if (t.source === 'op' && !outputNameOf.has(t)) outputNameOf.set(t, name);
    }
    for (const node of graph.nodes) {
      if (!live.has(node)) continue;
      node.outputs.forEach((o, i) => this.names.set(o, outputNameOf.get(o) ?? `${node.name}/output_${i}`));
    }
    for (const node of graph.nodes) {
      if (!live.has(node)) continue;
      for (const input of node.inputs) this.ensureLeaf(input, initData);
      PRIMITIVES[node.op as PrimitiveOp].lower(node, this);
    }

    const outputs: OnnxValueInfo[] = [];
    for (const [name, t] of Object.entries(options.outputs)) {
      this.ensureLeaf(t, initData);
      const value = this.valueName(t);
      if (value !== name) this.nodes.push({ opType: 'Identity', name: `outputs/${name}`, inputs: [value], outputs: [name] });
      outputs.push(valueInfo(name, t));
    }
    const inputNames = new Set(declared.map((t) => t.name));
    for (const o of outputs) if (inputNames.has(o.name)) throw new LoweringError(`output '${o.name}' has the name of a graph input`);

    return {
      graph: {
        name: options.name ?? graph.name,
        nodes: this.nodes,
        inputs: declared.map((t) => valueInfo(t.name, t)),
        outputs,
        initializers: this.initializers,
        doc: options.doc,
      },
      opsetImports: [{ domain: '', version: DEFAULT_OPSET }],
      irVersion: DEFAULT_IR_VERSION,
      producerName: 'saenggak-lab engine',
      metadata: options.metadata,
    };
  }

  /** Constants and initializer params become initializers the first time a live node reads them. */
  private ensureLeaf(t: Tensor, initData: Record<string, TensorData | null>): void {
    if (this.names.has(t)) return;
    if (t.source === 'constant') {
      this.addInitializer(t.name, t.dtype, t.shape as number[], t.data!);
      this.names.set(t, t.name);
    } else if (t.source === 'param' && t.name in initData) {
      if (!t.shape.every(isStatic)) throw new LoweringError(`initializer param '${t.name}' needs a static shape, has ${formatShape(t.shape)}`);
      const n = numElements(t.shape) as number;
      const data = initData[t.name] ?? zeroData(t.dtype, n);
      if (data.length !== n) throw new LoweringError(`initializer '${t.name}': ${data.length} values for shape ${formatShape(t.shape)}`);
      this.addInitializer(t.name, t.dtype, t.shape as number[], data);
      this.names.set(t, t.name);
    } else if (t.source !== 'op') {
      throw new LoweringError(`${t} is used but is not a graph input here (omitted?)`);
    }
  }

  private addInitializer(name: string, dtype: DType, dims: number[], data: TensorData): void {
    if (this.initializerNames.has(name)) return;
    this.initializerNames.add(name);
    this.initializers.push({ name, dtype: toOnnxDType(dtype), dims, data });
  }

  // ---- LowerContext ----

  valueName(t: Tensor): string {
    const name = this.names.get(t);
    if (name === undefined) throw new LoweringError(`internal: ${t} has no value name yet`);
    return name;
  }
  outputNames(node: Node): string[] {
    return node.outputs.map((o) => this.valueName(o));
  }
  emit(node: Node, opType: string, inputs: string[], outputs: string[], attrs?: Record<string, OnnxAttribute>, suffix?: string): void {
    const onnxNode: OnnxNode = { opType, name: suffix ? `${node.name}/${suffix}` : node.name, inputs, outputs };
    if (attrs && Object.keys(attrs).length) onnxNode.attributes = attrs;
    this.nodes.push(onnxNode);
  }
  temp(node: Node, suffix: string): string {
    return `${node.name}/${suffix}_${this.tempCounter++}`;
  }
  int64s(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const/int64/[${values.join(',')}]`;
      this.addInitializer(name, 'int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
      this.constCache.set(key, name);
    }
    return name;
  }
  scalarConst(value: number, dtype: DType): string {
    const key = `${dtype}:${value}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const/${dtype}/${value}`;
      this.addInitializer(name, dtype, [], scalarData(value, dtype));
      this.constCache.set(key, name);
    }
    return name;
  }
  shapeTensor(dims: readonly Dim[]): string {
    if (dims.every(isStatic)) return this.int64s(dims as number[]);
    const key = `shape:${dims.join(',')}`;
    const cached = this.symbolCache.get(key);
    if (cached) return cached;
    const pieces = dims.map((d) => (isStatic(d) ? this.int64s([d]) : this.dimVector(d)));
    const name = `shape/[${dims.join(',')}]`;
    this.nodes.push({ opType: 'Concat', name, inputs: pieces, outputs: [name], attributes: { axis: attr.int(0) } });
    this.symbolCache.set(key, name);
    return name;
  }
  scalarDim(dim: Dim): string {
    if (isStatic(dim)) return this.scalarConst(dim, 'int64');
    const key = `scalar:${dim}`;
    const cached = this.symbolCache.get(key);
    if (cached) return cached;
    const name = `dim/${dim}/scalar`;
    this.nodes.push({ opType: 'Squeeze', name, inputs: [this.dimVector(dim), this.int64s([0])], outputs: [name] });
    this.symbolCache.set(key, name);
    return name;
  }

  /** A [1]-shaped int64 tensor holding a symbolic dim (product of symbols times a coefficient). */
  private dimVector(dim: Dim): string {
    const key = `vec:${dim}`;
    const cached = this.symbolCache.get(key);
    if (cached) return cached;
    const { coef, syms } = parseDim(dim);
    let acc: string | null = coef === 1 ? null : this.int64s([coef]);
    for (const s of syms) {
      const v = this.symbolVector(s);
      if (acc === null) acc = v;
      else {
        const name = `dim/${acc === v ? s : `${dim}`}/mul_${this.tempCounter++}`;
        this.nodes.push({ opType: 'Mul', name, inputs: [acc, v], outputs: [name] });
        acc = name;
      }
    }
    this.symbolCache.set(key, acc!);
    return acc!;
  }
  private symbolVector(symbol: string): string {
    const key = `sym:${symbol}`;
    const cached = this.symbolCache.get(key);
    if (cached) return cached;
    const source = this.symbolSources.get(symbol);
    if (!source) throw new LoweringError(`symbolic dim '${symbol}' is needed at run time but no graph input has it as a dimension`);
    const name = `dim/${symbol}`;
    this.nodes.push({
      opType: 'Shape',
      name,
      inputs: [source.input],
      outputs: [name],
      attributes: { start: attr.int(source.axis), end: attr.int(source.axis + 1) },
    });
    this.symbolCache.set(key, name);
    return name;
  }
}

function liveNodes(graph: Graph, outputs: readonly Tensor[]): Set<Node> {
  const live = new Set<Node>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    const p = t.producer;
    if (!p || live.has(p)) continue;
    live.add(p);
    stack.push(...p.inputs);
  }
  return live;
}

function valueInfo(name: string, t: Tensor): OnnxValueInfo {
  return { name, dtype: toOnnxDType(t.dtype), shape: [...t.shape] };
}

function zeroData(dtype: DType, n: number): TensorData {
  switch (bytesPerElement(dtype)) {
    case 8:
      return dtype === 'int64' ? new BigInt64Array(n) : new Float64Array(n);
    case 4:
      return dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    case 2:
      return new Uint16Array(n);
    default:
      return new Uint8Array(n);
  }
}
