// One queue per device (#21): a job whose input names a device (`input.device`: cpu, webgpu, cuda:N) runs
// when that device is free; the next one starts when it ends. Jobs without a device, and light kinds
// (imports, exports, data builds) never wait. The order is the jobs' creation order unless reordered;
// the runner keeps the records durable (status 'queued' in job.json), so a restarted app queues them again.

/** Kinds that never wait for a device: file and network work, no model on a device. */
export const LIGHT_KINDS: ReadonlySet<string> = new Set(['import', 'export', 'build']);

/** The device a job waits for, or null when it runs at once. */
export function queueDeviceFor(kind: string, input: unknown): string | null {
  if (LIGHT_KINDS.has(kind)) return null;
  const device = (input as { device?: unknown } | null)?.device;
  if (typeof device !== 'string') return null;
  const m = /^(cpu|webgpu|cuda)(?::(\d+))?$/.exec(device.trim().toLowerCase());
  if (!m) throw Object.assign(new Error(`job device must be cpu, webgpu or cuda:N, got "${device}"`), { code: 'invalid_input' });
  // `cuda` alone queues with GPU 0: a job process sees one CUDA device either way.
  return m[1] === 'cuda' ? `cuda:${m[2] ?? 0}` : m[1]!;
}

/**
 * The environment that puts a job process on its device: the provider for every session, and for CUDA the
 * one GPU it may see (nvidia-smi's index = PCI bus order).
 */
export function deviceEnv(device: string): Record<string, string> {
  const cuda = /^cuda:(\d+)$/.exec(device);
  if (cuda) return { SAENGGAK_DEVICE_PROVIDER: 'cuda', SAENGGAK_DEVICE: device, CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: cuda[1]! };
  return { SAENGGAK_DEVICE_PROVIDER: device, SAENGGAK_DEVICE: device };
}

type Waiting = { id: string; start: () => void };

export class DeviceQueues {
  /** device → the job running on it. */
  readonly #running = new Map<string, string>();
  /** device → jobs waiting, first in line first. */
  readonly #waiting = new Map<string, Waiting[]>();
  /** Devices whose line does not advance: the running job finishes, nothing new starts until resumed. */
  readonly #paused = new Set<string>();

  /** Starts at once when the device is free (and its queue not paused), else waits; returns the queue position (0 = started). */
  enqueue(device: string, id: string, start: () => void): number {
    if (!this.#running.has(device) && !this.#paused.has(device)) {
      this.#running.set(device, id);
      start();
      return 0;
    }
    const line = this.#waiting.get(device) ?? [];
    line.push({ id, start });
    this.#waiting.set(device, line);
    return line.length;
  }

  /** The job on `device` ended: the next in line starts. */
  release(device: string, id: string): void {
    if (this.#running.get(device) !== id) return;
    this.#running.delete(device);
    this.#startNext(device);
  }

  #startNext(device: string): void {
    if (this.#paused.has(device) || this.#running.has(device)) return;
    const next = this.#waiting.get(device)?.shift();
    if (next) {
      this.#running.set(device, next.id);
      next.start();
    }
  }

  /**
   * Pauses or resumes a device's line. Paused, the job running there finishes but the next does not start
   * (to free a GPU for something else, or to reorder calmly); resumed, the next in line starts if the device is free.
   */
  setPaused(device: string, paused: boolean): void {
    if (paused) this.#paused.add(device);
    else {
      this.#paused.delete(device);
      this.#startNext(device);
    }
  }

  /** Devices whose queue is paused, sorted. */
  paused(): string[] {
    return [...this.#paused].sort();
  }

  /** Takes a waiting job out of its line; false when it is not waiting. */
  remove(id: string): boolean {
    for (const line of this.#waiting.values()) {
      const at = line.findIndex((w) => w.id === id);
      if (at >= 0) {
        line.splice(at, 1);
        return true;
      }
    }
    return false;
  }

  /** Moves a waiting job to `position` (1 = next) in its line; false when it is not waiting. */
  move(id: string, position: number): boolean {
    for (const line of this.#waiting.values()) {
      const at = line.findIndex((w) => w.id === id);
      if (at < 0) continue;
      const [item] = line.splice(at, 1);
      line.splice(Math.max(0, Math.min(line.length, position - 1)), 0, item!);
      return true;
    }
    return false;
  }

  /** 1-based position of a waiting job, or null. */
  position(id: string): { device: string; position: number } | null {
    for (const [device, line] of this.#waiting) {
      const at = line.findIndex((w) => w.id === id);
      if (at >= 0) return { device, position: at + 1 };
    }
    return null;
  }

  /** Every device's running job and line, for the Jobs page. */
  snapshot(): { device: string; running: string | null; waiting: string[] }[] {
    const devices = new Set([...this.#running.keys(), ...this.#waiting.keys()]);
    return [...devices].sort().map((device) => ({ device, running: this.#running.get(device) ?? null, waiting: (this.#waiting.get(device) ?? []).map((w) => w.id) }));
  }
}
