// The Evaluate page's state: candidate models and stored evaluations, the models × benchmarks selection and
// sampling settings, the running `eval` job, and the evaluation opened for drill-down (paged problems).
import { api } from '../api/client.ts';
import type { ApiError, BenchmarkColumnsInfo, EvalBenchmarkInfo, EvalDetail, EvalListItem, EvalModelInfo, EvalReportPaths, JobRecord, MethodInput } from '../api/types.ts';
import { jobs } from './jobs.svelte.ts';
import { deviceChoices } from './device-choices.svelte.ts';

const PAGE = 10;
const REFRESH_WHILE_RUNNING_MS = 3000;

class EvaluateStore {
  #models = $state<EvalModelInfo[]>([]);
  #benchmarks = $state<EvalBenchmarkInfo[]>([]);
  /** Columns and detected mapping of each selected benchmark (by source), read when it is selected. */
  #columns = $state<Record<string, BenchmarkColumnsInfo | { error: string }>>({});
  #evals = $state<EvalListItem[]>([]);
  #error = $state<ApiError | null>(null);
  #jobId = $state<string | null>(null);
  #detail = $state<EvalDetail | null>(null);
  #report = $state<EvalReportPaths | null>(null);
  #loading: Promise<void> | null = null;
  #lastRefresh = 0;

  /** Chosen model paths and benchmark (dataset) names. */
  selectedModels = $state<string[]>([]);
  selectedBenchmarks = $state<string[]>([]);
  /** The user's column choices by benchmark source; unset roles fall back to the detected mapping. */
  mappings = $state<Record<string, { problem?: string; answer?: string }>>({});
  k = $state(1);
  temperature = $state(0);
  maxNewTokens = $state(512);
  limit = $state<number | null>(null);
  template = $state('{problem}');
  /** '' = the default device (first free GPU, else CPU), #21. */
  device = $state('');

