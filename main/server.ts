// Serve mode: the app's API and UI over HTTP + WebSocket, for a browser on this machine or through an SSH
// tunnel to a GPU box. The protocol (fixed; the renderer's HTTP client depends on it):
//
//   printed URL         http://HOST:PORT/#token=T. The token is in the fragment, which browsers never send
//                       to any server; the page keeps it in memory / sessionStorage. No cookie carries it
//                       (cookies ignore ports: every service on 127.0.0.1 would receive it).
//   every request       needs a Host header naming this server (localhost, an IP literal, or the --host
//                       name); anything else is a DNS-rebinding attempt: 403 and nothing is touched.
//   /api/*              needs `Authorization: Bearer T`; otherwise 401 and nothing is touched. Tokens
//                       compare in constant time. A token in a URL query is refused (400): queries end up in
//                       logs and histories.
//   POST (any)          with an Origin header other than this server's own: 403 (cross-site requests),
//                       except the desktop app's and the one `--allow-origin` names (server/cors.ts): a UI
//                       attached to this server as a remote lab; they get CORS headers on /api/* and
//                       preflights (OPTIONS) answered. The token is still required on every call.
//   GET /api/files?path=REL   a workspace folder's entries (JSON Result); GET /api/file?path=REL one file
//                       as an attachment (server/workspace-files.ts; the path check is api/workspace-file.ts:
//                       inside the open workspace only, links resolved).
//   POST /api/call/M    JSON body = method input → 200 JSON Result (errors as values).
//   POST /api/upload?name=F   raw file bytes → Result<{kind:'upload', uploadId, fileName}>.
//   GET /api/events     WebSocket; the token travels as the subprotocol `bearer.T` (`Sec-WebSocket-Protocol`;
//                       browsers cannot set headers on a WebSocket), offered together with `saenggak`, which
//                       the server selects so the token is not echoed. Node clients may send the Bearer
//                       header instead. The server sends `{event, data}` messages and ignores what it gets;
//                       a malformed frame closes that one connection, never the server.
//   files               calls read and write only inside the open workspace and the `allowPaths` folders
//                       (`--allow-path DIR`); anything else is `forbidden` (uploads go through /api/upload).
//   anything else       the built renderer (dist/renderer; public: it holds no data), SPA fallback to
//                       index.html, strict CSP.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppSession } from './api/session.ts';
import { dispatch } from './api/router.ts';
import { handlers } from './api/handlers/index.ts';
import { ApiFailure, fail, ok, toApiError } from './api/errors.ts';
import { HTTP_EVENTS_PATH, HTTP_UPLOAD_PATH, httpRoutes, HTTP_CALL_PREFIX } from './api/transports.ts';
import { saveUpload } from './api/uploads.ts';
import { APP_SUBPROTOCOL, bearerToken, isOwnHost, subprotocolToken, tokensEqual } from './http/auth.ts';
import { corsHeaders, corsOrigins, preflightHeaders } from './server/cors.ts';
import { attachmentDisposition, downloadableFile, fileFailureStatus, listWorkspaceFolder } from './server/workspace-files.ts';
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
  /**
   * Folders (besides the workspace) that calls may read and write (`--allow-path`). Serve mode is always
   * scoped: paths outside the open workspace and these folders are refused with `forbidden`.
   */
  allowPaths?: string[];
  /** Host names (besides localhost and IP literals) a browser may use to reach this server. */
  allowedHostNames?: string[];
  /**
   * An origin (besides the desktop app's) whose page may call this server's API (`--allow-origin`): a UI
   * served elsewhere that attaches to this server as a remote lab (#21).
   */
  allowOrigin?: string;
};

