// Secrets never leave the judge client: every message that could reach a log or an Error goes through here.

const BEARER = /Bearer\s+[^\s"',;]+/gi;
const KEY_LIKE = /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g;

/** Replaces each secret, any bearer token and OpenAI-style keys in `text` with [REDACTED]. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out.replace(BEARER, 'Bearer [REDACTED]').replace(KEY_LIKE, '[REDACTED]');
}
