// Which links the desktop app opens in the user's browser (`shell.openExternal`). A compromised or buggy page
// must not make the app open arbitrary URLs (any https page, `file:`, custom schemes that start programs),
// so only https links to the documentation and the Hugging Face Hub go out; everything else is dropped (#23).

/** Hosts whose https pages the app may open: docs the UI links to, and the Hub. */
export const EXTERNAL_LINK_HOSTS: ReadonlySet<string> = new Set([
  'huggingface.co',
  'hf.co',
  'onnxruntime.ai',
  'docs.nvidia.com',
  'developer.nvidia.com',
  'www.electronjs.org',
]);

/** True when `url` is an https link, with no credentials or odd port, to a host on the allowlist. */
export function isAllowedExternalUrl(url: string): boolean {
  const parsed = URL.parse(url);
  if (!parsed) return false;
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.port) return false;
  return EXTERNAL_LINK_HOSTS.has(parsed.hostname.toLowerCase());
}
