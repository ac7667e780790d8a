// Turns raw "done of total" reports into what a progress bar shows: a smoothed rate and an ETA.
// The rate is an exponential moving average of instantaneous rates, weighted by elapsed time so that
// bursty reporters (many reports in one millisecond, then a pause) do not make it jump.
import type { JobProgress } from './types.ts';

export type ProgressReport = { done: number; total?: number | null; unit?: string; message?: string };

export class ProgressTracker {
  /** Seconds over which old rate samples fade to 1/e of their weight. */
  readonly #timeConstantS: number;
  #lastDone = 0;
  #lastAtMs: number | null = null;
  #rate: number | null = null;
  #unit = 'items';

  constructor(timeConstantS = 3) {
    this.#timeConstantS = timeConstantS;
  }

  update(report: ProgressReport, nowMs: number): JobProgress {
    if (report.unit) this.#unit = report.unit;
    const total = report.total ?? null;
    if (this.#lastAtMs === null) {
      this.#lastAtMs = nowMs;
      this.#lastDone = report.done;
    } else {
      const dtS = (nowMs - this.#lastAtMs) / 1000;
      // Reports closer together than 50 ms are folded into the next sample: their rate is noise.
      if (dtS >= 0.05) {
        const instant = Math.max(0, report.done - this.#lastDone) / dtS;
        const alpha = 1 - Math.exp(-dtS / this.#timeConstantS);
        this.#rate = this.#rate === null ? instant : this.#rate + alpha * (instant - this.#rate);
        this.#lastAtMs = nowMs;
        this.#lastDone = report.done;
      }
    }
    const remaining = total === null ? null : Math.max(0, total - report.done);
    const etaSeconds = remaining !== null && this.#rate !== null && this.#rate > 0 ? remaining / this.#rate : null;
    const progress: JobProgress = { done: report.done, total, unit: this.#unit, rate: this.#rate, etaSeconds };
    if (report.message !== undefined) progress.message = report.message;
    return progress;
  }
}
