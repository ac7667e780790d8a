// The reward server: the app's rule-based reward composition over HTTP, for trainers that run elsewhere
// (verl on a Ray cluster calls it through main/export/verl/saenggak_reward.py). Protocol:
//
//   every request      needs `Authorization: Bearer TOKEN` (the token printed at start); otherwise 401.
//   POST /v1/rewards   {items: [{prompt, response, ground_truth, lang, data_source}]}
//                      → 200 {results: [{score, components: {name: {score, weight, reason}}, reasons, error?}]}
//                      413 when the body is over maxBodyBytes, 400 for bad JSON, bad items or more than
//                      maxBatchItems items, 503 (Retry-After) when maxConcurrentRequests batches are in flight.
//   GET /health        {status: "ok", workers, itemTimeoutMs, maxBatchItems, components}
//   GET /metrics       requests/s, items/s and batch latency p50/p90/p99 over a sliding window, totals.
//
// A 200 from /v1/rewards carries a Server-Timing header saying where the batch's time went on the server
// (body read, item scan, scoring wall time, the workers' summed decode/score/serialise times, reply
// assembly); the benchmark uses it to break a round trip down.
//
// Errors are `{error: {code, message}}`. Scoring runs in a worker pool with a per-item time limit
// (main/reward-server/pool.ts): an item that takes too long scores 0 with a reason; the batch goes on.
// A batch is spread over every worker, and so are decoding and parsing its body (request-split.ts),
// so one client with one batch in flight (verl's reward step) already uses every core.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { RewardConfig } from '../rewards/index.ts';
import { bearerToken, tokensEqual } from '../http/auth.ts';
import { RewardMetrics } from './metrics.ts';
import { emptyPoolTrace, RewardPool, type PoolTrace } from './pool.ts';
import { splitRewardItems } from './request-split.ts';
import { describeIssues, rewardItemSchema, sampleFromItem } from './scoring.ts';

export const REWARDS_PATH = '/v1/rewards';
export const DEFAULT_REWARD_PORT = 5124;

export type RewardServerOptions = {
  config: RewardConfig;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 = any free port; default 0. */
  port?: number;
  /** Fixed token (tests, a cluster launcher); default 32 random bytes, hex. */
  token?: string;
  /** Scoring threads; default the number of cores. */
  workers?: number;
  /** Longest time one item may take, ms (default 2000). */
  itemTimeoutMs?: number;
  /** Largest request body, bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** Most items in one request (default 4096). */
  maxBatchItems?: number;
  /** Batches scored at once; more get 503 (default 4 per worker). */
  maxConcurrentRequests?: number;
  /** Sliding window of /metrics, ms (default 60 s). */
  metricsWindowMs?: number;
  /** Module with `scoreSample` for the workers (tests); default main/reward-server/scoring.ts. */
  scorerUrl?: string;
  /**
   * Whether the listening socket and the workers keep the process alive (default true, as the CLI needs).
   * The app's own server passes false so that quitting the app is never held up by it.
   */
  holdProcess?: boolean;
  /**
   * Decode and parse request bodies in the workers (default true). False parses on the server's thread,
   * as before; kept so the benchmark can show the difference in one run.
   */
  parseInWorkers?: boolean;
};

export type RunningRewardServer = {
  /** e.g. http://127.0.0.1:5124 */
  origin: string;
  /** The port actually bound (useful after asking for port 0). */
  port: number;
  token: string;
  /** Scoring threads. */
  workers: number;
  metrics: RewardMetrics;
  /** Batches being scored right now. */
  inFlight(): number;
  close(): Promise<void>;
};

const requestSchema = z.object({ items: z.array(z.unknown()) }).strict();

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** A body that is already JSON text. */
function sendRaw(res: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(json);
}

/**
 * A Server-Timing value (W3C Server Timing): `read;dur=3.1, split;dur=0.4, ...`. Names starting `w-` are
 * the workers' times summed over the workers; `chunks` counts the messages each way.
 */
