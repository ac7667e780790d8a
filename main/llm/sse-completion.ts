// Reads an OpenAI-protocol streamed chat completion (`stream: true`: server-sent events, one
// `data: {chunk}` per delta, `data: [DONE]` at the end) back into the shape of a non-streamed completion,
// so readCompletion handles both. Long reasoning traces take minutes; streaming lets the client use an
// idle timeout (no bytes for N seconds) instead of a total one, and keeps proxies from closing a silent
// connection. A stream that ends without `[DONE]` and without a finish_reason was cut mid-way: the
// caller treats that as a failed attempt and asks again (a half-written trace is never stored).

type Delta = { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };
type Chunk = { choices?: { delta?: Delta; finish_reason?: unknown }[]; usage?: unknown };

export type StreamedCompletion =
  | { ok: true; completion: { choices: { message: { content: string; reasoning_content?: string }; finish_reason: string | null }[]; usage?: unknown } }
  | { ok: false; reason: string };

/**
 * Consumes the body (a web ReadableStream or a node:http response: any async iterable of bytes).
 * `onActivity` is called for every chunk of bytes (the caller resets its idle timer there).
 */
export async function readStreamedCompletion(body: AsyncIterable<Uint8Array>, onActivity: () => void): Promise<StreamedCompletion> {
  const decoder = new TextDecoder();
  let buffer = '';
  let content = '';
  let reasoning = '';
  let finishReason: string | null = null;
  let usage: unknown;
  let done = false;
  let events = 0;
  const handle = (data: string): string | null => {
    if (data === '[DONE]') {
      done = true;
      return null;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return `a stream event is not JSON: ${data.slice(0, 120)}`;
    }
    events++;
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    if (delta) {
      if (typeof delta.content === 'string') content += delta.content;
      const r = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : '';
      reasoning += r;
    }
    if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
    return null;
  };
  for await (const value of body) {
    onActivity();
    buffer += decoder.decode(value, { stream: true });
    // Events are separated by a blank line; each `data:` line carries one payload.
    let boundary: number;
    while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      const problem = handle(data);
      if (problem) return { ok: false, reason: problem };
    }
  }
  if (!done && finishReason === null) return { ok: false, reason: `the stream ended mid-way (after ${events} events, no [DONE] and no finish_reason)` };
  if (events === 0) return { ok: false, reason: 'the stream carried no completion chunks' };
  return {
    ok: true,
    completion: { choices: [{ message: { content, ...(reasoning ? { reasoning_content: reasoning } : {}) }, finish_reason: finishReason }], ...(usage ? { usage } : {}) },
  };
}
