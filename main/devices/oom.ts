// Out-of-memory and device loss, recognised from onnxruntime's own error text (#21), and the recovery
// step a trainer takes: checkpoint, halve the micro-batch and double gradient accumulation (the effective
// batch, and so the loss curve, stays the same), retry once; a second failure stops with what to change.
//
// The texts are onnxruntime's: the BFC arena's "Failed to allocate memory for requested buffer of size N"
// (CUDA and the CPU arena), CUDA_CALL's "CUDA failure 2: out of memory", cuBLAS/cuDNN allocation statuses,
// a C++ std::bad_alloc surfacing as "bad allocation" / "std::bad_alloc", WebGPU's "Out of memory"; device
// loss as CUDA's unknown/launch failures or WebGPU's "Device was lost".

export type DeviceErrorKind = 'oom' | 'device-lost';

const OOM = [
  /Failed to allocate memory for requested buffer of size \d+/,
  /CUDA failure 2: out of memory/i,
  /CUBLAS_STATUS_ALLOC_FAILED/,
  /CUDNN_STATUS_ALLOC_FAILED/,
  /std::bad_alloc|\bbad allocation\b/,
  /\bout of memory\b/i,
];

const DEVICE_LOST = [
  /CUDA failure (?:999|46|700|719)\b/,
  /cudaErrorDevicesUnavailable|cudaErrorLaunchFailure|an illegal memory access was encountered/i,
  /Device was lost|device lost/i,
];

export function classifyDeviceError(error: unknown): DeviceErrorKind | null {
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  if (DEVICE_LOST.some((re) => re.test(text))) return 'device-lost';
  if (OOM.some((re) => re.test(text))) return 'oom';
  return null;
}

export type BatchShape = { microBatch: number; accumulation: number };

export type OomDecision =
  | { action: 'retry'; from: BatchShape; to: BatchShape; note: string }
  | { action: 'stop'; message: string };

/**
 * What to do after an out-of-memory on attempt `attempt` (1 = the first failure). Retries once with half
 * the micro-batch and twice the accumulation; stops when that was already tried or the micro-batch is 1.
 */
export function afterOutOfMemory(shape: BatchShape, attempt: number, device = 'the device'): OomDecision {
  const advice =
    'lower batchSize or maxSeqLength, train with LoRA instead of all weights, turn on gradientCheckpointing, use bf16, ' +
    'or run on a GPU with more free memory (the memory estimate on the run form shows what fits)';
  if (attempt >= 2) return { action: 'stop', message: `out of memory on ${device} again after halving the micro-batch to ${shape.microBatch}: ${advice}` };
  if (shape.microBatch <= 1) return { action: 'stop', message: `out of memory on ${device} with a micro-batch of 1: ${advice}` };
  if (shape.microBatch % 2 !== 0) {
    return { action: 'stop', message: `out of memory on ${device}; a micro-batch of ${shape.microBatch} cannot be halved without changing the effective batch: ${advice}` };
  }
  const to = { microBatch: shape.microBatch / 2, accumulation: shape.accumulation * 2 };
  return {
    action: 'retry',
    from: shape,
    to,
    note: `out of memory on ${device}: retrying from the last checkpoint with micro-batch ${shape.microBatch} → ${to.microBatch} and gradient accumulation ${shape.accumulation} → ${to.accumulation} (same effective batch ${shape.microBatch * shape.accumulation})`,
  };
}
