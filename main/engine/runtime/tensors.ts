// Conversions between the emitter's plain tensors (OnnxTensor) and onnxruntime tensors, plus the
// byte and shape bookkeeping the executor reports.

import * as ort from 'onnxruntime-node';
import type { OnnxDataType, OnnxTensorData } from '../onnx/model.ts';

/** A tensor in host memory, as checkpoints and callers see it. */
export type HostTensor = { dtype: OnnxDataType; dims: number[]; data: OnnxTensorData };

/** onnxruntime-js has no bfloat16 tensor type; everything else maps one to one. */
type OrtDtype = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

const ORT_DTYPE: Partial<Record<OnnxDataType, OrtDtype>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1,
  uint16: 2, int16: 2, uint32: 4, uint64: 8,
};

export function toOrtTensor(tensor: HostTensor, what = 'tensor'): ort.Tensor {
  const type = ORT_DTYPE[tensor.dtype];
  if (!type) throw new Error(`${what}: dtype ${tensor.dtype} cannot be fed to onnxruntime-node (no JS tensor type)`);
  return new ort.Tensor(type, tensor.data as never, tensor.dims);
}

/** Copies a host-resident onnxruntime tensor into a HostTensor (downloads device tensors first). */
export async function toHostTensor(tensor: ort.Tensor): Promise<HostTensor> {
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData();
  return { dtype: tensor.type as OnnxDataType, dims: [...tensor.dims], data: data as OnnxTensorData };
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Bytes a tensor occupies (independent of where it lives). */
export function tensorByteSize(tensor: { type: string; dims: readonly number[] }): number {
  return elementCount(tensor.dims) * (BYTES_PER_ELEMENT[tensor.type] ?? 0);
}

export function describeTensor(tensor: { type: string; dims: readonly number[]; location?: string }): string {
  const where = tensor.location && tensor.location !== 'cpu' ? ` @${tensor.location}` : '';
  return `${tensor.type}[${tensor.dims.join(',')}]${where}`;
}
