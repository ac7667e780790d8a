// The Devices page's reward server switch: the form (host, port, config), start/stop, and the live status
// (address, token, request rate, latency) polled about once a second while the page is open and the
// server runs. The server lives in the back end; this store only mirrors it, so a reload shows it as it is.
import { api } from '../api/client.ts';
import type { ApiError, RewardServerStatus } from '../api/types.ts';

const POLL_MS = 1000;
/** The default port of `saenggak serve rewards` (DEFAULT_REWARD_PORT in main/reward-server/server.ts). */
export const DEFAULT_REWARD_PORT = 5124;

/** Hosts only this machine can reach (as main/server/auth.ts's isLoopbackHost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The lines saenggak_reward.py reads (main/export/verl/saenggak_reward.py). */
export function rewardEnvLines(origin: string, token: string): string {
  return `SAENGGAK_REWARD_URL=${origin}\nSAENGGAK_REWARD_TOKEN=${token}`;
}

/** A token as the page shows it: only its last 4 characters. */
export function maskToken(token: string): string {
  return `${'•'.repeat(12)}${token.slice(-4)}`;
}

class RewardServerStore {
  host = $state('127.0.0.1');
  port = $state(DEFAULT_REWARD_PORT);
  /** A reward config YAML (absolute, or relative to the workspace); empty: the built-in default. */
  config = $state('');
  /** The explicit choice a non-loopback host needs. */
  exposeToNetwork = $state(false);

  #status = $state<RewardServerStatus | null>(null);
  #busy = $state(false);
  #error = $state<ApiError | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;
  #formFromServer = false;

  get status(): RewardServerStatus | null {
    return this.#status;
  }
  get running(): boolean {
    return this.#status?.running ?? false;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  /** Whether the host field needs the network confirmation before the switch may turn on. */
  get needsExposeChoice(): boolean {
    return !isLoopbackHost(this.host);
  }
  get canStart(): boolean {
    return !this.#busy && Number.isInteger(this.port) && this.port >= 0 && this.port <= 65535 && this.host.trim() !== '' && (!this.needsExposeChoice || this.exposeToNetwork);
  }

  /** The page is shown: read the status, and poll while the server runs. */
  open(): void {
    void this.refresh();
    this.#timer ??= setInterval(() => {
      if (this.running && !this.#busy) void this.refresh();
    }, POLL_MS);
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async refresh(): Promise<void> {
    const res = await api.call('rewardServer.status', {});
    if (res.ok) this.#apply(res.value);
    else this.#error = res.error;
  }

  /** The switch: starts with the form's settings, or stops. */
  async toggle(): Promise<void> {
    if (this.#busy) return;
    if (!this.running && !this.canStart) return;
    this.#busy = true;
    this.#error = null;
    const res = this.running
      ? await api.call('rewardServer.stop', {})
      : await api.call('rewardServer.start', {
          host: this.host.trim(),
          port: this.port,
          config: this.config.trim() || undefined,
          exposeToNetwork: this.needsExposeChoice && this.exposeToNetwork,
        });
    this.#busy = false;
    if (res.ok) this.#apply(res.value);
    else this.#error = res.error;
  }

  #apply(status: RewardServerStatus): void {
    this.#status = status;
    this.#error = null;
    // A server found running (started before this page opened) shows its own settings in the form, once.
    if (status.running && !this.#formFromServer) {
      this.host = status.host;
      this.port = status.port;
      this.config = status.config?.path ?? '';
      this.exposeToNetwork = !isLoopbackHost(status.host);
      this.#formFromServer = true;
    }
    if (!status.running) this.#formFromServer = false;
  }
}

export const rewardServer = new RewardServerStore();