export function serverTiming(phases: Record<string, number>, trace: PoolTrace): string {
  const entries = Object.entries(phases).map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`);
  entries.push(
    `dispatch;dur=${trace.dispatchMs.toFixed(2)}`,
    `w-decode;dur=${trace.decodeMs.toFixed(2)}`,
    `w-score;dur=${trace.scoreMs.toFixed(2)}`,
    `w-serialise;dur=${trace.serialiseMs.toFixed(2)}`,
    `w-busy;dur=${trace.busyMs.toFixed(2)}`,
    `chunks;desc=${trace.chunks}`,
  );
  return entries.join(', ');
}

function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

/**
 * The body, in shared memory: the workers read their items from it directly (pool.ts). Gathering
 * the chunks into it is the one copy a body needs anyway.
 */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array<SharedArrayBuffer>> {
  const tooLarge = () => new HttpError(413, 'too_large', `request bodies are limited to ${maxBytes} bytes; send fewer items per request`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const body = new Uint8Array(new SharedArrayBuffer(size));
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

function zodMessage(error: z.ZodError, prefix: string): string {
  return describeIssues(error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), message: i.message })), prefix);
}

export async function startRewardServer(options: RewardServerOptions): Promise<RunningRewardServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  const expectedToken = Buffer.from(token, 'utf8');
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 2 ** 20;
  const maxBatchItems = options.maxBatchItems ?? 4096;
  const pool = await RewardPool.start({
    config: options.config,
    workers: options.workers,
    itemTimeoutMs: options.itemTimeoutMs,
    scorerUrl: options.scorerUrl,
    holdProcess: options.holdProcess,
  });
  const maxConcurrent = options.maxConcurrentRequests ?? pool.size * 4;
  const metrics = new RewardMetrics(options.metricsWindowMs);
  let inFlight = 0;

  /**
   * The common case: a plain `{"items": [...]}` body is cut at item boundaries and the workers decode,
   * validate and score the items themselves (in parallel), returning each result serialised; this thread
   * only scans bytes and joins strings. Anything else goes through `scoreParsed`.
   */
  async function scoreBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const body = await readBody(req, maxBodyBytes);
    const read = performance.now();
    const ranges = options.parseInWorkers === false ? null : splitRewardItems(body);
    if (!ranges) return scoreParsed(body, res, started, read);
    const count = ranges.length / 2;
    if (count > maxBatchItems) throw batchTooLarge(count);
    const split = performance.now();
    const trace = emptyPoolTrace();
    const outcomes = await pool.scoreEncoded(body, ranges, trace);
    const scored = performance.now();
    const parts: string[] = new Array(count);
    let timeouts = 0;
    let failures = 0;
    for (let i = 0; i < count; i++) {
      const outcome = outcomes[i];
      if (outcome === undefined) continue; // dropped after an invalid item; the loop below reports that one
      if ('badJson' in outcome) throw new HttpError(400, 'invalid_json', `the request body is not valid JSON (in items.${i})`);
      if ('issues' in outcome) throw new HttpError(400, 'invalid_item', describeIssues(outcome.issues, `items.${i}`));
      if (outcome.error === 'timeout') timeouts++;
      else if (outcome.error === 'failed') failures++;
      parts[i] = outcome.json;
    }
    const json = `{"results":[${parts.join(',')}]}`;
    const joined = performance.now();
    metrics.recordBatch(count, joined - started, timeouts, failures);
    const timing = serverTiming({ read: read - started, split: split - read, pool: scored - split, join: joined - scored }, trace);
    sendRaw(res, 200, json, { 'Server-Timing': timing });
  }

  async function scoreParsed(body: Uint8Array<SharedArrayBuffer>, res: ServerResponse, started: number, read: number): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
    }
    const request = requestSchema.safeParse(json);
    if (!request.success) throw new HttpError(400, 'invalid_request', `expected {"items": [...]}: ${zodMessage(request.error, 'body')}`);
    const rawItems = request.data.items;
    if (rawItems.length > maxBatchItems) throw batchTooLarge(rawItems.length);
    const samples = rawItems.map((raw, i) => {
      const item = rewardItemSchema.safeParse(raw);
      if (!item.success) throw new HttpError(400, 'invalid_item', zodMessage(item.error, `items.${i}`));
      return sampleFromItem(item.data);
    });
    const parsed = performance.now();
    const trace = emptyPoolTrace();
    const results = await pool.score(samples, trace);
    const scored = performance.now();
    const timeouts = results.filter((r) => r.error === 'timeout').length;
    const failures = results.filter((r) => r.error === 'failed').length;
    const reply = JSON.stringify({ results });
    const joined = performance.now();
    metrics.recordBatch(results.length, joined - started, timeouts, failures);
    const timing = serverTiming({ read: read - started, parse: parsed - read, pool: scored - parsed, join: joined - scored }, trace);
    sendRaw(res, 200, reply, { 'Server-Timing': timing });
  }

  function batchTooLarge(count: number): HttpError {
    return new HttpError(400, 'batch_too_large', `the batch has ${count} items; the limit is ${maxBatchItems} per request (split it)`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!tokensEqual(expectedToken, bearerToken(req.headers.authorization))) {
      metrics.recordRejected();
      req.resume();
      sendError(res, new HttpError(401, 'unauthorized', 'missing or wrong token: send "Authorization: Bearer TOKEN" with the token printed by `saenggak serve rewards`'));
      return;
    }
    if (path === '/health' || path === '/metrics') {
      if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', `${path} takes GET`);
      if (path === '/health') {
        sendJson(res, 200, { status: 'ok', workers: pool.size, itemTimeoutMs: pool.itemTimeoutMs, maxBatchItems, maxBodyBytes, config: options.config });
      } else {
        sendJson(res, 200, { ...metrics.snapshot(), inFlight, queuedItems: pool.queuedSamples, workerRestarts: pool.workerRestarts });
      }
      return;
    }
    if (path !== REWARDS_PATH) throw new HttpError(404, 'not_found', `no such endpoint: ${path} (POST ${REWARDS_PATH}, GET /health, GET /metrics)`);
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', `${REWARDS_PATH} takes POST`);
    if (inFlight >= maxConcurrent) {
      metrics.recordRejected();
      req.resume();
      sendError(res, new HttpError(503, 'busy', `${inFlight} batches are being scored; retry shortly`), { 'Retry-After': '1' });
      return;
    }
    inFlight++;
    try {
      await scoreBatch(req, res);
    } finally {
      inFlight--;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        metrics.recordRejected();
        if (error.status === 413) {
          // Read (and drop) the rest of the body so the client gets the 413 instead of a reset connection.
          res.setHeader('Connection', 'close');
          req.resume();
        }
        sendError(res, error);
        return;
      }
      console.error('reward request failed:', error);
      sendError(res, new HttpError(500, 'internal', 'internal server error'));
    });
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    await pool.close();
    throw error;
  }
  if (options.holdProcess === false) server.unref();
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    origin: `http://${urlHost}:${address.port}`,
    port: address.port,
    token,
    workers: pool.size,
    metrics,
    inFlight: () => inFlight,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await pool.close();
    },
  };
}
