// GGUF / Ollama exports of finished runs: starts runs.export and follows the export job through the jobs
// store (live 'job.updated' events), so the run page shows a progress bar and, at the end, the files.
import { api } from '../api/client.ts';
import type { ApiError, JobRecord, MethodInput } from '../api/types.ts';
import { jobs } from './jobs.svelte.ts';

export type ExportFormat = MethodInput<'runs.export'>['format'];
export type ExportQuant = NonNullable<MethodInput<'runs.export'>['quant']>;

export const EXPORT_QUANTS: ExportQuant[] = ['q4_k_m', 'q8_0', 'f16', 'bf16', 'f32'];

class ExportsStore {
  #byRun = $state<Record<string, { jobId: string; files: string[]; format: ExportFormat; quant: ExportQuant }>>({});

  /** The latest export started from this window for a run, with its job (null before the first event). */
  of(run: string): { job: JobRecord | null; files: string[]; format: ExportFormat; quant: ExportQuant } | null {
    const e = this.#byRun[run];
    return e ? { ...e, job: jobs.get(e.jobId) } : null;
  }

  async start(run: string, format: ExportFormat, quant: ExportQuant): Promise<ApiError | null> {
    const res = await api.call('runs.export', { name: run, format, quant });
    if (!res.ok) return res.error;
    this.#byRun[run] = { jobId: res.value.jobId, files: res.value.files, format, quant };
    await jobs.fetch(res.value.jobId);
    return null;
  }

  clear(): void {
    this.#byRun = {};
  }
}

export const runExports = new ExportsStore();
