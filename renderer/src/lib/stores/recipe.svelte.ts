// The Recipe page's state: the recipes on offer, the chosen one, its pipeline state (stages with status,
// progress and ETA, polled from pipeline.get while its job runs), the offline check, the results, the
// report text and the verl export preview. Run = a `pipeline` job; stop = cancelling it (the running stage
// checkpoints); resume = running again (unchanged stages are skipped, the interrupted one resumes).
import { api } from '../api/client.ts';
import type { ApiError, CheckReport, ExportPreview, JobRecord, PipelineDetail, RecipeInfo } from '../api/types.ts';
import { jobs } from './jobs.svelte.ts';

const POLL_MS = 1000;
const OPENED_KEY = 'saenggak.recipe.opened';

function openedPaths(): string[] {
  try {
    const value = JSON.parse(globalThis.localStorage?.getItem(OPENED_KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

class RecipeStore {
  #recipes = $state<RecipeInfo[]>([]);
  #selectedPath = $state<string | null>(null);
  #detail = $state<PipelineDetail | null>(null);
  #check = $state<CheckReport | null>(null);
  #report = $state<string | null>(null);
  /** The self-contained report.html, shown rendered in a sandboxed frame. */
  #reportHtml = $state<string | null>(null);
  #preview = $state<ExportPreview | null>(null);
  #error = $state<ApiError | null>(null);
  #jobId = $state<string | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;

  selected = $derived(this.#recipes.find((r) => r.path === this.#selectedPath) ?? null);

  constructor() {
    jobs.subscribe((job) => this.#onJob(job));
    api.on('workspace.changed', () => {
      this.clear();
      void this.refresh();
    });
    api.onReconnect(() => void this.refresh());
  }

  get recipes(): RecipeInfo[] {
    return this.#recipes;
  }
  get detail(): PipelineDetail | null {
    return this.#detail;
  }
  get check(): CheckReport | null {
    return this.#check;
  }
  get report(): string | null {
    return this.#report;
  }
  get reportHtml(): string | null {
    return this.#reportHtml;
  }
  get preview(): ExportPreview | null {
    return this.#preview;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  /** The running (or last) pipeline job of the selected recipe. */
  get job(): JobRecord | null {
    if (this.#jobId) return jobs.get(this.#jobId);
    const name = this.selected?.name;
    return jobs.list.find((j) => j.kind === 'pipeline' && j.params?.name === name) ?? null;
  }
  get running(): boolean {
    const job = this.job;
    return job !== null && (job.status === 'running' || job.status === 'queued');
  }
  /** A stopped or failed pipeline whose next run picks up where it was. */
  get resumable(): boolean {
    const status = this.#detail?.state?.status;
    return !this.running && (status === 'stopped' || status === 'failed');
  }

  /** Adds a recipe file by path (remembered in this browser) and selects it. */
  async open(path: string): Promise<void> {
    const trimmed = path.trim();
    if (!trimmed) return;
    const opened = [...new Set([...openedPaths(), trimmed])].slice(-50);
    globalThis.localStorage?.setItem(OPENED_KEY, JSON.stringify(opened));
    await this.refresh();
    const found = this.#recipes.find((r) => r.path === trimmed || r.path.endsWith(trimmed));
    if (found) await this.select(found.path);
    else this.#error = { code: 'not_found', message: `no recipe file ${trimmed}` };
  }

  async refresh(): Promise<void> {
    const res = await api.call('pipeline.recipes', { extra: openedPaths() });
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#recipes = res.value;
    if (!this.selected && res.value.length > 0) await this.select(res.value[0].path);
    else await this.reload();
  }

  async select(path: string): Promise<void> {
    this.#selectedPath = path;
    this.#check = null;
    this.#report = null;
    this.#reportHtml = null;
    this.#preview = null;
    this.#jobId = null;
    await this.reload();
    if (this.running) this.#poll(true);
  }

  /** Re-reads the selected pipeline's state, results and report. */
  async reload(): Promise<void> {
    const recipe = this.selected;
    if (!recipe || recipe.error) {
      this.#detail = null;
      return;
    }
    const [detail, report] = await Promise.all([api.call('pipeline.get', { name: recipe.name }), api.call('pipeline.report', { name: recipe.name })]);
    if (detail.ok) this.#detail = detail.value;
    else this.#error = detail.error;
    if (report.ok) {
      this.#report = report.value.markdown;
      this.#reportHtml = report.value.htmlContent;
    }
  }

  /** True while `pipeline.check` runs (it loads configs and tokenizers: seconds on a big recipe). */
  checking = $state(false);

  async runCheck(): Promise<void> {
    const recipe = this.selected;
    if (!recipe || this.checking) return;
    this.checking = true;
    this.#check = null;
    try {
      const res = await api.call('pipeline.check', { recipePath: recipe.path });
      if (res.ok) {
        this.#check = res.value;
        this.#error = null;
      } else this.#error = res.error;
    } finally {
      this.checking = false;
    }
  }

  /** Run, or resume after a stop; `device` from the page's picker (#21), undefined = start at once on the CPU default. */
  async run(device?: string): Promise<void> {
    const recipe = this.selected;
    if (!recipe || this.running) return;
    const res = await api.call('pipeline.start', { recipePath: recipe.path, force: [], ...(device ? { device } : {}) });
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#jobId = res.value.jobId;
    if (!jobs.get(res.value.jobId)) await jobs.fetch(res.value.jobId);
    this.#poll(true);
  }

  async stop(): Promise<void> {
    const job = this.job;
    if (!job || !this.running) return;
    const error = await jobs.cancel(job.id);
    if (error) this.#error = error;
  }

  async loadPreview(): Promise<void> {
    const recipe = this.selected;
    if (!recipe) return;
    const res = await api.call('pipeline.exportPreview', { recipePath: recipe.path });
    if (res.ok) this.#preview = res.value;
    else this.#error = res.error;
  }

  clear(): void {
    this.#recipes = [];
    this.#selectedPath = null;
    this.#detail = null;
    this.#check = null;
    this.#report = null;
    this.#reportHtml = null;
    this.#preview = null;
    this.#jobId = null;
    this.#poll(false);
  }

  /** Stage progress lives in state.json: poll it while the job runs. */
  #poll(on: boolean): void {
    if (on && !this.#timer) this.#timer = setInterval(() => void this.reload(), POLL_MS);
    if (!on && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #onJob(job: JobRecord): void {
    if (job.kind !== 'pipeline') return;
    if (job.status === 'running' || job.status === 'queued') {
      if (job.params?.name === this.selected?.name) this.#poll(true);
      return;
    }
    this.#poll(false);
    void this.reload();
  }
}

export const recipe = new RecipeStore();
