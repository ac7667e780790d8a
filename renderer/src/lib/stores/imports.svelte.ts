// Importing files into datasets: a queue of chosen files, the form for the one in front (dataset name,
// format), the upload, the duplicate question, and the report of rejected lines once the job finishes.
import { api } from '../api/client.ts';
import type { ApiError, ImportFormat, ImportSummary, JobRecord } from '../api/types.ts';
import { datasets } from './datasets.svelte.ts';
import { i18n } from './i18n.svelte.ts';
import { jobs } from './jobs.svelte.ts';
import { notices } from './notices.svelte.ts';

type Source = { kind: 'path'; path: string } | { kind: 'upload'; uploadId: string; fileName: string };

/** The contract's rule for dataset names. */
export const DATASET_NAME = /^[\p{L}\p{N}_.-]{1,128}$/u;

const FORMAT_BY_EXTENSION: Record<string, ImportFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  csv: 'csv',
  parquet: 'parquet',
};

export function formatOf(fileName: string): ImportFormat | undefined {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  return FORMAT_BY_EXTENSION[ext];
}

/** A valid dataset name suggested from a file name: "my data (v2).jsonl" → "my_data_v2". */
export function suggestName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]+$/, '');
  const cleaned = stem
    .replace(/[^\p{L}\p{N}_.-]+/gu, '_')
    .replace(/_+/g, '_')
    .replace(/^[_.]+|[_.]+$/g, '')
    .slice(0, 128);
  return cleaned || 'dataset';
}

export type ImportPhase =
  | { step: 'uploading'; loaded: number; total: number }
  | { step: 'starting' }
  | { step: 'running'; jobId: string };

export type ActiveImport = { fileName: string; dataset: string; phase: ImportPhase };

/** CSV text encodings the import accepts (main/data/import/encoding.ts). */
export type CsvEncoding = 'auto' | 'utf-8' | 'cp949' | 'utf-16le' | 'utf-16be';

export type DuplicateQuestion = {
  file: File;
  dataset: string;
  format: ImportFormat | undefined;
  encoding?: CsvEncoding;
  source: Source;
  /** From the error's details: the dataset the same content went into, and when. */
  existing: { dataset: string; importedAt: string | null };
};

class ImportsStore {
  /** Files waiting for the user to name their dataset; the first is in the form. */
  #queue = $state<File[]>([]);
  #active = $state<ActiveImport[]>([]);
  #duplicate = $state<DuplicateQuestion | null>(null);
  #error = $state<ApiError | null>(null);
  /** Last import summary per dataset, for the rejected-lines report. */
  #reports = $state<Record<string, ImportSummary>>({});
  #dismissed = $state<string[]>([]);

