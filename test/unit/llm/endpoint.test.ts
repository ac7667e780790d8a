// The endpoint rules the teacher and judge clients share (main/llm/endpoint.ts): the chat URL forms, Retry-After
// in both spellings, the wait before the next attempt (Retry-After capped, else jittered exponential backoff),
// and the retry loop (retry while worth it, at most maxRetries more, then give up with the last error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatUrl, parseRetryAfter, retryDelayMs, Semaphore, withRetries, type AttemptResult } from '../../../main/llm/endpoint.ts';

test('chat URL from a base URL, a /v1 URL or the full path', () => {
  assert.equal(chatUrl('http://h:8000'), 'http://h:8000/v1/chat/completions');
  assert.equal(chatUrl('http://h:8000/v1/'), 'http://h:8000/v1/chat/completions');
  assert.equal(chatUrl('http://h/api/chat/completions'), 'http://h/api/chat/completions');
});

test('Retry-After in seconds or as an HTTP date; the wait honours it (capped) or backs off with jitter', () => {
  assert.equal(parseRetryAfter('2.5'), 2500);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now), 7000);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(null), null);
  const policy = { backoffMs: 100, maxBackoffMs: 1000, maxRetryAfterMs: 5000 };
  assert.equal(retryDelayMs(1, 3000, policy), 3000);
  assert.equal(retryDelayMs(1, 60_000, policy), 5000);
  for (let attempt = 1; attempt <= 6; attempt++) {
    const full = Math.min(1000, 100 * 2 ** (attempt - 1));
    for (let i = 0; i < 50; i++) {
      const d = retryDelayMs(attempt, null, policy);
      assert.ok(d >= Math.floor(full / 2) && d <= full, `attempt ${attempt}: ${d} within [${full / 2}, ${full}]`);
    }
  }
});

class Failure extends Error {}

/** Attempts that follow a script: 'ok', 'retry' (retryable failure) or 'fatal'. */
function scripted(script: ('ok' | 'retry' | 'fatal')[]) {
  const calls: number[] = [];
  const attempt = async (n: number): Promise<AttemptResult<string, Failure>> => {
    calls.push(n);
    const step = script[n - 1] ?? 'retry';
    return step === 'ok' ? { ok: true, value: `done at ${n}` } : { ok: false, error: new Failure(`${step} ${n}`), retry: step === 'retry', retryAfterMs: step === 'retry' ? n * 10 : null };
  };
  return { attempt, calls };
}

test('the retry loop: retries while worth it, waits as told, gives up after maxRetries more', async () => {
  const slept: number[] = [];
  const policy = { maxRetries: 3, backoffMs: 1, maxBackoffMs: 1, maxRetryAfterMs: 1000, sleep: async (ms: number) => void slept.push(ms) };
  const ok = scripted(['retry', 'retry', 'ok']);
  const before: number[] = [];
  assert.deepEqual(await withRetries(policy, ok.attempt, { before: (n) => void before.push(n) }), { value: 'done at 3', attempts: 3 });
  assert.deepEqual([ok.calls, before, slept], [[1, 2, 3], [1, 2, 3], [10, 20]]);

  const spent = scripted([]);
  const retried: number[] = [];
  await assert.rejects(withRetries(policy, spent.attempt, { retrying: (n) => void retried.push(n), giveUp: (n, e) => new Error(`gave up after ${n}: ${e.message}`) }), /gave up after 4: retry 4/);
  assert.deepEqual([spent.calls, retried], [[1, 2, 3, 4], [1, 2, 3]]);

  const fatal = scripted(['retry', 'fatal']);
  await assert.rejects(withRetries(policy, fatal.attempt), (e: Error) => e instanceof Failure && e.message === 'fatal 2');
  assert.deepEqual(fatal.calls, [1, 2]);

  // `before` may stop the loop (an abort): no attempt runs after it throws.
  const stopped = scripted(['retry', 'ok']);
  await assert.rejects(withRetries(policy, stopped.attempt, { before: (n) => { if (n === 2) throw new Error('aborted'); } }), /aborted/);
  assert.deepEqual(stopped.calls, [1]);
});

test('the semaphore holds at most `limit` and hands slots over in arrival order', async () => {
  const sem = new Semaphore(2);
  const order: number[] = [];
  const releases = await Promise.all([sem.acquire(), sem.acquire()]);
  const waiting = [3, 4].map((i) => sem.acquire().then((release) => (order.push(i), release)));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, []);
  releases[0]!();
  releases[0]!(); // a second release of the same slot is ignored
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [3]);
  releases[1]!();
  (await Promise.all(waiting)).forEach((release) => release());
  assert.deepEqual(order, [3, 4]);
  assert.throws(() => new Semaphore(0), /concurrency must be >= 1/);
});
