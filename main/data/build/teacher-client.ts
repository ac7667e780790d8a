// A teacher: one OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, SGLang, Ollama, hosted APIs)
// that writes reasoning traces. Follows the judge client's patterns (main/rewards/judge/client.ts): a
// per-attempt timeout (a hanging connection is aborted), retries with exponential backoff and jitter that
// honour Retry-After, and messages that never contain the API key. Requests go over kept-alive
// connections (keep-alive-post.ts) rather than fetch: a teacher sends thousands of them in a row. On top of that a teacher
// has a request-rate limit (token bucket), a system prompt, and returns the thinking separately:
// `reasoning_content` (vLLM, DeepSeek) or `reasoning` (Ollama, OpenRouter) when the server splits it,
// else a `<think>…</think>` block at the start of the content.
import { parseRetryAfter } from '../../rewards/index.ts';
import { redact } from '../../rewards/judge/redact.ts';
import { splitThinking } from '../../rewards/think-split.ts';
import { Semaphore, TokenBucket } from './token-bucket.ts';
import { KeepAlivePoster } from './keep-alive-post.ts';
import { readStreamedCompletion } from './sse-completion.ts';

export type TeacherOptions = {
  /** Short name used in provenance and stats (unique within a build). */
  name: string;
  /** `http://host:8000`, `http://host:8000/v1` or the full `.../chat/completions` URL. */
  baseUrl: string;
  model: string;
  /** Sent as a bearer token; never logged, never persisted. */
  apiKey?: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Average requests per second (token bucket); unlimited when absent. */
  requestsPerSecond?: number;
  temperature?: number;
  maxTokens?: number;
  systemPrompt?: string;
  /** Per-attempt timeout in ms, headers and body (default 600 000: long reasoning traces take minutes). With `stream`, an idle timeout: no bytes for this long. */
  timeoutMs?: number;
  /** Ask for a streamed reply (server-sent events); a stream cut mid-way is retried. Default false. */
  stream?: boolean;
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** First backoff in ms, doubling per retry with jitter (default 1000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Cap on a server's Retry-After (default 120 000). */
  maxRetryAfterMs?: number;
  /** For tests: replaces the sleep between retries. */
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
};

export type TeacherUsage = { promptTokens: number; completionTokens: number };

export type TeacherReply = {
  thinking: string;
  /** The answer after the thinking. */
  answer: string;
  /** Where the thinking came from. */
  thinkingSource: 'reasoning_field' | 'think_tags' | 'none';
  finishReason: string | null;
  usage: TeacherUsage | null;
  attempts: number;
};

export type TeacherErrorCode = 'http' | 'timeout' | 'network' | 'bad_response' | 'aborted' | 'invalid_options';

export class TeacherError extends Error {
  override readonly name = 'TeacherError';
  constructor(
    message: string,
    readonly code: TeacherErrorCode,
    readonly status: number | null,
    readonly attempts: number,
    /** true when retrying later cannot help (bad request for this prompt). */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
/** Statuses that mean the configuration is wrong: every request would fail, so the build stops. */
const FATAL_STATUS = new Set([401, 403, 404]);

function chatUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (base.endsWith('/chat/completions')) return base;
  if (base.endsWith('/v1')) return `${base}/chat/completions`;
  return `${base}/v1/chat/completions`;
}

type Attempt = { ok: true; reply: Omit<TeacherReply, 'attempts'> } | { ok: false; error: TeacherError; retry: boolean; retryAfterMs: number | null };

type ChoiceMessage = { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };
type Completion = { choices?: { message?: ChoiceMessage; finish_reason?: unknown }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };

/** Reads a completion body into a reply, or explains what is missing. */
export function readCompletion(json: unknown): Omit<TeacherReply, 'attempts'> | string {
  const completion = json as Completion;
  const choice = completion?.choices?.[0];
  const message = choice?.message;
  if (!message || typeof message.content !== 'string') {
    // Some servers send content null with everything in reasoning (length cut): still a string is required.
    if (!message || (message.content !== null && message.content !== undefined)) return 'JSON without choices[0].message.content';
  }
  const content = typeof message.content === 'string' ? message.content : '';
  const field = typeof message.reasoning_content === 'string' ? message.reasoning_content : typeof message.reasoning === 'string' ? message.reasoning : null;
  let thinking = '';
  let answer = content.trim();
  let thinkingSource: TeacherReply['thinkingSource'] = 'none';
  if (field !== null && field.trim() !== '') {
    thinking = field.trim();
    thinkingSource = 'reasoning_field';
  } else {
    const split = splitThinking(content);
    if (split.status !== 'no_thinking') {
      thinking = split.thinking;
      answer = split.summary;
      thinkingSource = 'think_tags';
    }
  }
  const usage = completion.usage;
  const tokens =
    usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number'
      ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
      : null;
  return { thinking, answer, thinkingSource, finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null, usage: tokens };
}

export class TeacherClient {
  readonly name: string;
  readonly url: string;
  private readonly semaphore: Semaphore;
  private readonly bucket: TokenBucket | null;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly poster: KeepAlivePoster;
  /** The same for every request: built once. */
  private readonly headers: Record<string, string>;

  constructor(private readonly options: TeacherOptions) {
    const bad = (message: string) => new TeacherError(`teacher "${options.name}": ${message}`, 'invalid_options', null, 0, true);
    if (!options.name) throw bad('name is required');
    if (!options.baseUrl || !/^https?:\/\//.test(options.baseUrl)) throw bad('base_url must be an http(s) URL');
    if (!options.model) throw bad('model is required');
    this.name = options.name;
    this.url = chatUrl(options.baseUrl);
    this.semaphore = new Semaphore(options.concurrency ?? 4);
    this.bucket = options.requestsPerSecond ? new TokenBucket(options.requestsPerSecond) : null;
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.poster = new KeepAlivePoster(this.url, this.concurrency);
    this.headers = { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
  }

  /** Closes the idle kept-alive connections (they never keep the process alive; this just frees them early). */
  close(): void {
    this.poster.close();
  }

  get model(): string {
    return this.options.model;
  }

  /** Requests this teacher serves at once. */
  get concurrency(): number {
    return this.options.concurrency ?? 4;
  }

  private redact(text: string): string {
    return redact(text, [this.options.apiKey]);
  }

  /** One response to `prompt`. Throws TeacherError after the last retry (or at once when retrying cannot help). */
  async generate(prompt: string, signal?: AbortSignal): Promise<TeacherReply> {
    const release = await this.semaphore.acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw new TeacherError('generation aborted', 'aborted', null, attempt - 1, false);
        if (this.bucket) await this.bucket.take(signal);
        const result = await this.attempt(prompt, attempt, signal);
        if (result.ok) return { ...result.reply, attempts: attempt };
        if (!result.retry || attempt > this.maxRetries) throw result.error;
        const backoff = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() * 0.5);
        const delayMs = result.retryAfterMs !== null ? Math.min(this.maxRetryAfterMs, result.retryAfterMs) : Math.round(backoff);
        this.options.log?.(`teacher ${this.name}: attempt ${attempt} failed (${result.error.message}); retrying in ${delayMs} ms`);
        await this.sleep(delayMs);
      }
    } finally {
      release();
    }
  }

  private async attempt(prompt: string, attempt: number, signal?: AbortSignal): Promise<Attempt> {
    // One timer and one abort listener per attempt; the transport hands back how to tear the request down.
    let cancelled: 'timeout' | 'aborted' | null = null;
    let destroy: ((reason: Error) => void) | null = null;
    const cancel = (why: 'timeout' | 'aborted') => {
      cancelled ??= why;
      destroy?.(new Error(`request ${why}`));
    };
    const onAbort = () => cancel('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => cancel('timeout'), this.timeoutMs);
    // Streaming: the timeout counts silence, not the whole reply.
    const activity = () => void timer.refresh();
    const messages = this.options.systemPrompt ? [{ role: 'system', content: this.options.systemPrompt }] : [];
    messages.push({ role: 'user', content: prompt });
    const body = JSON.stringify({
      model: this.options.model,
      messages,
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      ...(this.options.maxTokens ? { max_tokens: this.options.maxTokens } : {}),
      ...(this.options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
    const fail = (message: string, code: TeacherErrorCode, status: number | null, retry: boolean, retryAfterMs: number | null = null, permanent = false): Attempt => ({
      ok: false,
      error: new TeacherError(this.redact(`teacher ${this.name}: ${message}`), code, status, attempt, permanent),
      retry,
      retryAfterMs,
    });
    try {
      const res = await this.poster.post(body, this.headers, (d) => {
        destroy = d;
        if (cancelled) d(new Error(`request ${cancelled}`));
      });
      const ok = res.status >= 200 && res.status < 300;
      const streamed = this.options.stream && ok && (res.header('content-type') ?? '').includes('text/event-stream');
      if (streamed) {
        const result = await readStreamedCompletion(res.chunks, activity);
        if (!result.ok) return fail(result.reason, 'bad_response', res.status, true);
        const reply = readCompletion(result.completion);
        if (typeof reply === 'string') return fail(reply, 'bad_response', res.status, true);
        return { ok: true, reply };
      }
      const raw = await res.text();
      if (!ok) {
        const snippet = raw.slice(0, 300).replace(/\s+/g, ' ');
        const retry = RETRYABLE_STATUS.has(res.status) || res.status >= 500;
        const hint = FATAL_STATUS.has(res.status) ? ' (check base_url, model and the API key)' : '';
        return fail(`${this.url} answered HTTP ${res.status}${hint}: ${snippet}`, 'http', res.status, retry, parseRetryAfter(res.header('retry-after') ?? null), !retry && !FATAL_STATUS.has(res.status));
      }
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return fail(`body is not JSON (truncated?): ${raw.slice(0, 120)}`, 'bad_response', res.status, true);
      }
      const reply = readCompletion(json);
      if (typeof reply === 'string') return fail(reply, 'bad_response', res.status, true);
      return { ok: true, reply };
    } catch (err) {
      if (signal?.aborted) return fail('generation aborted', 'aborted', null, false);
      if (cancelled === 'timeout') return fail(`request timed out after ${this.timeoutMs} ms`, 'timeout', null, true);
      const code = (err as NodeJS.ErrnoException).code;
      return fail(`request to ${this.url} failed: ${code ?? (err as Error).message}`, 'network', null, true);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