  constructor() {
    jobs.subscribe((job) => this.#onJob(job));
  }

  get next(): File | null {
    return this.#queue[0] ?? null;
  }
  get queued(): number {
    return this.#queue.length;
  }
  get active(): ActiveImport[] {
    return this.#active;
  }
  get duplicate(): DuplicateQuestion | null {
    return this.#duplicate;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  /**
   * The report to show for a dataset: the import finished in this window, or else (after a reload, or
   * for an import started elsewhere) the newest import job's result when it rejected lines.
   */
  reportFor(dataset: string): ImportSummary | null {
    if (this.#dismissed.includes(dataset)) return null;
    const fresh = this.#reports[dataset];
    if (fresh) return fresh;
    for (const job of jobs.list) {
      if (job.status !== 'succeeded' || !isSummary(job.result) || job.result.dataset !== dataset) continue;
      return job.result.rejected > 0 ? job.result : null;
    }
    return null;
  }

  dismissReport(dataset: string): void {
    delete this.#reports[dataset];
    this.#dismissed = [...this.#dismissed, dataset];
  }

  /** Files dropped or picked; each gets the naming form in turn. */
  enqueue(files: Iterable<File>): void {
    this.#queue = [...this.#queue, ...files];
    this.#error = null;
  }

  /** The user closed the form without importing the file in front. */
  skip(): void {
    this.#queue = this.#queue.slice(1);
  }

  /** Imports the file in front of the queue into `dataset`. */
  async start(dataset: string, format: ImportFormat | undefined, encoding?: CsvEncoding): Promise<void> {
    const file = this.#queue[0];
    if (!file) return;
    this.#queue = this.#queue.slice(1);
    this.#error = null;
    const entry: ActiveImport = { fileName: file.name, dataset, phase: { step: 'uploading', loaded: 0, total: file.size } };
    this.#active = [...this.#active, entry];
    const tracked = this.#active[this.#active.length - 1];
    const uploaded = await api.upload(file, (loaded, total) => {
      tracked.phase = { step: 'uploading', loaded, total };
    });
    if (!uploaded.ok) return this.#fail(tracked, uploaded.error);
    await this.#begin(tracked, file, format, uploaded.value, 'ask', encoding);
  }

  /** Answer to the duplicate question: import the same file again. */
  async importAgain(): Promise<void> {
    const q = this.#duplicate;
    if (!q) return;
    this.#duplicate = null;
    const entry: ActiveImport = { fileName: q.file.name, dataset: q.dataset, phase: { step: 'starting' } };
    this.#active = [...this.#active, entry];
    const tracked = this.#active[this.#active.length - 1];
    await this.#begin(tracked, q.file, q.format, q.source, 'import', q.encoding);
  }

  /** Answer to the duplicate question: keep what is there and show the earlier dataset. */
  keepExisting(): void {
    const q = this.#duplicate;
    this.#duplicate = null;
    if (!q) return;
    if (datasets.has(q.existing.dataset)) datasets.select(q.existing.dataset);
    // Answering 'skip' lets the back end drop the upload that no import will read.
    if (q.source.kind === 'upload') void api.call('datasets.import', { dataset: q.dataset, source: q.source, format: q.format, onDuplicate: 'skip' });
  }

  clearError(): void {
    this.#error = null;
  }

  clear(): void {
    this.#queue = [];
    this.#active = [];
    this.#duplicate = null;
    this.#error = null;
    this.#reports = {};
    this.#dismissed = [];
  }

  async #begin(
    tracked: ActiveImport,
    file: File,
    format: ImportFormat | undefined,
    source: Source,
    onDuplicate: 'ask' | 'import',
    encoding?: CsvEncoding,
  ): Promise<void> {
    tracked.phase = { step: 'starting' };
    // The back end keeps an upload through the duplicate question, so "import again" reuses its id.
    const res = await api.call('datasets.import', { dataset: tracked.dataset, source, format, onDuplicate, ...(encoding ? { encoding } : {}) });
    if (!res.ok) {
      if (res.error.code === 'duplicate') {
        this.#remove(tracked);
        this.#duplicate = { file, dataset: tracked.dataset, format, encoding, source, existing: duplicateDetails(res.error, tracked.dataset) };
        return;
      }
      return this.#fail(tracked, res.error);
    }
    if (res.value.jobId === null) {
      this.#remove(tracked);
      await datasets.refresh();
      datasets.select(res.value.dataset);
      return;
    }
    tracked.phase = { step: 'running', jobId: res.value.jobId };
    // The job may have finished before its events reached us.
    const job = jobs.get(res.value.jobId) ?? (await jobs.fetch(res.value.jobId));
    if (job) this.#onJob(job);
  }

  #onJob(job: JobRecord): void {
    const entry = this.#active.find((a) => a.phase.step === 'running' && a.phase.jobId === job.id);
    if (!entry || job.status === 'running' || job.status === 'queued') return;
    this.#remove(entry);
    if (job.status === 'succeeded') {
      const summary = asSummary(job.result, entry.dataset);
      this.#reports[summary.dataset] = summary;
      this.#dismissed = this.#dismissed.filter((d) => d !== summary.dataset);
      notices.info(i18n.t('import.done', { rows: i18n.tn('rows', summary.imported), dataset: summary.dataset }));
      void datasets.refresh().then(() => datasets.select(summary.dataset));
    } else if (job.status === 'failed') {
      this.#error = { code: 'job_failed', message: job.error ?? `Import of ${entry.fileName} failed.` };
    }
  }

  #fail(tracked: ActiveImport, error: ApiError): void {
    this.#remove(tracked);
    this.#error = error;
  }

  #remove(tracked: ActiveImport): void {
    this.#active = this.#active.filter((a) => a !== tracked);
  }
}

function duplicateDetails(error: ApiError, fallbackDataset: string): DuplicateQuestion['existing'] {
  const d = (error.details ?? {}) as { dataset?: unknown; importedAt?: unknown };
  return {
    dataset: typeof d.dataset === 'string' ? d.dataset : fallbackDataset,
    importedAt: typeof d.importedAt === 'string' ? d.importedAt : null,
  };
}

function isSummary(value: unknown): value is ImportSummary {
  const r = value as Partial<ImportSummary> | null;
  return (
    typeof r === 'object' && r !== null && typeof r.dataset === 'string' && typeof r.imported === 'number' &&
    typeof r.rejected === 'number' && Array.isArray(r.errors)
  );
}

/** A job result that should be an ImportSummary; tolerant of a missing field rather than crashing the page. */
function asSummary(result: unknown, dataset: string): ImportSummary {
  const r = (result ?? {}) as Partial<ImportSummary>;
  return {
    dataset: typeof r.dataset === 'string' ? r.dataset : dataset,
    imported: typeof r.imported === 'number' ? r.imported : 0,
    rejected: typeof r.rejected === 'number' ? r.rejected : 0,
    errors: Array.isArray(r.errors) ? r.errors : [],
  };
}

export const imports = new ImportsStore();
