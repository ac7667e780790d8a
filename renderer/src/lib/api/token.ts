// Serve mode's access token in the page. `saenggak serve` prints `http://HOST:PORT/#token=T`: the fragment
// never reaches a server (nor a log, nor a Referer), so the page takes the token from there, keeps it in
// sessionStorage (this tab only; a reload keeps working) and removes it from the address bar. No cookie:
// cookies ignore ports, so every other service on the same host would receive it.
const STORAGE_KEY = 'saenggak.token';
const FRAGMENT = /^#token=([^&#]+)/;

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage disabled: keep the token in memory only
  }
}

/** Reads the token from the URL fragment (then forgets the fragment) or from this tab's session storage. */
export function takeAccessToken(): string | null {
  const hash = globalThis.location?.hash ?? '';
  const match = FRAGMENT.exec(hash);
  if (match) {
    const token = decodeURIComponent(match[1]!);
    storage()?.setItem(STORAGE_KEY, token);
    // Replace, not push: the token must not stay in the history either.
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  return storage()?.getItem(STORAGE_KEY) ?? null;
}
