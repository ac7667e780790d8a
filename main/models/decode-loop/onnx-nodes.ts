// A small builder for hand-written ONNX nodes (the decode loop's plumbing and in-graph sampling are ONNX
// passes, like addNextTokenOutput: ops without gradients are no engine primitives). Every value it makes
// is named `${prefix}/${hint}_${n}`, so two builders with different prefixes never collide in one model.
import type { OnnxAttribute, OnnxDataType, OnnxNode, OnnxTensor } from '../../engine/onnx/model.ts';

type Attr = OnnxAttribute;
export const int = (value: number): Attr => ({ kind: 'int', value });
export const ints = (value: number[]): Attr => ({ kind: 'ints', value });

export class NodeBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;
  constructor(readonly prefix: string) {}

  private fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.count++}`;
  }

  /** One node with fresh output names; returns them. */
  multi(opType: string, inputs: string[], outputs: number, attributes?: Record<string, Attr>): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType));
    this.nodes.push({ opType, name: names[0], inputs, outputs: names, ...(attributes ? { attributes } : {}) });
    return names;
  }

  op(opType: string, inputs: string[], attributes?: Record<string, Attr>): string {
    return this.multi(opType, inputs, 1, attributes)[0];
  }

  /** A node whose output has a fixed name (graph outputs, names other passes expect). */
  named(opType: string, inputs: string[], output: string, attributes?: Record<string, Attr>): string {
    this.nodes.push({ opType, name: `${this.prefix}/${output}`, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  }

  private constant(dtype: OnnxDataType, dims: number[], data: OnnxTensor['data'], hint: string): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dtype, dims, data });
    return name;
  }

  i64(values: number[] | number, hint = 'i64'): string {
    const list = Array.isArray(values) ? values : [values];
    return this.constant('int64', Array.isArray(values) ? [list.length] : [], BigInt64Array.from(list, (v) => BigInt(v)), hint);
  }

  f64(value: number, hint = 'f64'): string {
    return this.constant('float64', [], Float64Array.of(value), hint);
  }

  bool(value: boolean, hint = 'bool'): string {
    return this.constant('bool', [], Uint8Array.of(value ? 1 : 0), hint);
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.op('Unsqueeze', [x, this.i64(axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    return this.op('Squeeze', [x, this.i64(axes)]);
  }

  cast(x: string, to: 'int64' | 'float64' | 'bool' | 'float32'): string {
    const code = { float32: 1, int64: 7, bool: 9, float64: 11 }[to];
    return this.op('Cast', [x], { to: int(code) });
  }

  /** Dimension `axis` of x as an int64 [1] tensor. */
  dim(x: string, axis: number): string {
    return this.op('Shape', [x], { start: int(axis), end: int(axis + 1) });
  }
}
