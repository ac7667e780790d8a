// The workspace's datasets and which one is selected. Row data lives in rows.svelte.ts, imports in
// imports.svelte.ts.
import { api } from '../api/client.ts';
import type { ApiError, DatasetBuildStats, DatasetInfo } from '../api/types.ts';

const SELECTED_KEY = 'saenggak.selectedDataset';

class DatasetsStore {
  #list = $state<DatasetInfo[]>([]);
  #selectedName = $state<string | null>(globalThis.sessionStorage?.getItem(SELECTED_KEY) ?? null);
  #loaded = $state(false);
  #error = $state<ApiError | null>(null);
  #refreshing: Promise<void> | null = null;

  constructor() {
    api.on('datasets.changed', () => void this.refresh());
    api.on('workspace.changed', () => {
      this.clear();
      void this.refresh();
    });
    api.onReconnect(() => void this.refresh());
  }

  get list(): DatasetInfo[] {
    return this.#list;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get selectedName(): string | null {
    return this.#selectedName;
  }
  /** The selected dataset, or null when none is selected or it no longer exists. */
  get selected(): DatasetInfo | null {
    return this.#list.find((d) => d.name === this.#selectedName) ?? null;
  }

  has(name: string): boolean {
    return this.#list.some((d) => d.name === name);
  }

  select(name: string | null): void {
    this.#selectedName = name;
    if (name) globalThis.sessionStorage?.setItem(SELECTED_KEY, name);
    else globalThis.sessionStorage?.removeItem(SELECTED_KEY);
  }

  /** Reloads the list; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async delete(name: string): Promise<ApiError | null> {
    const res = await api.call('datasets.delete', { name });
    if (!res.ok) return res.error;
    if (this.#selectedName === name) this.select(null);
    this.#list = this.#list.filter((d) => d.name !== name);
    return null;
  }

  async export(name: string, path: string, options: { format?: 'jsonl' | 'parquet'; chat?: boolean } = {}): Promise<{ ok: true; path: string; rows: number } | { ok: false; error: ApiError }> {
    const res = await api.call('datasets.export', { name, path: path.trim(), ...options });
    return res.ok ? { ok: true, ...res.value } : res;
  }

  /** The stats of the build that wrote `name` (null value when it was imported or mixed, not built). */
  buildStats(name: string): Promise<{ ok: true; value: DatasetBuildStats | null } | { ok: false; error: ApiError }> {
    return api.call('datasets.buildStats', { name });
  }

  clear(): void {
    this.#list = [];
    this.#loaded = false;
    this.#error = null;
  }

  async #load(): Promise<void> {
    const res = await api.call('datasets.list', {});
    this.#loaded = true;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#list = [...res.value].sort((a, b) => a.name.localeCompare(b.name));
    if (!this.selected && this.#list.length > 0 && this.#selectedName === null) this.select(this.#list[0].name);
  }
}

export const datasets = new DatasetsStore();
