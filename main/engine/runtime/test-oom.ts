// Test hooks (#21). Out of memory: makes a train-step run fail with onnxruntime's real out-of-memory text, so the trainers'
// OOM recovery (checkpoint, halve the micro-batch, double accumulation, retry) can be tested on the CPU,
// where nothing runs out of memory at test sizes. Off unless SAENGGAK_TEST_OOM_AT_STEP is set:
//
//   SAENGGAK_TEST_OOM_AT_STEP=N   from optimizer step N on, a micro-batch ...
//   SAENGGAK_TEST_OOM_ROWS=R      ... of more than R rows (default 0: any) fails before its session runs.
//
// A size threshold, not a one-shot: that is how real memory behaves (the halved micro-batch fits, or with
// R small enough it does not, which drives the "second failure stops" path).

/** The text onnxruntime's BFC arena throws when an allocation fails (the same on CUDA and CPU arenas). */
export function ortOutOfMemoryMessage(bytes: number, node = 'MatMul'): string {
  return (
    `Non-zero status code returned while running ${node} node. Name:'${node}_oom' Status Message: ` +
    `/onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) ` +
    `Failed to allocate memory for requested buffer of size ${bytes}`
  );
}

/** Throws the OOM error when the hook is on and this micro-batch (rows = its first dimension) is over the limit. */
export function injectTestOutOfMemory(stepNumber: number, rows: number): void {
  const at = process.env.SAENGGAK_TEST_OOM_AT_STEP;
  if (!at) return;
  const fromStep = Number(at);
  const maxRows = Number(process.env.SAENGGAK_TEST_OOM_ROWS ?? 0);
  if (!Number.isInteger(fromStep) || fromStep < 1) throw new Error(`SAENGGAK_TEST_OOM_AT_STEP must be a positive integer, got '${at}'`);
  if (stepNumber >= fromStep && rows > maxRows) throw new Error(ortOutOfMemoryMessage(rows * 2 ** 20));
}

// Device loss (#21), the same way: SAENGGAK_TEST_DEVICE_LOST_AT_STEP=N makes optimizer step N (and every later
// one: a lost device stays lost) fail with the text onnxruntime's CUDA provider throws when the GPU stops
// working mid-run, so the trainers' stop-and-checkpoint path runs on the CPU.

/** onnxruntime's CUDA_CALL text for a sticky launch failure (the GPU fell off the bus, a driver reset, an Xid). */
export function ortDeviceLostMessage(gpu = 0, node = 'MatMul'): string {
  return (
    `Non-zero status code returned while running ${node} node. Name:'${node}_lost' Status Message: ` +
    `CUDA failure 719: unspecified launch failure ; GPU=${gpu} ; hostname=localhost ; ` +
    `file=/onnxruntime_src/onnxruntime/core/providers/cuda/gpu_data_transfer.cc ; line=73 ; ` +
    `expr=cudaMemcpyAsync(dst_data, src_data, bytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(stream.GetHandle()));`
  );
}

/** Throws the device-lost error when the hook is on and this step is at or past its step. */
export function injectTestDeviceLoss(stepNumber: number): void {
  const at = process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP;
  if (!at) return;
  const fromStep = Number(at);
  if (!Number.isInteger(fromStep) || fromStep < 1) throw new Error(`SAENGGAK_TEST_DEVICE_LOST_AT_STEP must be a positive integer, got '${at}'`);
  if (stepNumber >= fromStep) throw new Error(ortDeviceLostMessage());
}
