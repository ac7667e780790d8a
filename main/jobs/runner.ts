// Runs long operations in separate processes and keeps their records.
//
// One runner per open workspace. `start` writes jobs/<id>/job.json, launches a job process (see
// process-launcher.ts) and follows it: progress reports become smoothed progress (rate, ETA) and
// throttled `job.updated` events; stdout, stderr and log lines go to jobs/<id>/log.txt; the exit decides
// the final status. A process that dies without reporting (process.exit, a native crash, SIGKILL) marks
// the job failed with its last log lines; the app itself is never affected.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import type { JobRecord, JobStatus, JobTitleParams } from './types.ts';
import { JobRecords, newJobId, type StoredJobRecord } from './job-records.ts';
import { ProgressTracker } from './progress.ts';
import { defaultWorkerEntry, forkJobProcess, type JobProcess, type LaunchJobProcess } from './process-launcher.ts';
import { builtinJobKinds } from './kinds/index.ts';
import type { WorkerMessage } from './job-kind.ts';
import { DeviceQueues, deviceEnv, queueDeviceFor } from './device-queue.ts';
import { readLostDevices, readPausedQueues, writePausedQueues, type LostDevice } from './paused-queues.ts';
import { join } from 'node:path';
import { recordTelemetry, type TelemetryRecorder } from '../devices/telemetry-recorder.ts';
import { classifyDeviceError } from '../devices/oom.ts';

export type JobRunnerOptions = {
  workspace: string;
  /** Called with every change, at most ~10 times a second per job for progress; status changes at once. */
  onUpdate?: (record: JobRecord) => void;
  launch?: LaunchJobProcess;
  workerEntry?: string;
  /** Extra kinds by name → module path (plugins, tests). Built-in kinds are in kinds/index.ts. */
  extraKinds?: Record<string, string>;
  /** How long a cancelled job gets to stop after the cancel message, and again after SIGTERM. */
  cancelGraceMs?: number;
  /** Lines of log quoted in a failed job's error. */
  crashLogLines?: number;
  /** Sampling period of a GPU job's runs/<name>/telemetry.jsonl (default 1000 ms). */
  telemetryIntervalMs?: number;
};

/** The run a job writes (its config's name), for runs/<name>/telemetry.jsonl; null when it has none. */
function runNameOf(input: unknown): string | null {
  const name = (input as { config?: { name?: unknown } } | null)?.config?.name;
  return typeof name === 'string' && /^[\w.-]{1,200}$/.test(name) && !name.includes('..') ? name : null;
}

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const EVENT_INTERVAL_MS = 100;
const PERSIST_INTERVAL_MS = 1000;

