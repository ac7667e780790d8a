// Background jobs: the list (kept live by 'job.updated' events), cancelling, and the log of the selected job.
import { api } from '../api/client.ts';
import type { ApiError, JobRecord } from '../api/types.ts';

const LOG_TAIL = 200;
/** A running job's log is re-read at most this often while it is shown. */
const LOG_REFRESH_MS = 1000;

export function isActive(job: JobRecord): boolean {
  return job.status === 'running' || job.status === 'queued';
}

class JobsStore {
  #byId = $state<Record<string, JobRecord>>({});
  #loaded = $state(false);
  #error = $state<ApiError | null>(null);
  #selectedId = $state<string | null>(null);
  #log = $state<string[]>([]);
  #logFor: string | null = null;
  #logTimer: ReturnType<typeof setTimeout> | null = null;
  #listeners = new Set<(job: JobRecord) => void>();

  /** Newest first. */
  list = $derived(Object.values(this.#byId).sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
  active = $derived(this.list.filter(isActive));

  constructor() {
    api.on('job.updated', (job) => this.#update(job));
    api.on('workspace.changed', () => {
      this.clear();
      void this.refresh();
    });
    api.onReconnect(() => void this.refresh());
  }

  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get selectedId(): string | null {
    return this.#selectedId;
  }
  get selected(): JobRecord | null {
    return this.#selectedId ? (this.#byId[this.#selectedId] ?? null) : null;
  }
  get log(): string[] {
    return this.#log;
  }

  get(id: string): JobRecord | null {
    return this.#byId[id] ?? null;
  }

  /** Called for every job change, after the store has applied it (imports follow their jobs this way). */
  subscribe(listener: (job: JobRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async refresh(): Promise<void> {
    const res = await api.call('jobs.list', { limit: 200 });
    this.#loaded = true;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    void this.loadPausedQueues();
    const next: Record<string, JobRecord> = {};
    for (const job of res.value) next[job.id] = job;
    this.#byId = next;
    for (const job of res.value) this.#notify(job);
  }

  /** Fetches one job (used right after starting it, in case its first events were missed). */
  async fetch(id: string): Promise<JobRecord | null> {
    const res = await api.call('jobs.get', { id });
    if (!res.ok) return null;
    this.#update(res.value);
    return res.value;
  }

  async cancel(id: string): Promise<ApiError | null> {
    const res = await api.call('jobs.cancel', { id });
    return res.ok ? null : res.error;
  }

  #paused = $state<string[]>([]);

  /** Devices whose queue is paused (#21). */
  get pausedQueues(): string[] {
    return this.#paused;
  }

  #lost = $state<{ device: string; message: string }[]>([]);

  /** Devices lost during a job (#21): paused until the user resumes them after a reset. */
  get lostDevices(): { device: string; message: string }[] {
    return this.#lost;
  }

  async loadPausedQueues(): Promise<void> {
    const res = await api.call('jobs.pausedQueues', {});
    if (res.ok) {
      this.#paused = res.value.paused;
      this.#lost = res.value.lost;
    }
  }

  /** Pauses or resumes a device's queue: paused, the running job finishes and the next waits. */
  async pauseQueue(device: string, paused: boolean): Promise<ApiError | null> {
    const res = await api.call('jobs.pauseQueue', { device, paused });
    if (!res.ok) return res.error;
    this.#paused = res.value.paused;
    // Resuming is how a lost device is declared working again.
    if (!paused) this.#lost = this.#lost.filter((l) => l.device !== device);
    return null;
  }

  /** Moves a job waiting for its device to `position` in line (1 = next). */
  async reorder(id: string, position: number): Promise<ApiError | null> {
    const res = await api.call('jobs.reorder', { id, position });
    return res.ok ? null : res.error;
  }

  select(id: string | null): void {
    this.#selectedId = id;
    this.#log = [];
    this.#logFor = id;
    if (id) void this.#loadLog(id);
  }

  clear(): void {
    this.#byId = {};
    this.#loaded = false;
    this.#selectedId = null;
    this.#log = [];
    this.#logFor = null;
  }

  #update(job: JobRecord): void {
    const previous = this.#byId[job.id];
    this.#byId[job.id] = job;
    if (job.id === this.#logFor && (isActive(job) || (previous && isActive(previous)))) this.#scheduleLog(job.id);
    this.#notify(job);
  }

  #notify(job: JobRecord): void {
    for (const l of this.#listeners) l(job);
  }

  #scheduleLog(id: string): void {
    if (this.#logTimer) return;
    this.#logTimer = setTimeout(() => {
      this.#logTimer = null;
      if (this.#logFor === id) void this.#loadLog(id);
    }, LOG_REFRESH_MS);
  }

  async #loadLog(id: string): Promise<void> {
    const res = await api.call('jobs.log', { id, tail: LOG_TAIL });
    if (this.#logFor !== id) return;
    this.#log = res.ok ? res.value.lines : [`(${res.error.code}) ${res.error.message}`];
  }
}

export const jobs = new JobsStore();
