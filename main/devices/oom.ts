// Out-of-memory and device loss, recognised from onnxruntime's own error text (#21), and the recovery
// step a trainer takes: checkpoint, halve the micro-batch and double gradient accumulation (the effective
// batch, and so the loss curve, stays the same), retry once; a second failure stops with what to change.
//
// The texts are onnxruntime's: the BFC arena's "Failed to allocate memory for requested buffer of size N"
// (CUDA and the CPU arena), CUDA_CALL's "CUDA failure 2: out of memory", cuBLAS/cuDNN allocation statuses,
// a C++ std::bad_alloc surfacing as "bad allocation" / "std::bad_alloc", WebGPU's "Out of memory"; device
// loss as CUDA's unknown/launch failures or WebGPU's "Device was lost".
//
// Device loss is not retried (#21): the CUDA context is unusable after a sticky error (a device-side
// assert, an unspecified launch failure, an illegal address) or the GPU has gone (Xid, driver reset, "no
// CUDA-capable device"), so the run checkpoints what it can, the device's queue stops taking jobs, and the
// run stops with a message saying how to go on (deviceLostMessage).

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
  // 999 unknown, 46 devices unavailable, 100 no device, 700 illegal address, 710 device-side assert,
  // 719 unspecified launch failure: onnxruntime's CUDA_CALL prints "CUDA failure N: <cudaGetErrorString>".
  /CUDA failure (?:999|46|100|700|710|719)\b/,
  /cudaErrorDevicesUnavailable|cudaErrorLaunchFailure|cudaErrorNoDevice|cudaErrorAssert|an illegal memory access was encountered/i,
  /device-side assert triggered|unspecified launch failure|no CUDA-capable device is detected/i,
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

/**
 * The message a run stops with when its device was lost (#21): what happened, where the run was saved, and
 * the two ways on — another device now, or the same one after a reset — with the commands for both.
 */
export function deviceLostMessage(at: {
  device: string;
  /** The step that failed (1-based). */
  step: number;
  /** The step the run can resume from (its newest checkpoint), or null when none was saved. */
  checkpointStep: number | null;
  run: string;
  /** `train sft`, `train rm`, `train grpo`: the CLI command that resumes it. */
  command: string;
  cause: unknown;
}): string {
  const cause = String((at.cause as Error)?.message ?? at.cause).split('\n')[0];
  const saved =
    at.checkpointStep === null ? 'no checkpoint was saved, so a resume starts from step 0' : `the run was checkpointed at step ${at.checkpointStep}`;
  const gpu = /^cuda:(\d+)$/.exec(at.device);
  const reset = gpu ? `after resetting the GPU (\`nvidia-smi --gpu-reset -i ${gpu[1]}\`, or a reboot)` : 'after restarting the app';
  return (
    `device lost: ${at.device} stopped working at step ${at.step} (${cause}); ${saved}. It was not retried on that device. ` +
    `To go on, resume run "${at.run}" on another device (Resume on the Train page with another device picked, or \`saenggak ${at.command} --resume ${at.run} --device cpu\`), ` +
    `or on ${at.device} ${reset}.`
  );
}
