// onnxruntime's float32 matmul speed on this machine (1024×1024 by default), as a health check
// printed next to a training benchmark: it shows what the BLAS on each side can do.
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../main/engine/onnx/emit.ts';

export async function ortMatmulGflops(n = 1024, reps = 20, provider = 'cpu'): Promise<number> {
  const model = encodeModel({
    graph: {
      name: 'matmul_probe',
      nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
      inputs: [{ name: 'a', dtype: 'float32', shape: [n, n] }, { name: 'b', dtype: 'float32', shape: [n, n] }],
      outputs: [{ name: 'c', dtype: 'float32', shape: [n, n] }],
      initializers: [],
    },
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider] });
  const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => Math.random()), [n, n]);
  const b = new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => Math.random()), [n, n]);
  const out = new ort.Tensor('float32', new Float32Array(n * n), [n, n]);
  for (let i = 0; i < 3; i++) await session.run({ a, b }, { c: out });
  const started = performance.now();
  for (let i = 0; i < reps; i++) await session.run({ a, b }, { c: out });
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  return (2 * n ** 3 * reps) / seconds / 1e9;
}
