// A teacher: one OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, SGLang, Ollama, hosted APIs)
// that writes reasoning traces. Shares the judge client's endpoint rules (endpoint.ts): a
// per-attempt timeout (a hanging connection is aborted), retries with exponential backoff and jitter that
// honour Retry-After, and messages that never contain the API key. Requests go over kept-alive
// connections (keep-alive-post.ts) rather than fetch: a teacher sends thousands of them in a row. On top of that a teacher
// has a request-rate limit (token bucket), a system prompt, and returns the thinking separately:
// `reasoning_content` (vLLM, DeepSeek) or `reasoning` (Ollama, OpenRouter) when the server splits it,
// else a `<think>…</think>` block at the start of the content.
//
// Request body: `model`, `messages`, then every OpenAI-compatible sampling field the recipe sets
// (`sampling`: top_p, seed, stop, max_tokens, …), then `extraBody` merged last (server-specific fields such
// as vLLM's `chat_template_kwargs: {enable_thinking}` or `repetition_penalty`). Several samples of one
// prompt go out as one request with `n` when the server honours it; a server that answers fewer choices
// (Ollama ignores `n`) or refuses `n` is detected once and then asked once per sample. With a `seed`,
// sample i is asked with seed + i so separate requests do not repeat one another.
//
// Two clocks bound an attempt: `timeoutMs` (whole reply, or silence when streaming) and `deadlineMs`, an
// overall deadline per request that streaming activity does not reset (a teacher that streams forever is cut).
// A malformed 200 (`{"choices": []}`) is retried; when retries are spent it is a permanent error for that
// prompt only (recorded with its reason, asked again on the next run), not the end of the build.
import { splitThinking } from '../rewards/think-split.ts';
import { chatUrl, parseRetryAfter, RETRYABLE_STATUS, Semaphore, withRetries, type AttemptResult } from './endpoint.ts';
import { redact } from './redact.ts';
import { TokenBucket } from './token-bucket.ts';
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
  /** OpenAI-compatible sampling fields, sent as written (snake_case, the wire names). */
  sampling?: TeacherSampling;
  /** Server-specific body fields, merged last (they may override anything but model, messages and stream). */
  extraBody?: Record<string, unknown>;
  /** Overall deadline per request in ms, not reset by streamed bytes (default max(timeoutMs, 30 min)). */
  deadlineMs?: number;
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

/** The OpenAI chat-completions sampling fields a teacher may set (names as on the wire). */
export type TeacherSampling = {
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  /** Upper bound on choices per request; 1 turns batching with `n` off. Default: all samples a prompt still needs. */
  n?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  logit_bias?: Record<string, number>;
  reasoning_effort?: string;
  user?: string;
};

/** Keys extraBody may not set: they are the request itself, not options of it. */
export const RESERVED_BODY_KEYS = ['model', 'messages', 'stream', 'stream_options'] as const;

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

export type TeacherErrorCode = 'http' | 'timeout' | 'deadline' | 'network' | 'bad_response' | 'aborted' | 'invalid_options';

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

/** Statuses that mean the configuration is wrong: every request would fail, so the build stops. */
const FATAL_STATUS = new Set([401, 403, 404]);

type Reply = Omit<TeacherReply, 'attempts'>;
type Attempt = AttemptResult<Reply[], TeacherError>;

type ChoiceMessage = { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };
type Completion = { choices?: { message?: ChoiceMessage; finish_reason?: unknown }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };

