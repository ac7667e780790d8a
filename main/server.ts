// Serve mode: the app's API and UI over HTTP + WebSocket, for a browser on this machine or through an SSH
// tunnel to a GPU box. The protocol (fixed; the renderer's HTTP client depends on it):
//
//   every request       needs the token: `Authorization: Bearer T` or the `saenggak_token` cookie;
//                       otherwise 401 and nothing is touched. Tokens compare in constant time.
//   GET /?token=T       a valid token sets the cookie (HttpOnly, SameSite=Strict) and redirects to / so the
//                       token leaves the address bar.
//   POST (any)          with an Origin header other than this server's own: 403 (cross-site requests).
//   POST /api/call/M    JSON body = method input → 200 JSON Result (errors as values).
//   POST /api/upload?name=F   raw file bytes → Result<{kind:'upload', uploadId, fileName}>.
//   GET /api/events     WebSocket; the server sends `{event, data}` messages.
//   anything else       the built renderer (dist/renderer), SPA fallback to index.html, strict CSP.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppSession } from './api/session.ts';
import { dispatch } from './api/router.ts';
import { handlers } from './api/handlers/index.ts';
import { fail, ok, toApiError } from './api/errors.ts';
import { HTTP_EVENTS_PATH, HTTP_UPLOAD_PATH, httpRoutes, HTTP_CALL_PREFIX } from './api/transports.ts';
import { saveUpload } from './api/uploads.ts';
import { bearerToken, tokensEqual } from './server/auth.ts';
import type { Result } from './api/contract.ts';

export type ServerOptions = {
  /** Interface to listen on; default 127.0.0.1. Anything else exposes the app to the network. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** A workspace to open at start (created when the folder is missing or empty). */
  workspace?: string;
  /** Fixed token (tests); default 32 random bytes, hex. */
  token?: string;
  /** The built renderer; default dist/renderer in this package. */
  staticDir?: string;
  /** An existing session to serve (tests, or an app that shares one); default a new one, closed on close(). */
  session?: AppSession;
  /** Largest JSON body of an API call. */
  maxCallBytes?: number;
  /** Largest upload. */
  maxUploadBytes?: number;
};

export type RunningServer = { url: string; origin: string; token: string; close(): Promise<void> };

export const TOKEN_COOKIE = 'saenggak_token';
const DEFAULT_STATIC_DIR = resolve(import.meta.dirname, '..', 'dist', 'renderer');
const DEFAULT_MAX_CALL_BYTES = 4 * 2 ** 20;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * The UI's Content-Security-Policy: only our own scripts, styles, images and sockets. No 'unsafe-inline'
 * for styles: Svelte's component CSS is bundled into a file, and `style:` directives go through the CSSOM,
 * which CSP allows (the e2e tests fail on any violation, so they prove the UI works under this policy).
 */
