// A run's metrics: one JSON object per line in metrics.jsonl, appended and fsynced as steps finish, so
// live charts can poll it by byte offset and a killed run keeps every acknowledged point. A torn last
// line (the process died mid-write) is ignored by readers and cut off by the next writer; a resumed run
// first truncates the points after its checkpoint's step, so the file never holds two curves.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, fstatSync, writeSync } from 'node:fs';
import { TensorBoardWriter } from './tensorboard.ts';

/** One point: the optimizer step, which split it belongs to, and numbers (loss, lr, grad_norm, tokens_per_s, ...). */
export interface MetricRecord {
  step: number;
  /** 'train' for per-step values, 'eval' for held-out evaluations, or a trainer-specific split ('rollout'). */
  split: string;
  /** ISO time the point was written. */
  time: string;
  [metric: string]: number | string;
}

export interface MetricsPage {
  records: MetricRecord[];
  /** Byte offset to pass as `from` next time (only complete lines are consumed). */
  next: number;
}

/** Reads complete lines from byte offset `from` (0 = the start). */
export function readMetrics(path: string, from = 0): MetricsPage {
  if (!existsSync(path)) return { records: [], next: 0 };
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (from >= size) return { records: [], next: Math.min(from, size) };
    const buffer = Buffer.alloc(size - from);
    readSync(fd, buffer, 0, buffer.length, from);
    const end = buffer.lastIndexOf(0x0a) + 1;
    const records: MetricRecord[] = [];
    for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as MetricRecord);
      } catch {
        // A complete line that is not JSON was not written by MetricsLog; skip it rather than hide the chart.
      }
    }
    return { records, next: from + end };
  } finally {
    closeSync(fd);
  }
}

export class MetricsLog {
  private constructor(private readonly fd: number, readonly path: string, private readonly tensorboard: TensorBoardWriter | null = null) {}

  /**
   * Opens for appending. With `resumeAfterStep`, drops every point with step > that value (what the
   * killed run logged after its last checkpoint; the resumed run logs those steps again).
   */
  static open(path: string, options: { resumeAfterStep?: number; tensorboardDir?: string } = {}): MetricsLog {
    let keep: number | null = null;
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      keep = bytes.lastIndexOf(0x0a) + 1; // cut a torn last line
      if (options.resumeAfterStep !== undefined) {
        let offset = 0;
        for (const line of bytes.subarray(0, keep).toString('utf8').split('\n')) {
          if (!line) continue;
          let step = -Infinity;
          try {
            step = (JSON.parse(line) as MetricRecord).step;
          } catch {
            // unreadable lines are kept where they are; only steps decide
          }
          if (step > options.resumeAfterStep) break;
          offset += Buffer.byteLength(line, 'utf8') + 1;
        }
        keep = offset;
      }
    }
    const fd = openSync(path, 'a+');
    if (keep !== null && keep < fstatSync(fd).size) {
      ftruncateSync(fd, keep);
      fsyncSync(fd);
    }
    // The same points also go to a TensorBoard events file (`<split>/<metric>` tags) when asked for.
    return new MetricsLog(fd, path, options.tensorboardDir ? TensorBoardWriter.open(options.tensorboardDir) : null);
  }

  /** Appends points and fsyncs them; they are durable when this returns. */
  append(...records: Omit<MetricRecord, 'time'>[]): void {
    if (records.length === 0) return;
    const time = new Date().toISOString();
    const text = records.map((r) => JSON.stringify({ ...r, time })).join('\n') + '\n';
    const buffer = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    fsyncSync(this.fd);
    if (this.tensorboard) {
      for (const r of records) {
        const scalars: Record<string, number> = {};
        for (const [k, v] of Object.entries(r)) if (k !== 'step' && typeof v === 'number') scalars[`${r.split}/${k}`] = v;
        this.tensorboard.scalars(r.step as number, scalars);
      }
    }
  }

  /** A text entry for TensorBoard's Text tab (sample rollouts); a no-op when the run writes no TensorBoard files. */
  appendText(step: number, tag: string, text: string): void {
    this.tensorboard?.text(step, tag, text);
  }

  close(): void {
    closeSync(this.fd);
    this.tensorboard?.close();
  }
}