/** Everything the runner tracks about a job whose process is alive. */
type ActiveJob = {
  record: StoredJobRecord;
  process: JobProcess;
  log: WriteStream;
  tracker: ProgressTracker;
  outcome: { kind: 'result'; value: unknown } | { kind: 'error'; message: string } | null;
  cancelRequested: boolean;
  killTimers: NodeJS.Timeout[];
  eventTimer: NodeJS.Timeout | null;
  lastEventAt: number;
  lastPersistAt: number;
  writes: Promise<void>;
  done: Promise<JobRecord>;
  /** GPU telemetry kept with the run while a cuda:N job runs. */
  telemetry: Promise<TelemetryRecorder | null> | null;
  /** The job reported an error that means its device is gone (devices/oom.ts): its queue stops taking jobs. */
  deviceLost: boolean;
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

/** The record as the contract shows it (no input, no process ids). */
export function publicRecord(record: StoredJobRecord): JobRecord {
  const { input: _input, ownerPid: _owner, workerPid: _worker, ...rest } = record;
  return structuredClone(rest);
}

export class JobRunner {
  readonly records: JobRecords;
  readonly #options: JobRunnerOptions;
  readonly #active = new Map<string, ActiveJob>();
  readonly #launch: LaunchJobProcess;
  /** One queue per device (#21): jobs whose input names a device wait here, durable as 'queued' records. */
  readonly #queues = new DeviceQueues();
  readonly #queued = new Map<string, StoredJobRecord>();
  /** Settles when a waiting job ends (after it ran, or when cancelled before it started). */
  readonly #queuedDone = new Map<string, { promise: Promise<JobRecord>; resolve: (r: JobRecord) => void }>();
  /** The last write of each waiting job's record, so reads after a change see it. */
  readonly #queuedWrites = new Map<string, Promise<void>>();
  /** Devices lost during a job (#21): their queue is paused until the user resumes it (after a reset). */
  readonly #lost = new Map<string, LostDevice>();

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.records = new JobRecords(options.workspace);
    this.#launch = options.launch ?? forkJobProcess;
    // Paused queues stay paused across restarts (before recoverInterrupted puts waiting jobs back in line).
    for (const device of readPausedQueues(options.workspace)) this.#queues.setPaused(device, true);
    for (const lost of readLostDevices(options.workspace)) {
      this.#lost.set(lost.device, lost);
      this.#queues.setPaused(lost.device, true);
    }
  }

  /**
   * Marks jobs left "running" or "queued" by an app that is no longer alive as failed, quoting their
   * last log lines. Call once when the workspace opens. Returns the ids it marked.
   */
  async recoverInterrupted(): Promise<string[]> {
    const marked: string[] = [];
    const requeue: StoredJobRecord[] = [];
    for (const record of await this.records.list()) {
      if (isTerminal(record.status) || this.#active.has(record.id)) continue;
      if (record.ownerPid !== undefined && isProcessAlive(record.ownerPid)) continue;
      if (record.status === 'queued' && record.device && record.input !== undefined) {
        requeue.push(record);
        continue;
      }
      const tail = await this.records.tailLog(record.id, this.#crashLogLines);
      record.status = 'failed';
      record.endedAt = new Date().toISOString();
      record.error = withLogTail('The app stopped while this job was running.', tail);
      await this.records.write(record);
      marked.push(record.id);
    }
    // Jobs still waiting for their device when the app stopped wait again (the queue is durable), in the
    // order they had: their place in line, then creation.
    requeue.sort((a, b) => (a.queue?.position ?? Infinity) - (b.queue?.position ?? Infinity) || a.id.localeCompare(b.id));
    for (const record of requeue) this.#enqueue(record, record.device!);
    return marked;
  }

  knowsKind(kind: string): boolean {
    return kind in builtinJobKinds || kind in (this.#options.extraKinds ?? {});
  }

  /**
   * Starts a job and returns its record (status 'running'). The input must be structured-cloneable.
   * `params` are the title's structured fields (shown to the UI, which translates titles by kind).
   */
  async start(kind: string, input: unknown, title: string = kind, params?: JobTitleParams): Promise<JobRecord> {
    if (!this.knowsKind(kind)) {
      throw Object.assign(new Error(`unknown job kind "${kind}"`), { code: 'invalid_input' });
    }
    const device = queueDeviceFor(kind, input);
    const now = new Date();
    const record: StoredJobRecord = {
      id: newJobId(now),
      kind,
      title,
      ...(params ? { params } : {}),
      ...(device ? { device } : {}),
      status: 'queued',
      createdAt: now.toISOString(),
      startedAt: null,
      endedAt: null,
      progress: null,
      input,
      ownerPid: process.pid,
    };
    await this.records.create(record);
    return device ? this.#enqueue(record, device) : this.#launchJob(record);
  }

  /** Starts the job now if its device is free, else leaves it 'queued' with its position. */
  #enqueue(record: StoredJobRecord, device: string): JobRecord {
    record.ownerPid = process.pid;
    let launched: JobRecord | null = null;
    const position = this.#queues.enqueue(device, record.id, () => {
      this.#queued.delete(record.id);
      delete record.queue;
      launched = this.#launchJob(record);
      const waiter = this.#queuedDone.get(record.id);
      if (waiter) {
        this.#queuedDone.delete(record.id);
        void this.#active.get(record.id)!.done.then(waiter.resolve);
      }
    });
    if (launched) return launched;
    let resolve!: (r: JobRecord) => void;
    this.#queuedDone.set(record.id, { promise: new Promise((r) => (resolve = r)), resolve });
    record.queue = { device, position };
    this.#queued.set(record.id, record);
    this.#writeQueued(record);
    return publicRecord(record);
  }

  /** Persists and announces a waiting job (position changes included). */
  #writeQueued(record: StoredJobRecord): void {
    const snapshot = structuredClone(record);
    const previous = this.#queuedWrites.get(record.id) ?? Promise.resolve();
    const write = previous
      .then(() => this.records.write(snapshot))
      .catch((error) => console.error(`could not write job ${record.id}:`, error));
    this.#queuedWrites.set(record.id, write);
    this.#options.onUpdate?.(publicRecord(record));
  }

  /** After a line changed: every waiting job's position, written and announced when it moved. */
  #refreshPositions(): void {
    for (const record of this.#queued.values()) {
      const at = this.#queues.position(record.id);
      if (at && at.position !== record.queue?.position) {
        record.queue = at;
        this.#writeQueued(record);
      }
    }
  }

  /** Moves a waiting job to `position` (1 = next) on its device; false when it is not waiting. */
  reorder(id: string, position: number): boolean {
    if (!this.#queues.move(id, position)) return false;
    this.#refreshPositions();
    return true;
  }

  /** Pauses or resumes a device's queue (DeviceQueues.setPaused); returns the paused devices. */
  pauseQueue(device: string, paused: boolean): string[] {
    // Resuming a lost device's queue is the user saying it works again (reset, driver reloaded).
    if (!paused) this.#lost.delete(device);
    this.#queues.setPaused(device, paused);
    writePausedQueues(this.#options.workspace, this.#queues.paused(), [...this.#lost.values()]);
    this.#refreshPositions();
    return this.#queues.paused();
  }

  /** Devices whose queue is paused. */
  pausedQueues(): string[] {
    return this.#queues.paused();
  }

  /** Devices lost during a job, with the job and its message; their queues are paused. */
  lostDevices(): LostDevice[] {
    return [...this.#lost.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  /** Each device's running job and waiting line. */
  queues(): { device: string; running: string | null; waiting: string[] }[] {
    return this.#queues.snapshot();
  }

  #launchJob(record: StoredJobRecord): JobRecord {
    const { kind, input } = record;
    const log = createWriteStream(this.records.logPath(record.id), { flags: 'a' });
    // A job on a device sees only that device (deviceEnv): the provider for every session, one GPU for CUDA.
    const env = { ...process.env, ...(record.device ? deviceEnv(record.device) : {}) };
    const child = this.#launch(this.#options.workerEntry ?? defaultWorkerEntry, { env });
    let resolveDone!: (record: JobRecord) => void;
    const job: ActiveJob = {
      record,
      process: child,
      log,
      tracker: new ProgressTracker(),
      outcome: null,
      cancelRequested: false,
      killTimers: [],
      eventTimer: null,
      lastEventAt: 0,
      lastPersistAt: 0,
      writes: Promise.resolve(),
      done: new Promise((resolve) => (resolveDone = resolve)),
      telemetry: null,
      deviceLost: false,
    };
    const gpu = /^cuda:(\d+)$/.exec(record.device ?? '');
    const runName = runNameOf(input);
    if (gpu && runName) {
      const path = join(this.#options.workspace, 'runs', runName, 'telemetry.jsonl');
      job.telemetry = recordTelemetry(path, Number(gpu[1]), this.#options.telemetryIntervalMs).catch(() => null);
    }
    this.#active.set(record.id, job);

    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    child.onMessage((message) => this.#onMessage(job, message));
    child.onExit((code, signal) => {
      void this.#finish(job, code, signal).then(resolveDone);
    });

    const extra = this.#options.extraKinds?.[kind];
    child.send({
      type: 'start',
      kind,
      moduleUrl: extra ? pathToFileURL(extra).href : null,
      input,
      workspace: this.#options.workspace,
      jobDir: this.records.dir(record.id),
      jobId: record.id,
    });
    record.status = 'running';
    record.startedAt = new Date().toISOString();
    record.workerPid = child.pid;
    this.#persist(job);
    this.#emitNow(job);
    return publicRecord(record);
  }

  async get(id: string): Promise<JobRecord | null> {
    const active = this.#active.get(id);
    if (active) return publicRecord(active.record);
    const queued = this.#queued.get(id);
    if (queued) return publicRecord(queued);
    await this.#queuedWrites.get(id);
    const stored = await this.records.read(id);
    return stored ? publicRecord(stored) : null;
  }

  async list(limit = 100): Promise<JobRecord[]> {
    const stored = await this.records.list(limit);
    return stored.map((r) => publicRecord(this.#active.get(r.id)?.record ?? this.#queued.get(r.id) ?? r));
  }

  async log(id: string, tail: number): Promise<string[]> {
    return this.records.tailLog(id, tail);
  }

  /** Resolves with the final record once the job has ended (at once if it already has). */
  async wait(id: string): Promise<JobRecord> {
    const active = this.#active.get(id);
    if (active) return active.done;
    const waiting = this.#queuedDone.get(id);
    if (waiting) return waiting.promise;
    const stored = await this.records.read(id);
    if (!stored) throw Object.assign(new Error(`no job ${id}`), { code: 'not_found' });
    return publicRecord(stored);
  }

  /**
   * Asks a running job to stop: a cancel message first (the kind aborts cleanly), SIGTERM after the grace
   * period, SIGKILL after another. Returns false when the job is not running.
   */
  cancel(id: string): boolean {
    const waiting = this.#queued.get(id);
    if (waiting && this.#queues.remove(id)) {
      // Never started: cancelled at once, and the ones behind it move up.
      this.#queued.delete(id);
      waiting.status = 'cancelled';
      waiting.endedAt = new Date().toISOString();
      delete waiting.queue;
      this.#writeQueued(waiting);
      this.#refreshPositions();
      this.#queuedDone.get(id)?.resolve(publicRecord(waiting));
      this.#queuedDone.delete(id);
      return true;
    }
    const job = this.#active.get(id);
    if (!job || job.cancelRequested) return false;
    job.cancelRequested = true;
    this.#appendLog(job, '[saenggak] cancel requested');
    job.process.send({ type: 'cancel' });
    const grace = this.#options.cancelGraceMs ?? 3000;
    job.killTimers.push(
      setTimeout(() => job.process.kill('SIGTERM'), grace).unref(),
      setTimeout(() => job.process.kill('SIGKILL'), grace * 2).unref(),
    );
    return true;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Cancels every running job and waits for them to end (app shutdown, workspace switch). */
  async close(): Promise<void> {
    const pending = [...this.#active.values()].map((job) => job.done);
    for (const id of this.#active.keys()) this.cancel(id);
    await Promise.all(pending);
  }

  get #crashLogLines(): number {
    return this.#options.crashLogLines ?? 20;
  }

  #onMessage(job: ActiveJob, message: WorkerMessage): void {
    switch (message.type) {
      case 'progress':
        job.record.progress = job.tracker.update(message, Date.now());
        this.#scheduleEvent(job);
        if (Date.now() - job.lastPersistAt >= PERSIST_INTERVAL_MS) this.#persist(job);
        break;
      case 'log':
        this.#appendLog(job, message.line);
        break;
      case 'result':
        job.outcome = { kind: 'result', value: message.value };
        break;
      case 'error':
        if (classifyDeviceError(message.message) === 'device-lost') job.deviceLost = true;
        this.#appendLog(job, message.message);
        job.outcome = { kind: 'error', message: message.message.split('\n')[0] ?? message.message };
        break;
    }
  }

  async #finish(job: ActiveJob, code: number | null, signal: string | null): Promise<JobRecord> {
    for (const timer of job.killTimers) clearTimeout(timer);
    await (await job.telemetry)?.stop();
    if (job.eventTimer) clearTimeout(job.eventTimer);
    const { record } = job;
    // The ended status is set last, with the lost-device mark: a reader that sees the job ended must also
    // see its queue paused (the log closes and the crash tail is read in between).
    let status: typeof record.status;
    if (job.cancelRequested) {
      status = 'cancelled';
    } else if (job.outcome?.kind === 'result') {
      status = 'succeeded';
      record.result = job.outcome.value;
    } else {
      status = 'failed';
      const reason =
        job.outcome?.kind === 'error'
          ? job.outcome.message
          : signal
            ? `The job process was killed by ${signal}.`
            : `The job process exited with code ${code} before reporting a result.`;
      this.#appendLog(job, `[saenggak] ${reason}`);
      job.log.end();
      await once(job.log, 'close').catch(() => undefined);
      record.error = withLogTail(reason, await this.records.tailLog(record.id, this.#crashLogLines));
    }
    if (!job.log.closed) {
      job.log.end();
      await once(job.log, 'close').catch(() => undefined);
    }
    // Lost its device (#21): pause that queue before releasing it, so the next job does not start on a GPU
    // that is gone; the CPU is never marked (an error there is the job's, not the device's).
    if (job.deviceLost && status === 'failed' && record.device && record.device !== 'cpu') this.#markLost(record);
    record.status = status;
    record.endedAt = new Date().toISOString();
    this.#persist(job);
    await job.writes;
    this.#active.delete(record.id);
    this.#emitNow(job);
    if (record.device) {
      this.#queues.release(record.device, record.id);
      this.#refreshPositions();
    }
    return publicRecord(record);
  }

  #markLost(record: StoredJobRecord): void {
    const device = record.device!;
    const message = (record.error ?? '').split('\n')[0]!;
    this.#lost.set(device, { device, jobId: record.id, message, at: new Date().toISOString() });
    this.#queues.setPaused(device, true);
    try {
      writePausedQueues(this.#options.workspace, this.#queues.paused(), [...this.#lost.values()]);
    } catch (error) {
      console.error(`could not record that ${device} was lost:`, error);
    }
    const note = `${device} is marked unavailable: its queue is paused, so waiting jobs do not start there. Resume the queue on the Jobs page once the device works again.`;
    const [first, ...rest] = (record.error ?? '').split('\n');
    record.error = [first, note, ...rest].join('\n');
  }

  #appendLog(job: ActiveJob, line: string): void {
    if (!job.log.writableEnded) job.log.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** Queues an atomic write of the current record; writes for one job never overlap. */
  #persist(job: ActiveJob): void {
    job.lastPersistAt = Date.now();
    const snapshot = structuredClone(job.record);
    job.writes = job.writes
      .then(() => this.records.write(snapshot))
      .catch((error) => console.error(`could not write job ${snapshot.id}:`, error));
  }

  #scheduleEvent(job: ActiveJob): void {
    if (job.eventTimer) return;
    const wait = Math.max(0, job.lastEventAt + EVENT_INTERVAL_MS - Date.now());
    if (wait === 0) {
      this.#emitNow(job);
      return;
    }
    job.eventTimer = setTimeout(() => {
      job.eventTimer = null;
      this.#emitNow(job);
    }, wait);
  }

  #emitNow(job: ActiveJob): void {
    if (job.eventTimer) {
      clearTimeout(job.eventTimer);
      job.eventTimer = null;
    }
    job.lastEventAt = Date.now();
    this.#options.onUpdate?.(publicRecord(job.record));
  }
}

function withLogTail(reason: string, tail: string[]): string {
  return tail.length ? `${reason}\nLast log lines:\n${tail.join('\n')}` : reason;
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
