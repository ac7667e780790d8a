// POSTs to one endpoint over a pool of kept-alive connections (node:http / node:https with an Agent sized
// to the caller's concurrency). A teacher sends thousands of small requests in a row; global `fetch`
// (undici behind WHATWG streams, AbortSignals and Headers objects) spends about a millisecond of event
// loop per request on that machinery, which at 64 requests in flight is the whole loop. node:http with a
// keep-alive agent does the same exchange for a fraction of it, and the Agent reuses sockets (it honours a
// server's `Keep-Alive: timeout=N` hint, so idle sockets are dropped before the server drops them).
//
// What the caller gets is deliberately small: the status, a header lookup, and the body either as one
// string or as the raw byte chunks (for server-sent events).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

export type PostReply = {
  status: number;
  header(name: string): string | undefined;
  /** The body bytes as they arrive (call either this or `text`, once). */
  chunks: AsyncIterable<Buffer>;
  /** The whole body as UTF-8. Rejects when the connection dies before the body is complete. */
  text(): Promise<string>;
};

export class PostFailure extends Error {
  override readonly name = 'PostFailure';
  constructor(
    message: string,
    /** Node's error code (ECONNREFUSED, ECONNRESET, …) when there is one. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Network errors that mean a kept-alive socket was closed by the server while idle: safe to send again at once. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

export class KeepAlivePoster {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  /** `maxSockets`: connections kept open at most (the caller's concurrency). */
  constructor(url: string, maxSockets: number) {
    this.url = new URL(url);
    const secure = this.url.protocol === 'https:';
    if (!secure && this.url.protocol !== 'http:') throw new Error(`only http(s) URLs can be posted to, got ${url}`);
    const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
    this.request = secure ? https.request : http.request;
  }

  /**
   * Sends `body` and resolves once the status line and headers are in. `bind` receives the function that
   * tears the request down (the caller's timeout or abort); calling it rejects the pending promise or
   * errors the body stream. It is called again with a new function if a stale socket forces a resend.
   */
  post(body: string, headers: Record<string, string>, bind: (destroy: (reason: Error) => void) => void): Promise<PostReply> {
    const payload = Buffer.from(body, 'utf8');
    const send = (retryStale: boolean): Promise<PostReply> =>
      new Promise<PostReply>((resolve, reject) => {
        let responded = false;
        const req = this.request(this.url, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(payload.length) } });
        bind((reason) => req.destroy(reason));
        req.once('response', (res: IncomingMessage) => {
          responded = true;
          resolve(reply(res));
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (responded) return; // the body stream reports it
          // The server closed a kept-alive socket just as it was reused: nothing reached the server, send again.
          if (retryStale && req.reusedSocket && error.code !== undefined && STALE_SOCKET.has(error.code)) {
            send(false).then(resolve, reject);
            return;
          }
          reject(error instanceof PostFailure ? error : new PostFailure(error.message, error.code));
        });
        req.end(payload);
      });
    return send(true);
  }

  /** Closes the idle connections (in-flight requests finish). */
  close(): void {
    this.agent.destroy();
  }
}

function reply(res: IncomingMessage): PostReply {
  return {
    status: res.statusCode ?? 0,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    chunks: res,
    text: async () => {
      const parts: Buffer[] = [];
      for await (const chunk of res) parts.push(chunk as Buffer);
      return parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8');
    },
  };
}
