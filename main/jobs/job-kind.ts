// What a job kind is, seen from inside the job process. A kind is a module that exports `run`; the
// worker imports it, calls it with the job's input and a context, and reports the returned value as the
// job's result. Kinds never talk to the UI directly: they report progress and log lines through `ctx`.

export type JobContext = {
  /** Reports progress; the parent smooths the rate, computes the ETA and throttles UI events. */
  progress(report: { done: number; total?: number | null; unit?: string; message?: string }): void;
  /** One line for the job's log.txt (also what a crash report quotes). */
  log(line: string): void;
  /** Aborted when the user cancels. Long loops should check it and stop promptly. */
  signal: AbortSignal;
  /** The workspace folder the job belongs to. */
  workspace: string;
  /** The job's own folder (jobs/<id>/) for scratch files and artifacts. */
  jobDir: string;
  jobId: string;
};

export type JobKindModule = {
  run(input: unknown, ctx: JobContext): Promise<unknown>;
};

/** Messages from the parent to the job process. */
export type ParentMessage =
  | { type: 'start'; kind: string; moduleUrl: string | null; input: unknown; workspace: string; jobDir: string; jobId: string }
  | { type: 'cancel' };

/** Messages from the job process to the parent. */
export type WorkerMessage =
  | { type: 'progress'; done: number; total?: number | null; unit?: string; message?: string }
  | { type: 'log'; line: string }
  | { type: 'result'; value: unknown }
  | { type: 'error'; message: string; cancelled: boolean };
