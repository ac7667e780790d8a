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
