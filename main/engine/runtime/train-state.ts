// Putting the trainable state into a StateStore and reading it back, as both step runners (train-step-runner.ts,
// loop-step-runner.ts) keep it: each param under its name, its AdamW moments under their input names
// (`adam_m/p`, `adam_v/p`). A device-resident tensor (WebGPU gpu-buffer) read to the host counts as traffic.
import type { TrainableIO } from '../optim/train-step.ts';
import type { StateStore } from './state-store.ts';
import { elementCount, type HostTensor, tensorByteSize } from './tensors.ts';
import type { TrafficCounter } from './traffic.ts';

/** A host copy of one stored tensor (its bytes counted when it came off the device). */
export async function downloadState(store: StateStore, key: string, traffic: TrafficCounter): Promise<HostTensor> {
  const t = store.get(key);
  if (t.location !== 'cpu') traffic.countDownload(tensorByteSize(t));
  return store.read(key);
}

/** Params (by name) and AdamW moments (by input name), copied to the host. */
export async function readStoredState(store: StateStore, trainable: readonly TrainableIO[], traffic: TrafficCounter) {
  const params: Record<string, HostTensor> = {};
  const optimizerState: Record<string, HostTensor> = {};
  for (const io of trainable) {
    params[io.name] = await downloadState(store, io.name, traffic);
    for (const key of [io.adamM!.input, io.adamV!.input]) optimizerState[key] = await downloadState(store, key, traffic);
  }
  return { params, optimizerState };
}

/** The params alone (evaluation, export: the AdamW moments are twice their size and not needed). */
export async function readStoredParams(store: StateStore, trainable: readonly TrainableIO[], traffic: TrafficCounter): Promise<Record<string, HostTensor>> {
  const params: Record<string, HostTensor> = {};
  for (const io of trainable) params[io.name] = await downloadState(store, io.name, traffic);
  return params;
}

/**
 * Replaces everything in `store` with the given params (by name) and AdamW moments (by input name), each
 * checked against the graph's dtype and shape; a missing moment starts at zero (`missingMoments: 'zeros'`,
 * a fresh run) or is an error ('required', a resume). With `accumulators`, every param's gradient
 * accumulator is stored too, at zero. Nothing is stored unless everything checks out.
 */
export function setStoredState(
  store: StateStore,
  trainable: readonly TrainableIO[],
  params: Record<string, HostTensor>,
  optimizerState: Record<string, HostTensor>,
  options: { missingMoments: 'zeros' | 'required'; accumulators: boolean },
): void {
  const known = new Set<string>();
  const planned: [string, HostTensor][] = [];
  const plan = (key: string, io: TrainableIO, value: HostTensor | undefined, kind: 'parameter' | 'optimizer state' | 'accumulator'): void => {
    known.add(key);
    if (!value) {
      if (kind === 'parameter' || (kind === 'optimizer state' && options.missingMoments === 'required')) throw new Error(`train state: missing ${kind} '${key}'`);
      value = zeros(io.dtype as HostTensor['dtype'], io.shape);
    }
    const shapeOk = value.dims.length === io.shape.length && value.dims.every((d, i) => d === io.shape[i]);
    if (value.dtype !== io.dtype || !shapeOk || value.data.length !== elementCount(value.dims)) {
      throw new Error(`train state: ${kind} '${key}' is ${value.dtype}[${value.dims}] (${value.data.length} elements), the graph wants ${io.dtype}[${io.shape}]`);
    }
    planned.push([key, value]);
  };
  for (const io of trainable) {
    plan(io.name, io, params[io.name], 'parameter');
    plan(io.adamM!.input, io, optimizerState[io.adamM!.input], 'optimizer state');
    plan(io.adamV!.input, io, optimizerState[io.adamV!.input], 'optimizer state');
    if (options.accumulators) plan(io.gradAccumulator!.input, io, undefined, 'accumulator');
  }
  const unknown = [...Object.keys(params), ...Object.keys(optimizerState)].filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`train state: unknown tensors ${unknown.join(', ')} (not trained by these graphs)`);
  store.clear();
  for (const [key, value] of planned) store.set(key, value);
}

function zeros(dtype: HostTensor['dtype'], dims: number[]): HostTensor {
  const n = elementCount(dims);
  switch (dtype) {
    case 'float32': return { dtype, dims, data: new Float32Array(n) };
    case 'float64': return { dtype, dims, data: new Float64Array(n) };
    case 'float16': case 'bfloat16': return { dtype, dims, data: new Uint16Array(n) };
    default: throw new Error(`cannot zero-initialize optimizer state of dtype ${dtype}`);
  }
}
