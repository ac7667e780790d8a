// Request rate and latency of the reward server over a sliding window (GET /metrics). Each finished
// request is one record; rates divide by the window (or the uptime, when shorter), and percentiles are
// nearest-rank over the latencies still in the window.

export type RewardMetricsSnapshot = {
  windowSeconds: number;
  requestsPerSecond: number;
  itemsPerSecond: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  totals: { requests: number; items: number; timeouts: number; failures: number; rejected: number };
};

type Record_ = { at: number; items: number; latencyMs: number };

/** Nearest-rank percentile of ascending values (q in 0..1). */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export class RewardMetrics {
  private readonly records: Record_[] = [];
  private readonly startedAt: number;
  private readonly totals = { requests: 0, items: 0, timeouts: 0, failures: 0, rejected: 0 };

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
  }

  /** A scored batch: its size, how long it took, and how many items timed out or failed. */
  recordBatch(items: number, latencyMs: number, timeouts = 0, failures = 0): void {
    this.records.push({ at: this.now(), items, latencyMs });
    this.totals.requests++;
    this.totals.items += items;
    this.totals.timeouts += timeouts;
    this.totals.failures += failures;
    this.prune();
  }

  /** A request refused before scoring (auth, size, busy, bad input). */
  recordRejected(): void {
    this.totals.rejected++;
  }

  snapshot(): RewardMetricsSnapshot {
    this.prune();
    const span = Math.max(1e-3, Math.min(this.windowMs, this.now() - this.startedAt)) / 1000;
    const latencies = this.records.map((r) => r.latencyMs).sort((a, b) => a - b);
    const items = this.records.reduce((n, r) => n + r.items, 0);
    return {
      windowSeconds: this.windowMs / 1000,
      requestsPerSecond: this.records.length / span,
      itemsPerSecond: items / span,
      latencyMs: { p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), p99: percentile(latencies, 0.99) },
      totals: { ...this.totals },
    };
  }

  private prune(): void {
    const cutoff = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.records.length && this.records[drop].at < cutoff) drop++;
    if (drop > 0) this.records.splice(0, drop);
  }
}
