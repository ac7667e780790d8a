// Tensors carried between graph runs (trainable parameters, AdamW moments, gradient accumulators),
// keyed by state name. Where they live depends on the provider:
// - WebGPU: device-resident `gpu-buffer` tensors; a run's outputs replace them and the old buffers
//   are released;
// - CPU/CUDA (outputs land in host memory): two host buffers per tensor alternate; a run writes into
//   the spare (preallocated fetch), so steps allocate nothing large and a failed step leaves the
//   current value untouched.

import * as ort from 'onnxruntime-node';
import { type HostTensor, elementCount, toHostTensor, toOrtTensor } from './tensors.ts';

export class StateStore {
  private readonly current = new Map<string, ort.Tensor>();
  private readonly spare = new Map<string, ort.Tensor>();

  constructor(readonly deviceResident: boolean) {}

  has(key: string): boolean {
    return this.current.has(key);
  }

  keys(): string[] {
    return [...this.current.keys()];
  }

  get(key: string): ort.Tensor {
    const t = this.current.get(key);
    if (!t) throw new Error(`state '${key}' is not set`);
    return t;
  }

  /** The preallocated host tensor the next run writes `key`'s new value into; null on device-resident stores. */
  fetchTarget(key: string): ort.Tensor | null {
    if (this.deviceResident) return null;
    const spare = this.spare.get(key);
    if (!spare) throw new Error(`state '${key}' is not set`);
    return spare;
  }

  /** Makes a run's output (on host stores: the filled fetch target) the current value of `key`. */
  commit(key: string, output: ort.Tensor): void {
    const previous = this.get(key);
    if (this.deviceResident) {
      this.current.set(key, output);
      if (previous !== output && previous.location !== 'cpu') previous.dispose();
      return;
    }
    // onnxruntime-node filled the preallocated spare (the tensor it returns is a copy of it).
    this.current.set(key, this.spare.get(key)!);
    this.spare.set(key, previous);
  }

  /** Releases outputs of a run whose results are being thrown away. */
  discard(output: ort.Tensor | undefined): void {
    if (this.deviceResident && output && output.location !== 'cpu') output.dispose();
  }

  /** Sets `key` from host memory (copied: the store writes into its buffers later). */
  set(key: string, value: HostTensor): void {
    const copy = { ...value, data: value.data.slice() as HostTensor['data'] };
    this.drop(key);
    this.current.set(key, toOrtTensor(copy, key));
    if (!this.deviceResident) {
      const Ctor = copy.data.constructor as new (n: number) => HostTensor['data'];
      this.spare.set(key, toOrtTensor({ ...copy, data: new Ctor(elementCount(copy.dims)) }, key));
    }
  }

  /** Zero-fills `key` in place (host) or replaces it with zeros (device). */
  zero(key: string): void {
    const t = this.get(key);
    if (t.location === 'cpu') {
      (t.data as { fill(v: number | bigint): void }).fill(t.type === 'int64' ? (0n as never) : 0);
      return;
    }
    const Ctor = t.type === 'float16' ? Uint16Array : t.type === 'float64' ? Float64Array : Float32Array;
    this.set(key, { dtype: t.type as HostTensor['dtype'], dims: [...t.dims], data: new Ctor(elementCount(t.dims)) });
  }

  /** A host copy of `key`'s value. */
  async read(key: string): Promise<HostTensor> {
    const host = await toHostTensor(this.get(key));
    return { ...host, data: host.data.slice() as HostTensor['data'] };
  }

  clear(): void {
    for (const key of this.keys()) this.drop(key);
  }

  private drop(key: string): void {
    const t = this.current.get(key);
    if (t && t.location !== 'cpu') t.dispose();
    this.current.delete(key);
    this.spare.delete(key);
  }
}
