// Cross-origin access to serve mode, for a UI that attaches to this server as a remote lab (#21): the
// desktop app (origin app://saenggak) or a browser UI served by another serve-mode instance on this machine
// (an SSH tunnel makes the GPU box's server a localhost port here). Only the origins given are let in, and
// only to /api/*: the token is still required on every call (Bearer header, or the `bearer.T` WebSocket
// subprotocol); no cookie is involved, so credentials are never allowed cross-origin.

/** The desktop app's origin (main/app.ts serves its UI on app://saenggak/). */
export const DESKTOP_APP_ORIGIN = 'app://saenggak';

/**
 * True for the URLs a remote lab lives at, seen from this machine: http(s)/ws(s) on localhost or 127.0.0.1
 * with a port (the local end of an SSH tunnel). The desktop shell lets its window reach these and nothing
 * else outside the app (main/app.ts); the UI's CSP says the same (REMOTE_LAB_SOURCES in main/server.ts).
 */
export function isRemoteLabUrl(url: string): boolean {
  return /^(https?|wss?):\/\/(localhost|127\.0\.0\.1):\d{1,5}\//.test(url);
}

/** Origins that may call this server's API from another origin: the desktop app, plus the one given. */
export function corsOrigins(allowOrigin: string | undefined): ReadonlySet<string> {
  const origins = new Set([DESKTOP_APP_ORIGIN]);
  if (allowOrigin) origins.add(normalizeOrigin(allowOrigin));
  return origins;
}

/** `http://localhost:8700/` → `http://localhost:8700`; anything but a bare http(s)/app origin is refused. */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--allow-origin must be an origin like http://localhost:8700, got "${value}"`);
  }
  if (!/^(https?|app):$/.test(url.protocol) || url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(`--allow-origin must be an origin like http://localhost:8700 (scheme, host and port only), got "${value}"`);
  }
  return url.protocol === 'app:' ? `app://${url.host}` : url.origin;
}

/** Response headers that let an allowed origin read an API answer (and the download's file name). */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': 'Content-Disposition',
    Vary: 'Origin',
  };
}

/** The answer to a preflight (OPTIONS) from an allowed origin: Bearer-authorised JSON and downloads. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': 'authorization, content-type',
    'Access-Control-Max-Age': '600',
  };
}
