// Reading the trainable state out of a StateStore, as both step runners (train-step-runner.ts,
// loop-step-runner.ts) keep it: each param under its name, its AdamW moments under their input names
// (`adam_m/p`, `adam_v/p`). A device-resident tensor (WebGPU gpu-buffer) read to the host counts as traffic.
import type { TrainableIO } from '../optim/train-step.ts';
import type { StateStore } from './state-store.ts';
import { type HostTensor, tensorByteSize } from './tensors.ts';
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
