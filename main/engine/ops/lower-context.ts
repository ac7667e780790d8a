// What an op's lowering rule may ask of the lowering pass (implemented in ../lower.ts). Kept as an
// interface so the op table does not depend on the lowering's internals.

import type { OnnxAttribute } from '../onnx/model.ts';
import type { DType } from '../ir/dtype.ts';
import type { Dim } from '../ir/dim.ts';
import type { Node, Tensor } from '../ir/graph.ts';

export interface LowerContext {
  /** The ONNX value name of an IR tensor. */
  valueName(t: Tensor): string;
  /** The ONNX value names of a node's outputs. */
  outputNames(node: Node): string[];
  /** Appends an ONNX node named `${node.name}` (or `${node.name}/${suffix}` for helper nodes). */
  emit(node: Node, opType: string, inputs: string[], outputs: string[], attrs?: Record<string, OnnxAttribute>, suffix?: string): void;
  /** A fresh value name for a helper node's output. */
  temp(node: Node, suffix: string): string;
  /** A constant 1-D int64 tensor (shared). */
  int64s(values: readonly number[]): string;
  /** A scalar constant initializer of the given dtype (shared). */
  scalarConst(value: number, dtype: DType): string;
  /** A 1-D int64 shape tensor for `dims`; symbolic dims are read off the graph inputs that carry them. */
  shapeTensor(dims: readonly Dim[]): string;
  /** A 0-D int64 tensor holding one (possibly symbolic) dimension. */
  scalarDim(dim: Dim): string;
}

export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value: [...value] }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
};
