// Training runs: the list (refreshed when a trainer job changes), the selected run's details, metrics
// kept live by polling runs.metrics by byte offset, the runs picked for comparison, GRPO rollouts and the
// selected run's log. Starting, stopping and resuming go through runs.* and come back as job events.
import { api } from '../api/client.ts';
import type {
  ApiError,
  JobRecord,
  MethodInput,
  RunDetails,
  RunKindName,
  RunMemoryEstimate,
  RunMetricRecord,
  RunRecord,
  RunSamples,
  RunStartModel,
} from '../api/types.ts';
import { isActive, jobs } from './jobs.svelte.ts';

const TRAINER_KINDS = new Set(['sft', 'grpo', 'rm']);
/** How often a live run's metrics and log are re-read. */
const POLL_MS = 1500;
const LOG_TAIL = 300;
const LIST_REFRESH_MS = 1000;

type MetricsState = { records: RunMetricRecord[]; next: number };

export function isLive(run: RunRecord | null | undefined): boolean {
  return !!run && (run.status === 'running' || run.job?.status === 'running' || run.job?.status === 'queued');
}

class RunsStore {
  #list = $state<RunRecord[]>([]);
  #loaded = $state(false);
  #error = $state<ApiError | null>(null);
  #selectedName = $state<string | null>(null);
  #details = $state<RunDetails | null>(null);
  #metrics = $state<Record<string, MetricsState>>({});
  #compare = $state<string[]>([]);
  #samples = $state<RunSamples | null>(null);
  #samplesError = $state<ApiError | null>(null);
  #log = $state<string[]>([]);
  /** Log reads still due after the selected run ended (its job's last lines can land after its final poll). */
  #trailingLogReads = 0;
  #models = $state<RunStartModel[]>([]);
  #timer: ReturnType<typeof setTimeout> | null = null;
  #listTimer: ReturnType<typeof setTimeout> | null = null;
  #jobStatus = new Map<string, string>();
  #wasLive = new Set<string>();
  #refreshing: Promise<void> | null = null;
  /** Reads of one run's metrics are serialised so two polls never append the same page twice. */
  #reading = new Map<string, Promise<void>>();

  constructor() {
    jobs.subscribe((job) => this.#onJob(job));
    api.on('runs.changed', () => void this.refresh());
    api.on('workspace.changed', () => {
      this.clear();
      void this.refresh();
    });
    api.onReconnect(() => void this.refresh());
  }

  get list(): RunRecord[] {
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
  /** The selected run as listed (live status and progress). */
  get selected(): RunRecord | null {
    return this.#list.find((r) => r.name === this.#selectedName) ?? null;
  }
  get details(): RunDetails | null {
    return this.#details && this.#details.run.name === this.#selectedName ? this.#details : null;
  }
  get compare(): string[] {
    return this.#compare;
  }
  get samples(): RunSamples | null {
    return this.#samples;
  }
  get samplesError(): ApiError | null {
    return this.#samplesError;
  }
  get log(): string[] {
    return this.#log;
  }
  /** The newest job started for the selected run (before its folder exists, this is all there is). */
  get selectedJob(): JobRecord | null {
    const name = this.#selectedName;
    return name ? (jobs.list.find((j) => TRAINER_KINDS.has(j.kind) && j.params?.run === name) ?? null) : null;
  }
  get models(): RunStartModel[] {
    return this.#models;
  }

  /** Metric points of a run read so far (empty until its first read). */
  metricsOf(name: string): RunMetricRecord[] {
    return this.#metrics[name]?.records ?? [];
  }

  clear(): void {
    this.#stopPolling();
    this.#list = [];
    this.#loaded = false;
    this.#selectedName = null;
    this.#details = null;
    this.#metrics = {};
    this.#compare = [];
    this.#samples = null;
    this.#log = [];
  }

  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      const res = await api.call('runs.list', {});
      if (res.ok) {
        this.#list = res.value;
        this.#error = null;
      } else if (res.error.code === 'no_workspace') {
        this.#list = [];
        this.#error = null;
      } else {
        this.#error = res.error;
      }
      this.#loaded = true;
    })().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async loadModels(): Promise<void> {
    const res = await api.call('runs.models', {});
    if (res.ok) this.#models = res.value;
  }