function readChoice(choice: NonNullable<Completion['choices']>[number] | undefined, index: number): Omit<Reply, 'usage'> | string {
  const message = choice?.message;
  if (!message || typeof message.content !== 'string') {
    // Some servers send content null with everything in reasoning (length cut): still a string is required.
    if (!message || (message.content !== null && message.content !== undefined)) return `JSON without choices[${index}].message.content`;
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
  return { thinking, answer, thinkingSource, finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null };
}

function readUsage(completion: Completion): TeacherUsage | null {
  const usage = completion?.usage;
  return usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number'
    ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
    : null;
}

/** Reads a completion body into a reply (its first choice), or explains what is missing. */
export function readCompletion(json: unknown): Reply | string {
  const replies = readCompletions(json, 1);
  return typeof replies === 'string' ? replies : replies[0];
}

/**
 * Every choice of a completion, in `index` order (at most `max`), or what is wrong. The usage (the whole
 * request's) goes with the first reply so sums over replies stay right.
 */
export function readCompletions(json: unknown, max: number): Reply[] | string {
  const completion = json as Completion;
  if (typeof completion !== 'object' || completion === null) return 'the body is not a JSON object';
  const choices = Array.isArray(completion.choices) ? [...completion.choices] : [];
  if (choices.length === 0) return 'JSON without choices[0].message.content (choices is empty or missing)';
  choices.sort((a, b) => Number((a as { index?: unknown }).index ?? 0) - Number((b as { index?: unknown }).index ?? 0));
  const replies: Reply[] = [];
  for (let i = 0; i < Math.min(max, choices.length); i++) {
    const reply = readChoice(choices[i], i);
    if (typeof reply === 'string') return reply;
    replies.push({ ...reply, usage: i === 0 ? readUsage(completion) : null });
  }
  return replies;
}

export class TeacherClient {
  readonly name: string;
  readonly url: string;
  private readonly semaphore: Semaphore;
  private readonly bucket: TokenBucket | null;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly poster: KeepAlivePoster;
  /** The same for every request: built once. */
  private readonly headers: Record<string, string>;
  /** Whether the server honours `n` (null until the first multi-sample request tells). */
  private nSupported: boolean | null = null;

  constructor(private readonly options: TeacherOptions) {
    const bad = (message: string) => new TeacherError(`teacher "${options.name}": ${message}`, 'invalid_options', null, 0, true);
    if (!options.name) throw bad('name is required');
    if (!options.baseUrl || !/^https?:\/\//.test(options.baseUrl)) throw bad('base_url must be an http(s) URL');
    if (!options.model) throw bad('model is required');
    const s = options.sampling ?? {};
    if (options.temperature !== undefined && s.temperature !== undefined && options.temperature !== s.temperature) throw bad(`temperature ${options.temperature} and sampling.temperature ${s.temperature} disagree; set one`);
    if (options.maxTokens !== undefined && s.max_tokens !== undefined && options.maxTokens !== s.max_tokens) throw bad(`max_tokens ${options.maxTokens} and sampling.max_tokens ${s.max_tokens} disagree; set one`);
    if (s.n !== undefined && !(Number.isSafeInteger(s.n) && s.n >= 1)) throw bad(`sampling.n must be an integer >= 1, got ${s.n}`);
    for (const key of RESERVED_BODY_KEYS) if (options.extraBody && key in options.extraBody) throw bad(`extra_body.${key} is not allowed (the client sets ${key} itself)`);
    this.name = options.name;
    this.url = chatUrl(options.baseUrl);
    this.semaphore = new Semaphore(options.concurrency ?? 4);
    this.bucket = options.requestsPerSecond ? new TokenBucket(options.requestsPerSecond) : null;
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.deadlineMs = options.deadlineMs ?? Math.max(this.timeoutMs, 1_800_000);
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

  /** Whether the server was found to honour `n` (null: not asked yet). */
  get supportsN(): boolean | null {
    return this.nSupported;
  }

  private redact(text: string): string {
    return redact(text, [this.options.apiKey]);
  }

  /** The JSON body: model and messages, the sampling fields, `n` when batching, stream, then extraBody last. */
  requestBody(prompt: string, n = 1, sampleIdx = 0): Record<string, unknown> {
    const messages = this.options.systemPrompt ? [{ role: 'system', content: this.options.systemPrompt }] : [];
    messages.push({ role: 'user', content: prompt });
    const { n: _cap, ...sampling } = this.options.sampling ?? {};
    if (this.options.temperature !== undefined) sampling.temperature = this.options.temperature;
    if (this.options.maxTokens) sampling.max_tokens = this.options.maxTokens;
    if (sampling.seed !== undefined) sampling.seed += sampleIdx;
    return {
      model: this.options.model,
      messages,
      ...sampling,
      ...(n > 1 ? { n } : {}),
      ...(this.options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      ...this.options.extraBody,
    };
  }

  /** One response to `prompt` (sample `sampleIdx`: it offsets the seed). Throws TeacherError after the last retry (or at once when retrying cannot help). */
  async generate(prompt: string, signal?: AbortSignal, sampleIdx = 0): Promise<TeacherReply> {
    return (await this.request(prompt, 1, sampleIdx, signal))[0];
  }

  /**
   * Outcomes for several samples of one prompt (sample indexes `sampleIdxs`, in order): one request with
   * `n` while the server honours it, else one request per sample. Detection happens once per client.
   * A permanent error (this prompt cannot be answered now) is that sample's outcome; other errors throw.
   */
  async generateMany(prompt: string, sampleIdxs: readonly number[], signal?: AbortSignal): Promise<(TeacherReply | TeacherError)[]> {
    const cap = this.options.sampling?.n ?? 128;
    const out: (TeacherReply | TeacherError)[] = [];
    const permanent = (error: unknown): TeacherError => {
      if (error instanceof TeacherError && error.permanent) return error;
      throw error;
    };
    let rest = [...sampleIdxs];
    while (rest.length > 0) {
      const batch = this.options.stream || this.nSupported === false ? 1 : Math.min(cap, rest.length);
      if (batch === 1) {
        out.push(await this.generate(prompt, signal, rest[0]).catch(permanent));
        rest = rest.slice(1);
        continue;
      }
      let replies: TeacherReply[];
      try {
        replies = await this.request(prompt, batch, rest[0], signal);
      } catch (error) {
        // A 400/422 to a request with `n` from a server not known to honour `n` may be about `n` itself:
        // ask per sample from now on (a 400 about the prompt then comes back for that one sample).
        if (this.nSupported !== true && error instanceof TeacherError && error.code === 'http' && (error.status === 400 || error.status === 422)) {
          if (this.nSupported === null) this.options.log?.(`teacher ${this.name}: the server refused n=${batch} (${error.message}); sending one request per sample`);
          this.nSupported = false;
          continue;
        }
        // Every sample of the batch was in the failed request.
        const failure = permanent(error);
        for (let i = 0; i < batch; i++) out.push(failure);
        rest = rest.slice(batch);
        continue;
      }
      if (replies.length < batch) {
        if (this.nSupported === null) this.options.log?.(`teacher ${this.name}: asked for n=${batch}, got ${replies.length} choice(s); sending one request per sample`);
        this.nSupported = false;
      } else this.nSupported = true;
      out.push(...replies.slice(0, batch));
      rest = rest.slice(Math.min(batch, replies.length));
    }
    return out;
  }

  private async request(prompt: string, n: number, sampleIdx: number, signal?: AbortSignal): Promise<TeacherReply[]> {
    const release = await this.semaphore.acquire();
    try {
      const policy = { maxRetries: this.maxRetries, backoffMs: this.backoffMs, maxBackoffMs: this.maxBackoffMs, maxRetryAfterMs: this.maxRetryAfterMs, sleep: this.sleep };
      const { value, attempts } = await withRetries(policy, (attempt) => this.attempt(prompt, n, sampleIdx, attempt, signal), {
        before: async (attempt) => {
          if (signal?.aborted) throw new TeacherError('generation aborted', 'aborted', null, attempt - 1, false);
          if (this.bucket) await this.bucket.take(signal);
        },
        retrying: (attempt, delayMs, error) => this.options.log?.(`teacher ${this.name}: attempt ${attempt} failed (${error.message}); retrying in ${delayMs} ms`),
        // A malformed 200 that stays malformed is about this prompt (or this server's answer to it): skip the
        // prompt with the reason, not the whole build.
        giveUp: (attempt, error, retryable) =>
          error.code === 'bad_response' && retryable ? new TeacherError(`${error.message} (after ${attempt} attempts)`, 'bad_response', error.status, attempt, true) : error,
      });
      return value.map((reply) => ({ ...reply, attempts }));
    } finally {
      release();
    }
  }

  private async attempt(prompt: string, n: number, sampleIdx: number, attempt: number, signal?: AbortSignal): Promise<Attempt> {
    // Timers and one abort listener per attempt; the transport hands back how to tear the request down.
    let cancelled: 'timeout' | 'deadline' | 'aborted' | null = null;
    let destroy: ((reason: Error) => void) | null = null;
    const cancel = (why: 'timeout' | 'deadline' | 'aborted') => {
      cancelled ??= why;
      destroy?.(new Error(`request ${why}`));
    };
    const onAbort = () => cancel('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => cancel('timeout'), this.timeoutMs);
    // The overall deadline: streamed bytes do not move it.
    const deadline = setTimeout(() => cancel('deadline'), this.deadlineMs);
    // Streaming: the timeout counts silence, not the whole reply.
    const activity = () => void timer.refresh();
    const body = JSON.stringify(this.requestBody(prompt, n, sampleIdx));
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
        if (cancelled) throw new Error(`request ${cancelled}`);
        if (!result.ok) return fail(result.reason, 'bad_response', res.status, true);
        const replies = readCompletions(result.completion, n);
        if (typeof replies === 'string') return fail(replies, 'bad_response', res.status, true);
        return { ok: true, value: replies };
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
      const replies = readCompletions(json, n);
      if (typeof replies === 'string') return fail(`${replies}: ${raw.slice(0, 120)}`, 'bad_response', res.status, true);
      return { ok: true, value: replies };
    } catch (err) {
      if (signal?.aborted) return fail('generation aborted', 'aborted', null, false);
      if (cancelled === 'timeout') return fail(`request timed out after ${this.timeoutMs} ms${this.options.stream ? ' of silence' : ''}`, 'timeout', null, true);
      // A reply still running at the deadline is runaway generation for this prompt: skip it, ask again next run.
      if (cancelled === 'deadline') return fail(`no complete reply within the ${this.deadlineMs} ms deadline per request (deadline_s)`, 'deadline', null, false, null, true);
      const code = (err as NodeJS.ErrnoException).code;
      return fail(`request to ${this.url} failed: ${code ?? (err as Error).message}`, 'network', null, true);
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
