// Access-token checks shared by every HTTP server of the app (serve mode, the reward server): a bearer
// token read from the Authorization header and compared in constant time.
import { timingSafeEqual } from 'node:crypto';

/** True when `given` equals the expected token; the comparison takes the same time wherever they differ. */
export function tokensEqual(expected: Buffer, given: string | undefined): boolean {
  if (!given) return false;
  const candidate = Buffer.from(given, 'utf8');
  // timingSafeEqual needs equal lengths; compare against itself on a mismatch so the time does not leak it.
  if (candidate.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, candidate);
}

/** The token of an `Authorization: Bearer T` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** True for hosts only this machine can reach; anything else exposes a server to the network. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The WebSocket subprotocol that carries the token (`bearer.T`), and the one the server selects instead. */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';
export const APP_SUBPROTOCOL = 'saenggak';

/** The token of a `Sec-WebSocket-Protocol: saenggak, bearer.T` header, if there is one. */
export function subprotocolToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const name = part.trim();
    if (name.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return name.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower-cased; undefined when it is not one. */
export function hostHeaderName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/@]+)(?::\d{1,5})?$/.exec(header.trim());
  return match?.[1]?.toLowerCase();
}

/**
 * True when a Host header names this server rather than someone else's domain. A DNS-rebinding page reaches
 * 127.0.0.1 under its own domain name, so that name is what gives it away: only `localhost`, IP literals and
 * the names the server was told about (`--host NAME`) are ours. The port is not compared (an SSH tunnel may
 * forward another local port).
 */
export function isOwnHost(header: string | undefined, extraNames: readonly string[] = []): boolean {
  const name = hostHeaderName(header);
  if (!name) return false;
  if (name === 'localhost' || name.startsWith('[')) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return true;
  return extraNames.some((extra) => extra.toLowerCase() === name);
}
