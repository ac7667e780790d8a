// Resumable generation: every (prompt, teacher, sample) that the response log does not hold yet is sent
// to its teacher; replies are appended to the log and fsynced in small batches (every `flushMs`), and only
// then reported as done. Stopping (abort) or crashing at any moment and calling this again with the same
// log finishes the remaining work without duplicates: the log's successful keys are the done set.
// A prompt the teacher answers with a permanent error (HTTP 400, a malformed 200 that stays malformed,
// a reply past the per-request deadline) is skipped with its reason recorded and counted; the next run
// asks it again. Errors that stop the build name the prompt id.
import { setMaxListeners } from 'node:events';
import type { LoggedResponse, ResponseLog } from './response-log.ts';
import { TeacherError, type TeacherClient } from './teacher-client.ts';

/**
 * What generation needs of a teacher: an OpenAI-compatible TeacherClient, or a local model with the same
 * three members. `generateMany` (several samples of one prompt in one request, `n`) is used when present.
 */
export type ResponseGenerator = Pick<TeacherClient, 'name' | 'concurrency' | 'generate'> & Partial<Pick<TeacherClient, 'generateMany'>>;

export type GenerationPrompt = { id: string; prompt: string };

export type GenerationProgress = { done: number; total: number; failed: number };

export type GenerateOptions = {
  prompts: readonly GenerationPrompt[];
  teachers: readonly ResponseGenerator[];
  /** Responses per prompt per teacher. */
  samplesPerPrompt: number;
  log: ResponseLog;
  signal?: AbortSignal;
  /** How often replies are written and fsynced (default 100 ms). */
  flushMs?: number;
  onProgress?: (progress: GenerationProgress) => void;
  onLog?: (line: string) => void;
};

export type GenerationSummary = {
  total: number;
  generatedNow: number;
  alreadyDone: number;
  /** Samples skipped in this run with a recorded reason (asked again on the next run). */
  failed: number;
  /** Those skips by error kind (`http`, `bad_response`, `deadline`, …). */
  failedByReason: Record<string, number>;
};

/** The samples of one prompt a teacher still owes (asked together with `n` when the teacher can). */
type WorkItem = { prompt: GenerationPrompt; sampleIdxs: number[] };