export function contentSecurityPolicy(hostHeader: string | undefined): string {
  const sockets = hostHeader && /^[\w.\-:[\]]+$/.test(hostHeader) ? ` ws://${hostHeader} wss://${hostHeader}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function setSecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text + '\n');
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  const expectedToken = Buffer.from(token, 'utf8');
  const staticDir = resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  const maxCallBytes = options.maxCallBytes ?? DEFAULT_MAX_CALL_BYTES;
  const ownSession = !options.session;
  const session = options.session ?? new AppSession();
  if (options.workspace) await session.openWorkspace(options.workspace, true);

  const isAuthorized = (req: IncomingMessage) =>
    tokensEqual(expectedToken, bearerToken(req.headers.authorization)) ||
    tokensEqual(expectedToken, cookieValue(req.headers.cookie, TOKEN_COOKIE));

  /** An Origin header, when present, must be this server's own origin as the browser addressed it. */
  const isForeignOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    return origin !== `http://${req.headers.host}`;
  };

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'method not allowed');
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      sendText(res, 400, 'bad path');
      return;
    }
    let file = resolve(staticDir, '.' + (relative.endsWith('/') ? relative + 'index.html' : relative));
    if (file !== staticDir && !file.startsWith(staticDir + sep)) {
      sendText(res, 404, 'not found');
      return;
    }
    let info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      // SPA fallback: routes without a file extension are the app's own pages.
      if (extname(relative)) {
        sendText(res, 404, 'not found');
        return;
      }
      file = join(staticDir, 'index.html');
      info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        sendText(res, 503, `The UI is not built (no ${file}). Run \`npm run build:renderer\`, then reload.`);
        return;
      }
    }
    const isHtml = extname(file) === '.html';
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      // Vite's assets carry content hashes; the HTML that names them must always be fresh.
      'Cache-Control': isHtml ? 'no-store' : 'private, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(req, res);
    const url = new URL(req.url ?? '/', 'http://localhost');

    const queryToken = url.searchParams.get('token');
    if (req.method === 'GET' && queryToken !== null && url.pathname !== HTTP_EVENTS_PATH) {
      if (!tokensEqual(expectedToken, queryToken)) {
        sendText(res, 401, 'invalid token: open the URL printed by `saenggak serve`');
        return;
      }
      url.searchParams.delete('token');
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(302, { Location: url.pathname + url.search, 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (!isAuthorized(req)) {
      sendText(res, 401, 'unauthorized: open the URL printed by `saenggak serve` (it carries the access token)');
      return;
    }
    if (req.method === 'POST' && isForeignOrigin(req)) {
      sendText(res, 403, 'cross-origin requests are refused');
      return;
    }

    if (url.pathname.startsWith(HTTP_CALL_PREFIX)) {
      if (req.method !== 'POST') {
        sendText(res, 405, 'API calls use POST');
        return;
      }
      const method = httpRoutes.get(url.pathname);
      if (!method) {
        req.resume();
        sendJson(res, 200, fail('unknown_method', `unknown method "${url.pathname.slice(HTTP_CALL_PREFIX.length)}"`));
        return;
      }
      let input: unknown;
      try {
        const body = await readBody(req, maxCallBytes);
        input = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          sendJson(res, 413, fail('too_large', `request bodies are limited to ${maxCallBytes} bytes`));
          req.destroy();
        } else sendJson(res, 200, fail('invalid_input', 'the request body is not valid JSON'));
        return;
      }
      sendJson(res, 200, await dispatch(method, input, { transport: 'http', session }, handlers));
      return;
    }

    if (url.pathname === HTTP_UPLOAD_PATH) {
      if (req.method !== 'POST') {
        sendText(res, 405, 'uploads use POST');
        return;
      }
      let result: Result<unknown>;
      try {
        result = ok(await saveUpload(session, req, url.searchParams.get('name') ?? '', options.maxUploadBytes));
      } catch (error) {
        result = { ok: false, error: toApiError(error) };
      }
      if (!result.ok && result.error.code === 'too_large') {
        sendJson(res, 413, result);
        req.destroy();
        return;
      }
      if (!req.complete) req.resume();
      sendJson(res, 200, result);
      return;
    }

    if (url.pathname.startsWith('/api/')) {
      sendText(res, 404, 'not found');
      return;
    }
    await serveStatic(req, res, url.pathname);
  }

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const unsubscribe = session.events.subscribe((message) => {
    const text = JSON.stringify(message);
    for (const socket of sockets.clients) {
      // A client that does not read its events must not make the server buffer without limit.
      if (socket.readyState === socket.OPEN && socket.bufferedAmount < 16 * 2 ** 20) socket.send(text);
    }
  });

  function refuseUpgrade(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error) => {
      console.error('request failed:', error);
      if (!res.headersSent) sendJson(res, 500, fail('internal', 'internal server error'));
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const queryToken = url.searchParams.get('token') ?? undefined;
    if (url.pathname !== HTTP_EVENTS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!isAuthorized(req) && !tokensEqual(expectedToken, queryToken)) return refuseUpgrade(socket, 401, 'Unauthorized');
    if (isForeignOrigin(req)) return refuseUpgrade(socket, 403, 'Forbidden');
    sockets.handleUpgrade(req, socket, head, (ws: WebSocket) => sockets.emit('connection', ws, req));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${urlHost}:${address.port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    close: async () => {
      unsubscribe();
      for (const socket of sockets.clients) socket.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      if (ownSession) await session.close();
    },
  };
}
