// The Devices page's live telemetry: one watcher per back end, started by the first poll and stopped when
// nobody has asked for a while (no nvidia-smi runs for a closed page). Keeps the last minute of samples so
// a chart has a history the moment the page opens again.
import { watchGpus, type TelemetrySample, type TelemetryWatch } from './telemetry.ts';

export type TelemetryView = {
  /** Oldest first, at most `keep` samples. */
  samples: TelemetrySample[];
  /** Why there are none (no nvidia-smi, no GPU), or null while sampling. */
  reason: string | null;
  intervalMs: number;
};

export class TelemetrySampler {
  #samples: TelemetrySample[] = [];
  #reason: string | null = null;
  #watch: Promise<TelemetryWatch> | null = null;
  #lastAsked = 0;
  #startedAt = 0;
  #idleTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly intervalMs = 1000,
    readonly keep = 60,
    readonly idleStopMs = 15_000,
  ) {}

  /** The samples so far; starts sampling if it was not running. */
  view(): TelemetryView {
    this.#lastAsked = Date.now();
    // Without nvidia-smi, try again only now and then rather than on every poll.
    if (!this.#watch && (this.#reason === null || Date.now() - this.#startedAt > 10_000)) this.#start();
    return { samples: [...this.#samples], reason: this.#reason, intervalMs: this.intervalMs };
  }

  #start(): void {
    this.#startedAt = Date.now();
    this.#reason = null;
    this.#watch = watchGpus({
      intervalMs: this.intervalMs,
      onSample: (s) => {
        this.#samples.push(s);
        if (this.#samples.length > this.keep) this.#samples.splice(0, this.#samples.length - this.keep);
      },
      onEnd: (reason) => {
        this.#reason = reason;
        // Ended by itself (nvidia-smi missing or gone): a later poll may try again after the idle period.
        this.#watch = null;
        this.#clearIdle();
      },
    });
    this.#idleTimer = setInterval(() => {
      if (Date.now() - this.#lastAsked > this.idleStopMs) void this.stop();
    }, Math.min(this.idleStopMs, 5000));
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    this.#idleTimer = null;
  }

  async stop(): Promise<void> {
    this.#clearIdle();
    const watch = this.#watch;
    this.#watch = null;
    if (watch) {
      const w = await watch;
      w.stop();
      await w.done;
    }
  }
}
