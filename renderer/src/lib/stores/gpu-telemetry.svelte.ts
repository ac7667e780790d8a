// Live GPU telemetry for the Devices page: the back end samples nvidia-smi about once a second while this
// store polls (it stops by itself when the page closes); the store keeps the back end's last minute.
import { api } from '../api/client.ts';
import type { ApiError, GpuInfo, TelemetryView } from '../api/types.ts';

const POLL_MS = 1000;

class GpuTelemetryStore {
  #view = $state<TelemetryView | null>(null);
  #error = $state<ApiError | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;

  get view(): TelemetryView | null {
    return this.#view;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  /** The newest reading per GPU index. */
  get latest(): Map<number, GpuInfo> {
    const last = this.#view?.samples.at(-1);
    return new Map((last?.gpus ?? []).map((g) => [g.index, g]));
  }

  open(): void {
    void this.refresh();
    this.#timer ??= setInterval(() => void this.refresh(), POLL_MS);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async refresh(): Promise<void> {
    const res = await api.call('devices.telemetry', {});
    if (res.ok) {
      this.#view = res.value;
      this.#error = null;
    } else this.#error = res.error;
  }
}

export const gpuTelemetry = new GpuTelemetryStore();
