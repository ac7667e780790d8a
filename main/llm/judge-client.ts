// A client for any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, SGLang, llama.cpp, Ollama, the
// OpenAI API), used as an LLM judge. Plain `fetch`, no SDK. It bounds everything a remote service can do to
// a training run: at most `concurrency` requests in flight, a timeout per attempt (a hanging connection is
// aborted), retries with exponential backoff and jitter that honour Retry-After, and errors that never
// contain the API key. The endpoint rules (URL, retryable statuses, Retry-After, backoff, concurrency) are
// endpoint.ts's, shared with the teacher client. It implements the rewards' `Judge`: the judge reward takes
// any scorer of that shape, so rewards/ never imports this client.
import { parseJudgeScore } from '../rewards/judge/parse-score.ts';
import { RUBRICS, renderRubric, type ChatMessage } from '../rewards/judge/rubrics.ts';
import type { Judge, JudgeRequest, JudgeScore } from '../rewards/judge/types.ts';
import { chatUrl, parseRetryAfter, RETRYABLE_STATUS, Semaphore, withRetries, type AttemptResult } from './endpoint.ts';
import { redact } from './redact.ts';

export type { JudgeRequest, JudgeScore } from '../rewards/judge/types.ts';
export { parseRetryAfter, Semaphore } from './endpoint.ts';

export type JudgeLogEvent =
  | { type: 'request'; attempt: number; url: string }
  | { type: 'retry'; attempt: number; delayMs: number; reason: string }
  | { type: 'error'; attempts: number; message: string };

export type JudgeClientOptions = {
  /** `http://host:8000`, `http://host:8000/v1` or the full `.../chat/completions` URL. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-attempt timeout in ms, covering headers and body (default 60 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff delay in ms; doubles per retry, with jitter (default 500). */
  backoffMs?: number;
  /** Cap on one backoff delay (default 20 000). */
  maxBackoffMs?: number;
  /** Cap on a server's Retry-After (default 60 000). */
  maxRetryAfterMs?: number;
  temperature?: number;
  maxTokens?: number;
  /** Extra headers (never logged). */
  headers?: Record<string, string>;
  /** Receives request/retry/error events; messages are already redacted. */
  log?: (event: JudgeLogEvent) => void;
  /** For tests: replaces global fetch / the sleep between retries. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
};

export type JudgeErrorCode = 'http' | 'timeout' | 'network' | 'bad_response' | 'aborted' | 'invalid_options';

export class JudgeError extends Error {
  override readonly name = 'JudgeError';
  constructor(
    message: string,
    readonly code: JudgeErrorCode,
    readonly status: number | null,
    readonly attempts: number,
  ) {
    super(message);
  }
}

type Attempt = AttemptResult<string, JudgeError>;

export class JudgeClient implements Judge {
  readonly url: string;
  private readonly opts: Required<Pick<JudgeClientOptions, 'concurrency' | 'timeoutMs' | 'maxRetries' | 'backoffMs' | 'maxBackoffMs' | 'maxRetryAfterMs'>>;
  private readonly semaphore: Semaphore;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: JudgeClientOptions) {
    if (!options.baseUrl || !/^https?:\/\//.test(options.baseUrl)) {
      throw new JudgeError('baseUrl must be an http(s) URL', 'invalid_options', null, 0);
    }
    if (!options.model) throw new JudgeError('model is required', 'invalid_options', null, 0);
    this.url = chatUrl(options.baseUrl);
    this.opts = {
      concurrency: options.concurrency ?? 4,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 3,
      backoffMs: options.backoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 20_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    };
    if (!(this.opts.concurrency >= 1) || !(this.opts.timeoutMs > 0) || !(this.opts.maxRetries >= 0)) {
      throw new JudgeError('concurrency must be >= 1, timeoutMs > 0 and maxRetries >= 0', 'invalid_options', null, 0);
    }
    this.semaphore = new Semaphore(this.opts.concurrency);
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private redact(text: string): string {
    return redact(text, [this.options.apiKey, ...Object.values(this.options.headers ?? {})]);
  }

  /** Sends one chat completion and returns the assistant's text. Throws JudgeError after the last retry. */
  async complete(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<{ text: string; attempts: number }> {
    const release = await this.semaphore.acquire();
    try {
      const { value: text, attempts } = await withRetries({ ...this.opts, sleep: this.sleep }, (attempt) => this.attempt(messages, attempt, signal), {
        before: (attempt) => {
          if (signal?.aborted) throw new JudgeError('request aborted by the caller', 'aborted', null, attempt - 1);
          this.options.log?.({ type: 'request', attempt, url: this.url });
        },
        retrying: (attempt, delayMs, error) => this.options.log?.({ type: 'retry', attempt, delayMs, reason: error.message }),
        giveUp: (attempt, error) => {
          this.options.log?.({ type: 'error', attempts: attempt, message: error.message });
          return error;
        },
      });
      return { text, attempts };
    } finally {
      release();
    }
  }

  private async attempt(messages: readonly ChatMessage[], attempt: number, signal?: AbortSignal): Promise<Attempt> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(this.options.headers ?? {}) };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const body = JSON.stringify({
      model: this.options.model,
      messages,
      temperature: this.options.temperature ?? 0,
      ...(this.options.maxTokens ? { max_tokens: this.options.maxTokens } : {}),
    });
    const fail = (message: string, code: JudgeErrorCode, status: number | null, retry: boolean, retryAfterMs: number | null = null): Attempt => ({
      ok: false,
      error: new JudgeError(this.redact(message), code, status, attempt),
      retry,
      retryAfterMs,
    });
    try {
      const res = await this.fetchImpl(this.url, { method: 'POST', headers, body, signal: controller.signal });
      const raw = await res.text();
      if (!res.ok) {
        const snippet = raw.slice(0, 300).replace(/\s+/g, ' ');
        return fail(
          `judge endpoint ${this.url} answered HTTP ${res.status}: ${snippet}`,
          'http',
          res.status,
          RETRYABLE_STATUS.has(res.status) || res.status >= 500,
          parseRetryAfter(res.headers.get('retry-after')),
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return fail(`judge endpoint returned a body that is not JSON: ${raw.slice(0, 120)}`, 'bad_response', res.status, true);
      }
      const content = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') {
        return fail('judge endpoint returned JSON without choices[0].message.content', 'bad_response', res.status, true);
      }
      return { ok: true, value: content };
    } catch (err) {
      if (signal?.aborted) return fail('request aborted by the caller', 'aborted', null, false);
      if (controller.signal.aborted) return fail(`judge request timed out after ${this.opts.timeoutMs} ms`, 'timeout', null, true);
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      return fail(`judge request to ${this.url} failed: ${detail}`, 'network', null, true);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Judges one response with a rubric; a reply without a readable score gives `score: null`. */
  async score(request: JudgeRequest, signal?: AbortSignal): Promise<JudgeScore> {
    const rubric = typeof request.rubric === 'object' ? request.rubric : RUBRICS[request.rubric ?? 'ko'];
    if (!rubric) throw new JudgeError(`unknown rubric "${String(request.rubric)}" (use 'ko', 'en' or a Rubric)`, 'invalid_options', null, 0);
    const { text, attempts } = await this.complete(renderRubric(rubric, request), signal);
    const parsed = parseJudgeScore(text, rubric.scale);
    return { score: parsed ? parsed.normalized : null, parsed, text, attempts };
  }
}