  /** Shows a run: details, all its metrics, its newest rollouts, its log; keeps them live while it runs. */
  async select(name: string | null): Promise<void> {
    this.#selectedName = name;
    this.#samples = null;
    this.#samplesError = null;
    this.#log = [];
    this.#trailingLogReads = 0;
    this.#stopPolling();
    if (!name) {
      if (this.#compare.length) this.#schedule();
      return;
    }
    await Promise.all([this.#loadDetails(name), this.readMetrics(name)]);
    if (this.#selectedName !== name) return;
    if (this.details?.sampleSteps.length) await this.loadSamples(null);
    await this.#readLog();
    this.#schedule();
  }

  /** Adds or removes a run from the comparison; its metrics are read when added. */
  async toggleCompare(name: string): Promise<void> {
    if (this.#compare.includes(name)) {
      this.#compare = this.#compare.filter((n) => n !== name);
      return;
    }
    this.#compare = [...this.#compare, name];
    await this.readMetrics(name);
    // Compared runs stay live even when no run is selected.
    if (this.#timer === null) this.#schedule();
  }

  clearCompare(): void {
    this.#compare = [];
  }

  /** Appends the run's new metric points (from the byte offset of the last read). */
  readMetrics(name: string): Promise<void> {
    const previous = this.#reading.get(name) ?? Promise.resolve();
    const next = previous.then(async () => {
      const state = this.#metrics[name] ?? { records: [], next: 0 };
      const res = await api.call('runs.metrics', { name, from: state.next });
      if (!res.ok) return;
      const page = res.value;
      if (page.records.length === 0 && page.next === state.next && !page.restarted) return;
      // A resumed run truncated its file below our offset: the back end read it again from the start.
      const records = page.restarted ? page.records : [...state.records, ...page.records];
      this.#metrics = { ...this.#metrics, [name]: { records, next: page.next } };
    });
    this.#reading.set(name, next);
    return next;
  }

  async loadSamples(step: number | null): Promise<void> {
    const name = this.#selectedName;
    if (!name) return;
    const res = await api.call('runs.samples', step === null ? { name } : { name, step });
    if (this.#selectedName !== name) return;
    if (res.ok) {
      this.#samples = res.value;
      this.#samplesError = null;
    } else {
      this.#samplesError = res.error;
    }
  }

  async start(kind: RunKindName, config: Record<string, unknown>, device?: string): Promise<{ run: string } | ApiError> {
    const res = await api.call('runs.start', { kind, config, ...(device ? { device } : {}) });
    if (!res.ok) return res.error;
    await this.refresh();
    return { run: res.value.run };
  }

  async stop(name: string): Promise<ApiError | null> {
    const res = await api.call('runs.stop', { name });
    return res.ok ? null : res.error;
  }

  /** `device` (#21): resume on another device, e.g. after the run's GPU was lost; undefined = as before. */
  async resume(name: string, device?: string): Promise<ApiError | null> {
    const res = await api.call('runs.resume', { name, ...(device ? { device } : {}) });
    if (!res.ok) return res.error;
    await this.refresh();
    if (this.#selectedName === name) void this.select(name);
    return null;
  }

  async estimate(input: MethodInput<'runs.estimate'>): Promise<RunMemoryEstimate | ApiError> {
    const res = await api.call('runs.estimate', input);
    return res.ok ? res.value : res.error;
  }

  async #loadDetails(name: string): Promise<void> {
    const res = await api.call('runs.get', { name });
    if (this.#selectedName !== name) return;
    if (res.ok) this.#details = res.value;
    // A run just started has no folder until its trainer writes one: the page shows its job meanwhile.
    else if (res.error.code !== 'not_found') this.#error = res.error;
  }

  /** Re-reads the selected run's log (opening the log panel does; a finished job's last lines land after its final poll). */
  refreshLog(): Promise<void> {
    return this.#readLog();
  }

  /** The job whose log the run view shows. */
  get #shownJobId(): string | undefined {
    return this.selected?.job?.id ?? this.details?.run.job?.id ?? this.selectedJob?.id ?? this.#pipelineJobId();
  }

  /**
   * A run a recipe trained (named <pipeline>-<stage>-<id>) has no job of its own: its trainer logged into
   * the pipeline job, so that log is the run's log (the newest pipeline job of that recipe).
   */
  #pipelineJobId(): string | undefined {
    const name = this.selected?.name ?? this.details?.run.name;
    if (!name) return undefined;
    return jobs.list.find((j) => j.kind === 'pipeline' && typeof j.params?.name === 'string' && name.startsWith(`${j.params.name}-`))?.id;
  }

  async #readLog(): Promise<void> {
    const id = this.#shownJobId;
    if (!id) return;
    const res = await api.call('jobs.log', { id, tail: LOG_TAIL });
    if (res.ok) this.#log = res.value.lines;
  }

  #onJob(job: JobRecord): void {
    if (!TRAINER_KINDS.has(job.kind)) return;
    // A status change refreshes at once; progress events (several a second) at most once a second.
    if (this.#jobStatus.get(job.id) !== job.status) {
      this.#jobStatus.set(job.id, job.status);
      void this.refresh();
      // The job's status changes after its trainer wrote its last log line, which can land after the
      // trailing polls of a run that just ended (on a busy machine): read the shown job's log once more.
      if (!isActive(job) && job.id === this.#shownJobId) void this.#readLog();
      return;
    }
    this.#listTimer ??= setTimeout(() => {
      this.#listTimer = null;
      void this.refresh();
    }, LIST_REFRESH_MS);
  }

  #schedule(): void {
    this.#stopPolling();
    this.#timer = setTimeout(() => void this.#poll(), POLL_MS);
  }

  #stopPolling(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** While the selected or a compared run is live, re-read its metrics (and the selected one's log). */
  async #poll(): Promise<void> {
    const name = this.#selectedName;
    if (!name && this.#compare.length === 0) return;
    const shown = name ? [name, ...this.#compare] : this.#compare;
    const live = shown.filter((n, i, all) => all.indexOf(n) === i && isLive(this.#list.find((r) => r.name === n)));
    const wasLive = isLive(this.details?.run);
    const waiting = name !== null && this.details === null;
    // A run that was live at the last poll gets one more read: the points it logged before it ended.
    const toRead = new Set([...live, ...this.#wasLive]);
    if (name && wasLive) toRead.add(name);
    this.#wasLive = new Set(live);
    await Promise.all([...toRead].map((n) => this.readMetrics(n)));
    if (!name) {
      this.#schedule();
      return;
    }
    if (waiting) {
      await this.#loadDetails(name);
      if (this.details) await this.readMetrics(name);
    }
    if (wasLive && !live.includes(name)) this.#trailingLogReads = 2;
    else if (this.#trailingLogReads > 0 && !live.includes(name)) {
      this.#trailingLogReads--;
      await this.#readLog();
    }
    if (live.includes(name) || wasLive) {
      await this.#readLog();
      await this.#loadDetails(name);
      if (this.details?.sampleSteps.length && (this.#samples === null || this.#samples.step === this.#samples.steps.at(-1))) {
        // Follow the newest step unless the user picked an older one.
        const newest = this.details.sampleSteps.at(-1)!;
        if (this.#samples?.step !== newest) await this.loadSamples(newest);
      }
    }
    if (this.#selectedName === name) this.#schedule();
  }
}

export const runs = new RunsStore();
