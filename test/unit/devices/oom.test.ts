// OOM and device-loss recognition from onnxruntime's real error texts, and the halve-and-retry decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterOutOfMemory, classifyDeviceError } from '../../../main/devices/oom.ts';

// As onnxruntime-node throws them (abridged paths, the wording kept).
const BFC =
  "Non-zero status code returned while running MatMul node. Name:'/model/layers.0/mlp/up_proj/MatMul' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 2147483648";
const CUDA_OOM =
  'Non-zero status code returned while running Add node. Status Message: CUDA failure 2: out of memory ; GPU=0 ; hostname=box ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_allocator.cc ; line=47 ; expr=cudaMalloc((void**)&p, size);';
const LOST = 'CUDA failure 999: unknown error ; GPU=0 ; hostname=box ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc ; line=129';

test("onnxruntime's out-of-memory and device-loss texts are recognised; other errors are not", () => {
  assert.equal(classifyDeviceError(new Error(BFC)), 'oom');
  assert.equal(classifyDeviceError(new Error(CUDA_OOM)), 'oom');
  assert.equal(classifyDeviceError(new Error('CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED')), 'oom');
  assert.equal(classifyDeviceError(new Error('std::bad_alloc')), 'oom');
  assert.equal(classifyDeviceError(new Error(LOST)), 'device-lost');
  assert.equal(classifyDeviceError(new Error('WebGPU: Device was lost')), 'device-lost');
  assert.equal(classifyDeviceError(new Error("Invalid rank for input: x Got: 3 Expected: 2")), null);
  assert.equal(classifyDeviceError('loss is NaN at step 4'), null);
});

test('first OOM: half the micro-batch, twice the accumulation (same effective batch); second: stop with advice', () => {
  const first = afterOutOfMemory({ microBatch: 8, accumulation: 2 }, 1, 'cuda:0');
  assert.equal(first.action, 'retry');
  if (first.action === 'retry') {
    assert.deepEqual(first.to, { microBatch: 4, accumulation: 4 });
    assert.equal(first.to.microBatch * first.to.accumulation, 8 * 2);
    assert.match(first.note, /micro-batch 8 → 4 and gradient accumulation 2 → 4 \(same effective batch 16\)/);
  }
  const second = afterOutOfMemory({ microBatch: 4, accumulation: 4 }, 2, 'cuda:0');
  assert.equal(second.action, 'stop');
  assert.match(second.action === 'stop' ? second.message : '', /again after halving.*LoRA.*gradientCheckpointing/);
  assert.equal(afterOutOfMemory({ microBatch: 1, accumulation: 8 }, 1).action, 'stop');
  assert.equal(afterOutOfMemory({ microBatch: 3, accumulation: 1 }, 1).action, 'stop', 'an odd micro-batch cannot keep the effective batch');
});