  /** Finished evaluations (those with a summary): what the comparison table and the charts show. */
  finished = $derived(this.#evals.filter((e) => e.summary !== null));

  constructor() {
    jobs.subscribe((job) => this.#onJob(job));
    api.on('workspace.changed', () => {
      this.clear();
      void this.refresh();
    });
    // A new import or a pipeline's data stage adds benchmarks.
    api.on('datasets.changed', () => void this.refresh());
    api.onReconnect(() => void this.refresh());
  }

  get models(): EvalModelInfo[] {
    return this.#models;
  }
  get benchmarks(): EvalBenchmarkInfo[] {
    return this.#benchmarks;
  }
  /** The columns of a selected benchmark: undefined while loading, {error} when it cannot be read. */
  columnsOf(source: string): BenchmarkColumnsInfo | { error: string } | undefined {
    return this.#columns[source];
  }
  /** The mapping eval.start will send for a benchmark: the user's choice over the detected one. */
  mappingOf(source: string): { problem: string; answer: string; id?: string } | null {
    const info = this.#columns[source];
    const detected = info && 'columns' in info ? info.detected : null;
    const chosen = this.mappings[source] ?? {};
    const problem = chosen.problem ?? detected?.problem;
    const answer = chosen.answer ?? detected?.answer;
    if (!problem || !answer) return null;
    return { problem, answer, ...(detected?.id && detected.id !== problem && detected.id !== answer ? { id: detected.id } : {}) };
  }
  setColumn(source: string, role: 'problem' | 'answer', column: string): void {
    this.mappings = { ...this.mappings, [source]: { ...this.mappings[source], [role]: column } };
  }
  get evals(): EvalListItem[] {
    return this.#evals;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get job(): JobRecord | null {
    return this.#jobId ? jobs.get(this.#jobId) : null;
  }
  get detail(): EvalDetail | null {
    return this.#detail;
  }
  get report(): EvalReportPaths | null {
    return this.#report;
  }
  get canStart(): boolean {
    const job = this.job;
    const mapped = this.selectedBenchmarks.every((b) => this.mappingOf(b) !== null);
    return this.selectedModels.length > 0 && this.selectedBenchmarks.length > 0 && mapped && !(job && (job.status === 'running' || job.status === 'queued'));
  }

  /** Reloads models and evaluations; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.#loading ??= (async () => {
      const [models, evals, benchmarks] = await Promise.all([api.call('eval.models', {}), api.call('eval.list', {}), api.call('eval.benchmarks', {})]);
      if (models.ok) this.#models = models.value;
      if (evals.ok) this.#evals = evals.value;
      if (benchmarks.ok) this.#benchmarks = benchmarks.value;
      this.#error = !models.ok ? models.error : !evals.ok ? evals.error : !benchmarks.ok ? benchmarks.error : null;
    })().finally(() => (this.#loading = null));
    return this.#loading;
  }

  toggle(list: 'selectedModels' | 'selectedBenchmarks', value: string): void {
    this[list] = this[list].includes(value) ? this[list].filter((v) => v !== value) : [...this[list], value];
    if (list === 'selectedBenchmarks' && this.selectedBenchmarks.includes(value) && !this.#columns[value]) void this.#loadColumns(value);
  }

  async #loadColumns(source: string): Promise<void> {
    const res = await api.call('eval.columns', { benchmark: source });
    this.#columns = { ...this.#columns, [source]: res.ok ? res.value : { error: res.error.message } };
  }

  async start(): Promise<void> {
    const input: MethodInput<'eval.start'> = {
      models: this.selectedModels,
      benchmarks: this.selectedBenchmarks,
      k: this.k,
      temperature: this.temperature,
      maxNewTokens: this.maxNewTokens,
      seed: 0,
      ...(deviceChoices.forJob(this.device) ? { device: deviceChoices.forJob(this.device) } : {}),
      ...(this.template.trim() && this.template !== '{problem}' ? { template: this.template } : {}),
      ...(this.limit ? { limit: this.limit } : {}),
      ...(this.temperature > 0 ? { topP: 0.95 } : {}),
      columns: Object.fromEntries(this.selectedBenchmarks.flatMap((b) => {
        const m = this.mappingOf(b);
        return m ? [[b, m]] : [];
      })),
    };
    const res = await api.call('eval.start', input);
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#jobId = res.value.jobId;
    if (!jobs.get(res.value.jobId)) await jobs.fetch(res.value.jobId);
  }

  async open(name: string, offset = 0): Promise<void> {
    const res = await api.call('eval.get', { name, offset, limit: PAGE });
    if (res.ok) this.#detail = res.value;
    else this.#error = res.error;
  }

  async page(delta: number): Promise<void> {
    const d = this.#detail;
    if (!d) return;
    const offset = Math.min(Math.max(0, d.offset + delta * PAGE), Math.max(0, d.total - 1));
    await this.open(d.meta.name, offset);
  }

  closeDetail(): void {
    this.#detail = null;
  }

  async writeReport(): Promise<void> {
    const res = await api.call('eval.report', { names: this.finished.map((e) => e.name) });
    if (res.ok) this.#report = res.value;
    else this.#error = res.error;
  }

  clear(): void {
    this.#models = [];
    this.#evals = [];
    this.#benchmarks = [];
    this.#columns = {};
    this.mappings = {};
    this.#detail = null;
    this.#report = null;
    this.#jobId = null;
    this.selectedModels = [];
    this.selectedBenchmarks = [];
  }

  #onJob(job: JobRecord): void {
    if (job.kind !== 'eval') return;
    // Stored rows change while the job runs: re-read the list when the job ends, and at most every few
    // seconds while it runs (progress events come much more often).
    const ended = job.status !== 'running' && job.status !== 'queued';
    const now = Date.now();
    if (!ended && now - this.#lastRefresh < REFRESH_WHILE_RUNNING_MS) return;
    this.#lastRefresh = now;
    void this.refresh();
  }
}

export const evaluate = new EvaluateStore();
