// The devices a run form can start on and the default one (first free GPU, else CPU) with the reason,
// from devices.choices (#21). Refreshed when a form opens: free memory and queues change.
import { api } from '../api/client.ts';
import type { ApiError, DeviceChoices } from '../api/types.ts';

class DeviceChoicesStore {
  #value = $state<DeviceChoices | null>(null);
  #error = $state<ApiError | null>(null);

  get value(): DeviceChoices | null {
    return this.#value;
  }
  get error(): ApiError | null {
    return this.#error;
  }

  /** The device a form sends: the one picked, else the default (undefined until the choices are known). */
  resolve(picked: string): string | undefined {
    return picked || this.#value?.default;
  }

  /**
   * The device a job is started with: a GPU (picked or the default) goes through that device's queue; the
   * CPU only when picked, so a CPU default keeps CPU runs starting at once as before.
   */
  forJob(picked: string): string | undefined {
    const device = this.resolve(picked);
    return device === 'cpu' && !picked ? undefined : device;
  }

  async refresh(): Promise<void> {
    const res = await api.call('devices.choices', {});
    if (res.ok) {
      this.#value = res.value;
      this.#error = null;
    } else {
      this.#error = res.error;
    }
  }

  clear(): void {
    this.#value = null;
    this.#error = null;
  }
}

export const deviceChoices = new DeviceChoicesStore();
