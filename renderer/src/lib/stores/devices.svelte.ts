// What this machine (the back end's) can run on: execution providers, GPUs, and the GPU set-up command.
import { api } from '../api/client.ts';
import type { ApiError, DevicesInfo } from '../api/types.ts';

class DevicesStore {
  #info = $state<DevicesInfo | null>(null);
  #busy = $state(false);
  #error = $state<ApiError | null>(null);

  get info(): DevicesInfo | null {
    return this.#info;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): ApiError | null {
    return this.#error;
  }

  /** `probe` asks the back end to test the providers again instead of answering from its cache. */
  async refresh(probe = false): Promise<void> {
    this.#busy = true;
    const res = await api.call('devices.info', { refresh: probe });
    this.#busy = false;
    if (res.ok) {
      this.#info = res.value;
      this.#error = null;
    } else {
      this.#error = res.error;
    }
  }

  clear(): void {
    this.#info = null;
    this.#error = null;
  }
}

export const devices = new DevicesStore();
