// What every call to an OpenAI-compatible `/v1/chat/completions` endpoint shares, whichever client makes it
// (the teacher that writes training data, the judge that scores responses): where the endpoint is, which
// answers are worth retrying, how long to wait before the next attempt, the retry loop itself, and how
// many requests may be in flight. One copy, so the two clients cannot drift apart; what differs stays in
// each client (the judge's fetch and rubric, the teacher's kept-alive connections, rate limit, `n` and streams).

/** `http://host:8000`, `http://host:8000/v1` or the full `.../chat/completions` URL → the chat completions URL. */
export function chatUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (base.endsWith('/chat/completions')) return base;
  if (base.endsWith('/v1')) return `${base}/chat/completions`;
  return `${base}/v1/chat/completions`;
}

/** HTTP statuses a later attempt may get past (besides every 5xx). */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** Parses Retry-After (seconds or an HTTP date) into ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * The wait before attempt `attempt + 1`: a server's Retry-After wins (capped, so a bad header cannot stall a
 * run), else exponential backoff from `backoffMs`, capped at `maxBackoffMs`, with jitter (50–100 %).
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, o: { backoffMs: number; maxBackoffMs: number; maxRetryAfterMs: number }): number {
  if (retryAfterMs !== null) return Math.min(o.maxRetryAfterMs, retryAfterMs);
  return Math.round(Math.min(o.maxBackoffMs, o.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() * 0.5));
}

/** One attempt's outcome: a value, or an error and whether a later attempt may get past it. */
export type AttemptResult<T, E extends Error> = { ok: true; value: T } | { ok: false; error: E; retry: boolean; retryAfterMs: number | null };

export type RetryPolicy = { maxRetries: number; backoffMs: number; maxBackoffMs: number; maxRetryAfterMs: number; sleep: (ms: number) => Promise<void> };

/**
 * The retry loop both clients run: attempt; on a failure worth retrying, wait (Retry-After or backoff) and
 * attempt again, at most `maxRetries` times more. `before` runs ahead of each attempt (abort check, rate
 * limit, log) and may throw; `retrying` hears each wait; `giveUp` turns the last failure into what is thrown.
 */
export async function withRetries<T, E extends Error>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<AttemptResult<T, E>>,
  hooks: { before?: (n: number) => void | Promise<void>; retrying?: (n: number, delayMs: number, error: E) => void; giveUp?: (n: number, error: E, retryable: boolean) => Error } = {},
): Promise<{ value: T; attempts: number }> {
  for (let n = 1; ; n++) {
    await hooks.before?.(n);
    const result = await attempt(n);
    if (result.ok) return { value: result.value, attempts: n };
    if (!result.retry || n > policy.maxRetries) throw hooks.giveUp ? hooks.giveUp(n, result.error, result.retry) : result.error;
    const delayMs = retryDelayMs(n, result.retryAfterMs, policy);
    hooks.retrying?.(n, delayMs, result.error);
    await policy.sleep(delayMs);
  }
}

/** A counting semaphore: at most `limit` holders at once, FIFO. Bounds the requests a client has in flight. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`concurrency must be >= 1, got ${limit}`);
  }
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}
