// The job runner's value types: a job's record, status and progress as the UI and the CLI see them. The
// app contract (main/api/contract.ts) re-exports them.

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type JobProgress = {
  /** Units done and total (total null when unknown). */
  done: number;
  total: number | null;
  unit: string;
  /** Units per second, smoothed. */
  rate: number | null;
  /** Seconds remaining, when total and rate are known. */
  etaSeconds: number | null;
  message?: string;
};

/** The structured fields of a job's title, by kind (import: `{dataset, fileName}`). */
export type JobTitleParams = Record<string, string | number>;

export type JobRecord = {
  id: string;
  kind: string;
  /** English title, for logs and the CLI; the UI builds a translated one from `kind` and `params`. */
  title: string;
  params?: JobTitleParams;
  status: JobStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  progress: JobProgress | null;
  /** Job-specific result when succeeded (e.g. an ImportSummary). */
  result?: unknown;
  /** Message when failed, including the last log lines of a crashed process. */
  error?: string;
  /** The device the job runs on when its input named one (cpu, webgpu, cuda:N); such jobs queue per device. */
  device?: string;
  /** While waiting for its device: which, and the place in line (1 = next). */
  queue?: { device: string; position: number };
};
