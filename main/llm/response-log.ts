// The durable record of a build's generation: one JSON line per teacher response, appended as responses
// arrive and fsynced per batch. A response counts as acknowledged (progress, stats) only once its batch
// is on disk, so a crash loses at most unacknowledged work, which the resumed run simply asks for again.
//
// Resume rules: on open, complete lines are read back and the keys (prompt_id, teacher, sample_idx) of
// successful responses become the done set; a torn last line (the process died mid-write) is cut off; a
// successful key seen twice (cannot happen through this class, but a hand-edited file might) keeps its
// first line. Error lines (a 400, a malformed reply, a runaway stream) record why a sample was skipped but
// do not make it done: the next run asks again, and a later line for the key (success or a newer error)
// supersedes the error in `all()`.
import { closeSync, existsSync, fsync, fsyncSync, ftruncateSync, openSync, readFileSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TeacherUsage } from './teacher-client.ts';

export type LoggedResponse = {
  prompt_id: string;
  teacher: string;
  sample_idx: number;
  /** 'ok', or 'error' for a sample skipped in that run (the reason is kept; the next run retries it). */
  status: 'ok' | 'error';
  thinking: string;
  answer: string;
  thinking_source: string;
  finish_reason: string | null;
  usage: TeacherUsage | null;
  error?: string;
  /** TeacherError code of an error line (`http`, `bad_response`, `deadline`, …). */
  error_code?: string;
  created_at: string;
};

export function responseKey(promptId: string, teacher: string, sampleIdx: number): string {
  return `${promptId}\u0000${teacher}\u0000${sampleIdx}`;
}

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

export class ResponseLog {
  private readonly fd: number;
  private readonly done = new Set<string>();
  /** The latest error line of each key that has no success yet. */
  private readonly errored = new Map<string, LoggedResponse>();
  private entries: LoggedResponse[] = [];
  private pending: string[] = [];
  private pendingEntries: LoggedResponse[] = [];
  /** Keys queued since the last flush (a key is queued once). */
  private readonly pendingKeys = new Set<string>();
  private closed = false;
  /** The async flush in progress (they run one at a time, in order). */
  private flushing: Promise<unknown> = Promise.resolve();
  /** Lines cut off at open (a torn write from a crash). */
  readonly tornBytes: number;

  private constructor(readonly path: string, fd: number, entries: LoggedResponse[], tornBytes: number) {
    this.fd = fd;
    this.tornBytes = tornBytes;
    for (const entry of entries) this.acknowledge(entry);
  }

  /** Takes an on-disk line into the in-memory view (done set, superseded errors). */
  private acknowledge(entry: LoggedResponse): void {
    const key = responseKey(entry.prompt_id, entry.teacher, entry.sample_idx);
    if (this.done.has(key)) return;
    const earlier = this.errored.get(key);
    if (earlier) this.entries = this.entries.filter((e) => e !== earlier);
    if (entry.status === 'ok') {
      this.errored.delete(key);
      this.done.add(key);
    } else this.errored.set(key, entry);
    this.entries.push(entry);
  }

  /** Opens (creating when missing) the log at `path`, reading back what an earlier run wrote. */
  static open(path: string): ResponseLog {
    let entries: LoggedResponse[] = [];
    let validBytes = 0;
    let totalBytes = 0;
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      totalBytes = bytes.length;
      const lastNewline = bytes.lastIndexOf(0x0a);
      validBytes = lastNewline + 1;
      const text = bytes.subarray(0, validBytes).toString('utf8');
      entries = [];
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          entries.push(JSON.parse(line) as LoggedResponse);
        } catch {
          // A complete but unreadable line cannot come from this writer; stop trusting the rest of the file.
          throw new Error(`${path}: a line is not valid JSON; the generation log is damaged (move it away to start this build over)`);
        }
      }
    }
    const fd = openSync(path, 'a+');
    if (totalBytes > validBytes) {
      ftruncateSync(fd, validBytes);
      fsyncSync(fd);
    }
    return new ResponseLog(path, fd, entries, totalBytes - validBytes);
  }

  /** A successful response is on record (error lines do not count: those samples are asked again). */
  has(promptId: string, teacher: string, sampleIdx: number): boolean {
    return this.done.has(responseKey(promptId, teacher, sampleIdx));
  }

  /** Acknowledged (on-disk) responses, in write order. */
  all(): readonly LoggedResponse[] {
    return this.entries;
  }

  /** Keys on record: successes plus samples whose last line is an error. */
  get size(): number {
    return this.done.size + this.errored.size;
  }

  /** Queues one response; it becomes acknowledged at the next `flush`. Duplicate keys are ignored. */
  add(entry: LoggedResponse): void {
    if (this.closed) throw new Error('ResponseLog: add after close');
    const key = responseKey(entry.prompt_id, entry.teacher, entry.sample_idx);
    if (this.done.has(key) || this.pendingKeys.has(key)) return;
    this.pendingKeys.add(key);
    this.pending.push(JSON.stringify(entry) + '\n');
    this.pendingEntries.push(entry);
  }

  /** Takes the queued lines as one buffer of whole lines (a crash leaves at most one torn line, which open() cuts off). */
  private takePending(): { buffer: Buffer; entries: LoggedResponse[] } | null {
    if (this.pending.length === 0) return null;
    const taken = { buffer: Buffer.from(this.pending.join(''), 'utf8'), entries: this.pendingEntries };
    this.pending = [];
    this.pendingEntries = [];
    this.pendingKeys.clear();
    return taken;
  }

  /** Writes and fsyncs the queued responses; returns those now acknowledged. Call `idle()` first when async flushes may be running. */
  flush(): LoggedResponse[] {
    const taken = this.takePending();
    if (!taken) return [];
    let offset = 0;
    while (offset < taken.buffer.length) offset += writeSync(this.fd, taken.buffer, offset);
    fsyncSync(this.fd);
    for (const entry of taken.entries) this.acknowledge(entry);
    return taken.entries;
  }

  /**
   * Like `flush`, but the write and fsync run on libuv's thread pool, so the event loop keeps serving
   * in-flight requests meanwhile (an fsync takes milliseconds to tens of milliseconds). Calls queue up
   * and complete in order.
   */
  flushAsync(): Promise<LoggedResponse[]> {
    const run = async (): Promise<LoggedResponse[]> => {
      const taken = this.takePending();
      if (!taken) return [];
      let offset = 0;
      while (offset < taken.buffer.length) offset += (await writeAsync(this.fd, taken.buffer, offset)).bytesWritten;
      await fsyncAsync(this.fd);
      for (const entry of taken.entries) this.acknowledge(entry);
      return taken.entries;
    };
    const next = this.flushing.then(run);
    this.flushing = next.catch(() => undefined);
    return next;
  }

  /** Resolves when no async flush is running. */
  idle(): Promise<void> {
    return this.flushing.then(() => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}