/** Runs the missing generations. Throws the first error that stops the build (auth, exhausted retries, abort). */
export async function generateResponses(options: GenerateOptions): Promise<GenerationSummary> {
  const { prompts, teachers, samplesPerPrompt, log } = options;
  if (!Number.isInteger(samplesPerPrompt) || samplesPerPrompt < 1) throw new Error(`samples_per_prompt must be an integer >= 1, got ${samplesPerPrompt}`);
  const names = new Set<string>();
  for (const t of teachers) {
    if (names.has(t.name)) throw new Error(`two teachers are named "${t.name}"; give each a unique name`);
    names.add(t.name);
  }
  const total = prompts.length * teachers.length * samplesPerPrompt;
  // Each teacher's workers take items from a shared cursor (no array shifting per request).
  const queues = teachers.map((teacher) => {
    const items: WorkItem[] = [];
    const batched = typeof teacher.generateMany === 'function';
    if (batched) {
      for (const prompt of prompts) {
        const sampleIdxs: number[] = [];
        for (let s = 0; s < samplesPerPrompt; s++) if (!log.has(prompt.id, teacher.name, s)) sampleIdxs.push(s);
        if (sampleIdxs.length) items.push({ prompt, sampleIdxs });
      }
    } else {
      for (let s = 0; s < samplesPerPrompt; s++) for (const prompt of prompts) if (!log.has(prompt.id, teacher.name, s)) items.push({ prompt, sampleIdxs: [s] });
    }
    return { teacher, items, next: 0 };
  });
  const alreadyDone = total - queues.reduce((sum, q) => sum + q.items.reduce((n, item) => n + item.sampleIdxs.length, 0), 0);
  const failedByReason: Record<string, number> = {};
  let done = alreadyDone;
  let failed = 0;
  let generatedNow = 0;
  const stop = new AbortController();
  // Every in-flight request listens on this signal: concurrency above 10 is normal, not a listener leak.
  setMaxListeners(Infinity, stop.signal);
  const onOuterAbort = () => stop.abort(options.signal!.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let firstError: unknown = null;

  const acknowledge = (acknowledged: readonly LoggedResponse[]) => {
    if (acknowledged.length === 0) return;
    done += acknowledged.length;
    generatedNow += acknowledged.length;
    failed += acknowledged.filter((entry) => entry.status === 'error').length;
    options.onProgress?.({ done, total, failed });
  };
  // Periodic flushes run off the event loop (fsync on the thread pool), one at a time; a failing disk stops generation.
  let flushing = false;
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = true;
    log
      .flushAsync()
      .then(acknowledge, (error: unknown) => {
        firstError ??= error;
        stop.abort(error);
      })
      .finally(() => (flushing = false));
  }, options.flushMs ?? 100);
  options.onProgress?.({ done, total, failed });

  const worker = async (queue: (typeof queues)[number]) => {
    const { teacher, items } = queue;
    for (;;) {
      if (stop.signal.aborted) return;
      if (queue.next >= items.length) return;
      const item = items[queue.next++];
      const base = (sampleIdx: number) => ({ prompt_id: item.prompt.id, teacher: teacher.name, sample_idx: sampleIdx, created_at: '' });
      const skip = (sampleIdx: number, error: TeacherError) => {
        log.add({ ...base(sampleIdx), status: 'error', thinking: '', answer: '', thinking_source: 'none', finish_reason: null, usage: null, error: error.message, error_code: error.code, created_at: new Date().toISOString() });
        failedByReason[error.code] = (failedByReason[error.code] ?? 0) + 1;
        options.onLog?.(`prompt ${item.prompt.id} sample ${sampleIdx}: ${error.message} (skipped and recorded; asked again on the next run)`);
      };
      try {
        const replies =
          item.sampleIdxs.length > 1 && teacher.generateMany
            ? await teacher.generateMany(item.prompt.prompt, item.sampleIdxs, stop.signal)
            : [await teacher.generate(item.prompt.prompt, stop.signal, item.sampleIdxs[0])];
        replies.forEach((reply, i) => {
          if (reply instanceof TeacherError) return skip(item.sampleIdxs[i], reply);
          const entry: LoggedResponse = {
            ...base(item.sampleIdxs[i]),
            status: 'ok',
            thinking: reply.thinking,
            answer: reply.answer,
            thinking_source: reply.thinkingSource,
            finish_reason: reply.finishReason,
            usage: reply.usage,
            created_at: new Date().toISOString(),
          };
          log.add(entry);
        });
      } catch (error) {
        if (error instanceof TeacherError && error.permanent) {
          for (const s of item.sampleIdxs) skip(s, error);
          continue;
        }
        if (!firstError && !(error instanceof TeacherError && error.code === 'aborted')) firstError = withPromptId(error, item.prompt.id, teacher.name);
        stop.abort(error);
        return;
      }
    }
  };

  try {
    const workers: Promise<void>[] = [];
    for (const queue of queues) {
      const concurrency = Math.max(1, Math.min(queue.items.length, queue.teacher.concurrency));
      for (let i = 0; i < concurrency; i++) workers.push(worker(queue));
    }
    await Promise.all(workers);
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    // Whatever arrived before the stop is kept: it is valid work the resumed run need not repeat.
    await log.idle();
    acknowledge(log.flush());
  }
  if (firstError) throw firstError;
  if (options.signal?.aborted) throw new Error('generation stopped; run the build again to resume');
  return { total, generatedNow, alreadyDone, failed, failedByReason };
}

/** The error that stops a build, with the prompt it happened on (the message is what the user sees). */
function withPromptId(error: unknown, promptId: string, teacher: string): unknown {
  const where = `prompt ${promptId} (teacher ${teacher})`;
  if (error instanceof TeacherError) return new TeacherError(`${where}: ${error.message}`, error.code, error.status, error.attempts, error.permanent);
  if (error instanceof Error) return new Error(`${where}: ${error.message}`, { cause: error });
  return error;
}
