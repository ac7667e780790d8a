// Element types the IR knows. They are the ONNX types we train and run with; float16 and bfloat16
// are first-class in the IR (shape/dtype inference, lowering) even where a given execution provider
// has no kernel for them, so mixed precision is a matter of Casts, not of a new IR.

import type { OnnxDataType } from '../onnx/model.ts';

export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
export const INT_DTYPES: readonly DType[] = ['int64', 'int32'];

export function isFloat(dtype: DType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}
export function isInt(dtype: DType): boolean {
  return INT_DTYPES.includes(dtype);
}

/** Validates a dtype given by a caller (which may come from untyped JSON or config). */
export function checkDType(dtype: unknown, where: string): DType {
  if (typeof dtype === 'string' && (DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  throw new TypeError(`${where}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}`);
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
      return 2;
    case 'bool':
      return 1;
  }
}

/** IR dtypes are a subset of the ONNX plain-object types, with the same spelling. */
export function toOnnxDType(dtype: DType): OnnxDataType {
  return dtype;
}

/** The most negative finite value worth adding as an attention mask bias in this dtype. */
export function maskingValue(dtype: DType): number {
  return dtype === 'float16' ? -65504 : -1e9;
}
