// The Neurons page's state: the workspace's neuron selection files, the one shown, and the one it is
// compared with (overlap). Only this store calls the neurons API.
import { api } from '../api/client.ts';
import type { ApiError, NeuronOverlap, NeuronSelection, NeuronSelectionItem } from '../api/types.ts';

class NeuronsStore {
  #items = $state<NeuronSelectionItem[]>([]);
  #loaded = $state(false);
  #current = $state<{ path: string; selection: NeuronSelection } | null>(null);
  #compare = $state<{ path: string; overlap: NeuronOverlap } | null>(null);
  #error = $state<ApiError | null>(null);

  get items(): NeuronSelectionItem[] {
    return this.#items;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get current(): { path: string; selection: NeuronSelection } | null {
    return this.#current;
  }
  get compare(): { path: string; overlap: NeuronOverlap } | null {
    return this.#compare;
  }
  get error(): ApiError | null {
    return this.#error;
  }

  async refresh(): Promise<void> {
    const res = await api.call('neurons.list', {});
    this.#loaded = true;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#items = res.value;
    if (!this.#current && res.value.length) await this.show(res.value[0].path);
  }

  async show(path: string): Promise<void> {
    const res = await api.call('neurons.get', { path });
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#current = { path, selection: res.value };
    if (this.#compare?.path === path) this.#compare = null;
    else if (this.#compare) await this.compareWith(this.#compare.path);
  }

  async compareWith(path: string | null): Promise<void> {
    if (!path || !this.#current) {
      this.#compare = null;
      return;
    }
    const res = await api.call('neurons.overlap', { a: this.#current.path, b: path });
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#compare = { path, overlap: res.value };
  }

  clear(): void {
    this.#items = [];
    this.#loaded = false;
    this.#current = null;
    this.#compare = null;
    this.#error = null;
  }
}

export const neurons = new NeuronsStore();