export type RunningServer = { url: string; origin: string; token: string; close(): Promise<void> };

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
 * Where a remote lab can be (#21): a serve-mode instance on this machine's loopback, which is what an SSH
 * tunnel to a GPU box gives (`ssh -N -L 8700:localhost:8700 gpu-box`). Nothing off this machine.
 */
export const REMOTE_LAB_SOURCES = 'http://localhost:* ws://localhost:* http://127.0.0.1:* ws://127.0.0.1:*';

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
    `connect-src 'self'${sockets} ${REMOTE_LAB_SOURCES}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
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
  session.restrictPaths([...(options.allowPaths ?? []), ...(options.workspace ? [options.workspace] : [])]);
  if (options.workspace) await session.openWorkspace(options.workspace, true);

  const isAuthorized = (req: IncomingMessage) => tokensEqual(expectedToken, bearerToken(req.headers.authorization));
  // The name the server listens on counts as its own when it is a name (`--host lab.example`).
  const ownHostNames = [...(options.allowedHostNames ?? []), ...(/^[a-z]/i.test(host) ? [host] : [])];
  const isOwnHostHeader = (req: IncomingMessage) => isOwnHost(req.headers.host, ownHostNames);

  const allowedOrigins = corsOrigins(options.allowOrigin);
  /** A cross-origin caller this server lets in (the desktop app, `--allow-origin`), or undefined. */
  const allowedCrossOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin !== undefined && origin !== `http://${req.headers.host}` && allowedOrigins.has(origin) ? origin : undefined;
  };
  /** An Origin header, when present, must be this server's own origin as the browser addressed it (or an allowed one). */
  const isForeignOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    return origin !== `http://${req.headers.host}` && !allowedOrigins.has(origin);
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
    // pipeline, not pipe: a read error (the file replaced by a rebuild) ends this response, not the process.
    else await pipeline(createReadStream(file), res).catch(() => res.destroy());
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(req, res);
    const url = URL.parse(req.url ?? '/', 'http://localhost');
    if (!url) {
      sendText(res, 400, 'bad request target');
      return;
    }

    if (!isOwnHostHeader(req)) {
      sendText(res, 403, `unknown Host ${JSON.stringify(req.headers.host ?? '')}: open the URL printed by \`saenggak serve\``);
      return;
    }
    if (url.searchParams.has('token')) {
      sendText(res, 400, 'tokens never go in a URL query: open the URL printed by `saenggak serve` (…/#token=…)');
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      await serveStatic(req, res, url.pathname);
      return;
    }
    // A remote-lab UI on an allowed origin: its preflights are answered (they carry no token), and every
    // answer, a 401 included, is readable by it, so a wrong token shows as such rather than as a network error.
    const crossOrigin = allowedCrossOrigin(req);
    if (crossOrigin) {
      for (const [name, value] of Object.entries(corsHeaders(crossOrigin))) res.setHeader(name, value);
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    }
    if (req.method === 'OPTIONS') {
      if (!crossOrigin) {
        sendText(res, 403, 'cross-origin requests are refused');
        return;
      }
      res.writeHead(204, preflightHeaders(crossOrigin));
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

    if (url.pathname === '/api/files' || url.pathname === '/api/file') {
      if (req.method !== 'GET') {
        sendText(res, 405, 'files are read with GET');
        return;
      }
      await sendWorkspaceFile(res, url.pathname === '/api/files', url.searchParams.get('path'));
      return;
    }

    sendText(res, 404, 'not found');
  }

  /** A run's artifacts for a remote lab's UI: a folder's entries, or one file as a download. */
  async function sendWorkspaceFile(res: ServerResponse, list: boolean, path: string | null): Promise<void> {
    const root = session.current?.workspace.root;
    try {
      if (list) {
        sendJson(res, 200, ok(await listWorkspaceFolder(root, path)));
        return;
      }
      const file = downloadableFile(root, path);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': file.size,
        'Content-Disposition': attachmentDisposition(file.name),
        'Cache-Control': 'no-store',
      });
      await pipeline(createReadStream(file.path), res).catch(() => res.destroy());
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      if (list) sendJson(res, 200, { ok: false, error: toApiError(error) });
      else sendText(res, fileFailureStatus(error), error.message);
    }
  }


  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    // Select `saenggak` so the browser accepts the handshake without the token being echoed back.
    handleProtocols: (offered) => (offered.has(APP_SUBPROTOCOL) ? APP_SUBPROTOCOL : false),
  });
  sockets.on('connection', (ws: WebSocket) => {
    // Without an error listener a bad frame (invalid UTF-8, over maxPayload) throws from the socket and
    // ends the process with every job in it; with one, ws closes that connection (1007 / 1009) and that's all.
    ws.on('error', () => ws.terminate());
    // Clients have nothing to say on this socket; reading and dropping keeps its buffers empty.
    ws.on('message', () => {});
  });
  sockets.on('error', (error) => console.error('event socket server error:', error));
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
    // The raw socket may error (a reset mid-handshake) before ws owns it; that must not be uncaught.
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== HTTP_EVENTS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
      if (!isOwnHostHeader(req)) return refuseUpgrade(socket, 403, 'Forbidden');
      if (url.searchParams.has('token')) return refuseUpgrade(socket, 400, 'Bad Request');
      const token = subprotocolToken(req.headers['sec-websocket-protocol']);
      if (!isAuthorized(req) && !tokensEqual(expectedToken, token)) return refuseUpgrade(socket, 401, 'Unauthorized');
      if (isForeignOrigin(req)) return refuseUpgrade(socket, 403, 'Forbidden');
      sockets.handleUpgrade(req, socket, head, (ws: WebSocket) => sockets.emit('connection', ws, req));
    } catch (error) {
      console.error('event socket upgrade failed:', error);
      socket.destroy();
    }
  });
  // Garbage instead of HTTP: answer 400 and close (Node's default), and never let a socket error escape.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
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
    url: `${origin}/#token=${token}`,
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
