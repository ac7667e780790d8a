// The tensor IR: a graph of primitive-op nodes over typed, shaped values.
//
// Nodes are appended in construction order, which is therefore a topological order; the autodiff
// walk and the lowering rely on that. Ops are built through the functions in ../ops/, which look up
// the op's definition (shape/dtype inference, lowering, gradient rule) in the closed table in
// ../ops/primitives.ts. Names come from `graph.scope()` so lowered graphs read well in Netron:
// 'model.layers.0/self_attn/q_proj/Gemm'.

import { checkDType, type DType } from './dtype.ts';
import { formatShape, normalizeDim, type Dim, type Shape } from './dim.ts';
import { GraphBuildError } from './errors.ts';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

/** Where a value comes from: a graph input (data, hyper-parameters), a parameter, a constant, or a node. */
export type TensorSource = 'input' | 'param' | 'constant' | 'op';

export type OpAttrs = Record<string, unknown>;

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: readonly Dim[],
    readonly source: TensorSource,
    /** Input/param name, constant name, or '' for node outputs (named at lowering). */
    readonly name: string,
    readonly producer: Node | null = null,
    readonly outputIndex = 0,
    readonly data: TensorData | null = null,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    const what = this.producer ? `${this.producer.op} output` : `${this.source} '${this.name}'`;
    return `${what} ${this.dtype}${formatShape(this.shape)}`;
  }
}

export class Node {
  readonly outputs: Tensor[] = [];
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly attrs: OpAttrs,
    /** Readable, unique name: scope path + op ('model.layers.0/mlp/Mul'). */
    readonly name: string,
  ) {}
}

/** The part of an op definition the graph needs: inference of output types from input types. */
export type InferFn = (inputs: readonly Tensor[], attrs: OpAttrs) => { dtype: DType; shape: Dim[] }[];

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly params: Tensor[] = [];
  private nextId = 0;
  private readonly scopes: string[] = [];
  private readonly usedNames = new Map<string, number>();
  private readonly valueNames = new Set<string>();
  private readonly scalarCache = new Map<string, Tensor>();

  constructor(readonly name = 'graph') {}

  /** A graph input: batch data, or a per-step value such as the learning rate. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Tensor {
    const t = new Tensor(this, this.nextId++, checkDType(dtype, `input '${name}'`), this.checkShape(shape, name), 'input', this.claimValueName(name));
    this.inputs.push(t);
    return t;
  }

  /** A parameter: trainable or frozen is decided when a train step (or inference model) is built. */
  param(name: string, dtype: DType, shape: readonly Dim[]): Tensor {
    const t = new Tensor(this, this.nextId++, checkDType(dtype, `param '${name}'`), this.checkShape(shape, name), 'param', this.claimValueName(name));
    this.params.push(t);
    return t;
  }

  /** A constant tensor; lowered to an initializer. */
  constant(data: TensorData, dtype: DType, shape: readonly number[], name?: string): Tensor {
    checkDType(dtype, 'constant');
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new TypeError(`constant ${name ?? ''}: ${data.length} values for shape ${formatShape(shape)}`);
    const uniqueName = this.uniqueValueName(name ?? `${this.scopePath() || 'const'}/const`);
    return new Tensor(this, this.nextId++, dtype, [...shape], 'constant', uniqueName, null, 0, data);
  }

  /** A scalar constant, shared across the graph per (dtype, value). */
  scalar(value: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant(scalarData(value, dtype), dtype, [], `scalar/${dtype}/${value}`);
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** Runs `build` with `name` appended to the naming scope of every node it creates. */
  scope<T>(name: string, build: () => T): T {
    this.scopes.push(name);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  scopePath(): string {
    return this.scopes.join('/');
  }

  /** Appends a node; `infer` gives its outputs' types (and throws GraphBuildError on bad input). */
  addNode(op: string, inputs: readonly Tensor[], attrs: OpAttrs, infer: InferFn): Node {
    const name = this.uniqueNodeName(this.scopePath() ? `${this.scopePath()}/${op}` : op);
    for (const [i, t] of inputs.entries()) {
      if (!(t instanceof Tensor)) throw new GraphBuildError(op, name, `input ${i} is not a Tensor (got ${describe(t)})`);
      if (t.graph !== this) throw new GraphBuildError(op, name, `input ${i} (${t}) belongs to another graph`);
    }
    let types: ReturnType<InferFn>;
    try {
      types = infer(inputs, attrs);
    } catch (e) {
      if (e instanceof GraphBuildError) throw e;
      throw new GraphBuildError(op, name, (e as Error).message);
    }
    const node = new Node(this, this.nextId++, op, inputs, attrs, name);
    types.forEach((type, i) => node.outputs.push(new Tensor(this, this.nextId++, type.dtype, type.shape, 'op', '', node, i)));
    this.nodes.push(node);
    return node;
  }

  /** Builds a GraphBuildError named after the node the next `op` would get (for checks before addNode). */
  error(op: string, detail: string): GraphBuildError {
    const path = this.scopePath();
    return new GraphBuildError(op, path ? `${path}/${op}` : op, detail);
  }

  private checkShape(shape: readonly Dim[], what: string): Dim[] {
    if (!Array.isArray(shape)) throw new TypeError(`'${what}': shape must be an array, got ${describe(shape)}`);
    return shape.map((d) => normalizeDim(d));
  }

  private claimValueName(name: string): string {
    if (!name) throw new TypeError('graph inputs and params need a name');
    if (this.valueNames.has(name)) throw new TypeError(`a graph value named '${name}' already exists`);
    this.valueNames.add(name);
    return name;
  }

  private uniqueValueName(base: string): string {
    let name = base;
    for (let k = 1; this.valueNames.has(name); k++) name = `${base}_${k}`;
    this.valueNames.add(name);
    return name;
  }

  private uniqueNodeName(base: string): string {
    const seen = this.usedNames.get(base) ?? 0;
    this.usedNames.set(base, seen + 1);
    return seen === 0 ? base : `${base}_${seen}`;
  }
}

export function scalarData(value: number, dtype: DType): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.of(value);
    case 'float64':
      return Float64Array.of(value);
    case 'int64':
      return BigInt64Array.of(BigInt(Math.trunc(value)));
    case 'int32':
      return Int32Array.of(value);
    case 'bool':
      return Uint8Array.of(value ? 1 : 0);
    case 'float16':
      return Uint16Array.of(toHalfBits(value));
    case 'bfloat16':
      return Uint16Array.of(toBFloat16Bits(value));
  }
}

function toBFloat16Bits(value: number): number {
  const f = new Float32Array([value]);
  const u = new Uint32Array(f.buffer)[0];
  if (Number.isNaN(value)) return 0x7fc0;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}

function toHalfBits(value: number): number {
  // Good enough for the constants a graph holds (masks, epsilons, scales): round-to-nearest.
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -24) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e += 1;
  }
  return sign | ((e + 15) << 10) | m;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}
