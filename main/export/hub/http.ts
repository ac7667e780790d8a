// HTTP for the Hub client: JSON calls through fetch, and file ranges PUT with an exact Content-Length
// (presigned S3 part URLs refuse chunked bodies) by streaming from disk with node:http(s). Errors name
// the method and URL path, never headers (the token lives there).

import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export class HubHttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function where(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`; // query strings of presigned URLs carry signatures
}

export async function hubJson<T>(method: string, url: string, options: { token?: string; basicAuthToken?: string; body?: unknown; contentType?: string; rawBody?: string; accept?: string } = {}): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = { 'user-agent': 'saenggak-lab' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  // git-lfs verify callbacks take HTTP Basic with the token as password (huggingface_hub lfs.py).
  if (options.basicAuthToken) headers.authorization = `Basic ${Buffer.from(`USER:${options.basicAuthToken}`).toString('base64')}`;
  if (options.accept) headers.accept = options.accept;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] = options.contentType ?? 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body });
  } catch (err) {
    throw new Error(`${method} ${where(url)}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text.slice(0, 300);
    try {
      const j = JSON.parse(text);
      detail = j.error ?? j.message ?? detail;
    } catch {
      // not JSON: keep the text
    }
    throw new HubHttpError(res.status, `${method} ${where(url)}: HTTP ${res.status} ${detail}`);
  }
  return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
}

/** PUTs bytes [start, end) of a file; resolves with the response's ETag (S3 part uploads need it). */
export function putFileRange(url: string, path: string, start: number, end: number, headers: Record<string, string> = {}): Promise<string | null> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { method: 'PUT', headers: { ...headers, 'content-length': String(end - start) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) reject(new HubHttpError(res.statusCode ?? 0, `PUT ${where(url)}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`));
        else resolve((res.headers.etag as string | undefined) ?? null);
      });
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new Error(`PUT ${where(url)}: ${err.message}`)));
    if (end > start) createReadStream(path, { start, end: end - 1 }).on('error', reject).pipe(req);
    else req.end();
  });
}

/** Retries a call on network errors and 5xx/429 answers, with exponential backoff. */
export async function withRetries<T>(what: string, fn: () => Promise<T>, attempts = 4, baseMs = 500): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      const status = err instanceof HubHttpError ? err.status : 0;
      if (status && status < 500 && status !== 429) throw err;
      if (i < attempts - 1) await new Promise((r) => setTimeout(r, baseMs * 2 ** i));
    }
  }
  throw new Error(`${what}: gave up after ${attempts} attempts: ${(last as Error).message}`);
}
