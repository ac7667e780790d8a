// The Devices page's GPU support panel: the back end's set-up status (installed runtime, prerequisites,
// last CUDA check, offline instructions) and the install it runs, polled twice a second while installing.
import { api } from '../api/client.ts';
import type { ApiError, GpuSetupView } from '../api/types.ts';

const POLL_MS = 500;

class GpuSetupStore {
  /** The user's explicit choice for an archive whose digest the app has not recorded. */
  allowUnrecordedDigest = $state(false);

  #view = $state<GpuSetupView | null>(null);
  #busy = $state(false);
  #checking = $state(false);
  #error = $state<ApiError | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;

  get view(): GpuSetupView | null {
    return this.#view;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get checking(): boolean {
    return this.#checking;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get installing(): boolean {
    return this.#view?.install.running ?? false;
  }
  /** The archive's digest is not recorded in this app version (the install needs the explicit choice). */
  get digestUnrecorded(): boolean {
    return this.#view?.plan?.files.some((f) => f.sha256 === null) ?? false;
  }
  get canInstall(): boolean {
    return !this.#busy && !this.installing && this.#view?.plan != null && (!this.digestUnrecorded || this.allowUnrecordedDigest);
  }

  open(): void {
    void this.refresh();
    this.#timer ??= setInterval(() => {
      if (this.installing && !this.#busy) void this.refresh();
    }, POLL_MS);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** `verify` re-checks through the installed runtime (after files were placed by hand, or a driver update). */
  async refresh(verify = false): Promise<void> {
    if (verify) this.#checking = true;
    const res = await api.call('gpuSetup.status', { verify });
    if (verify) this.#checking = false;
    if (res.ok) {
      this.#view = res.value;
      this.#error = null;
    } else this.#error = res.error;
  }

  async install(): Promise<void> {
    this.#busy = true;
    const res = await api.call('gpuSetup.install', { allowUnrecordedDigest: this.allowUnrecordedDigest });
    this.#busy = false;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    await this.refresh();
  }

  clear(): void {
    this.#view = null;
    this.#error = null;
  }
}

export const gpuSetup = new GpuSetupStore();
