// "Connect to a remote lab" (#21): this window's UI talks to a serve-mode instance on a GPU box instead of
// its own back end — its devices, queues, runs and files. The box is reached through an SSH tunnel
// (`ssh -N -L 8700:localhost:8700 gpu-box`, docs/remote.md), so its URL is a loopback port here: only such
// URLs are taken (the page's CSP allows nothing else, see REMOTE_LAB_SOURCES in main/server.ts). The token
// stays in this tab's sessionStorage (never a cookie, never localStorage, never a URL query or a log);
// connecting and disconnecting reload the page so every store starts over against the other back end.
const KEY = 'saenggak.remote';

export type RemoteLab = { url: string; token: string };

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/** The remote lab this tab is attached to, or null (its own back end). */
export function remoteLab(): RemoteLab | null {
  try {
    const value = JSON.parse(storage()?.getItem(KEY) ?? 'null') as Partial<RemoteLab> | null;
    return value && typeof value.url === 'string' && typeof value.token === 'string' ? { url: value.url, token: value.token } : null;
  } catch {
    return null;
  }
}

/**
 * The lab's origin and token from what the user typed: an origin (`http://localhost:8700`) and a token, or
 * the whole URL `saenggak serve` printed (`http://127.0.0.1:8700/#token=T`), whose fragment gives the token.
 */
export function parseRemote(urlText: string, tokenText: string): RemoteLab | { error: string } {
  let url: URL;
  try {
    url = new URL(urlText.trim());
  } catch {
    return { error: `"${urlText.trim()}" is not a URL; give the local end of the SSH tunnel, like http://localhost:8700` };
  }
  if (url.protocol !== 'http:' || (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1')) {
    return { error: `A remote lab is reached through an SSH tunnel, so its URL is http://localhost:PORT or http://127.0.0.1:PORT (got ${url.origin}). See docs/remote.md.` };
  }
  const fromFragment = /^#token=([^&#]+)/.exec(url.hash)?.[1];
  const token = tokenText.trim() || (fromFragment ? decodeURIComponent(fromFragment) : '');
  if (!token) return { error: 'Give the access token (the part after #token= in the URL `saenggak serve` printed on the GPU box).' };
  return { url: url.origin, token };
}

/**
 * Asks the lab who it is with the token, so a wrong token or an unreachable lab is said plainly before the
 * page switches over. Resolves to the lab's workspace path (or null), or an error message.
 */
export async function probeRemote(lab: RemoteLab): Promise<{ ok: true; workspace: string | null } | { ok: false; message: string }> {
  let res: Response;
  try {
    res = await fetch(`${lab.url}/api/call/app.info`, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${lab.token}` },
      body: '{}',
    });
  } catch {
    const here = globalThis.location?.origin ?? '';
    return {
      ok: false,
      message:
        `Cannot reach the remote lab at ${lab.url}. Is the SSH tunnel up (ssh -N -L PORT:localhost:PORT gpu-box) and \`saenggak serve\` running on the box` +
        (here.startsWith('http') ? `, started with --allow-origin ${here} so this page may use it?` : '?'),
    };
  }
  if (res.status === 401) return { ok: false, message: `The remote lab at ${lab.url} did not accept this token. Copy it from the URL \`saenggak serve\` printed on the GPU box (after #token=).` };
  if (!res.ok) return { ok: false, message: `The remote lab at ${lab.url} answered HTTP ${res.status}: ${(await res.text()).trim().slice(0, 200)}` };
  try {
    const result = (await res.json()) as { ok: boolean; value?: { workspace: { path: string } | null } };
    if (!result.ok) return { ok: false, message: `The remote lab at ${lab.url} refused app.info.` };
    return { ok: true, workspace: result.value?.workspace?.path ?? null };
  } catch {
    return { ok: false, message: `${lab.url} answered with something that is not Saenggak Lab's API.` };
  }
}

/** Attaches this tab to the lab (after probeRemote said yes) and reloads against it. */
export function connectRemote(lab: RemoteLab): void {
  storage()?.setItem(KEY, JSON.stringify(lab));
  location.reload();
}

/** Back to this window's own back end. */
export function disconnectRemote(): void {
  storage()?.removeItem(KEY);
  location.reload();
}
