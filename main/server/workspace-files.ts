// Downloading a run's artifacts from serve mode (#21: a remote GPU box's runs, checkpoints, adapters and
// reports, fetched to this machine). GET /api/files?path=REL lists a folder, GET /api/file?path=REL sends
// one file as an attachment. REL is relative to the open workspace (or an absolute path inside it); the
// real path (links resolved) must stay inside the workspace: the `--allow-path` folders are for reading
// inputs, not for handing files out.
import { realpathSync } from 'node:fs';
import { workspaceFile as checkedWorkspaceFile } from '../api/workspace-file.ts';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';

export class FileAccessError extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The real path of `path` inside `root`, or a FileAccessError saying why not. The check is the one the
 * desktop app's "open file" uses (api/workspace-file.ts: links resolved, nothing outside the workspace);
 * here its codes become HTTP statuses.
 */
export function workspaceFile(root: string, path: string | null): string {
  try {
    return checkedWorkspaceFile(root, path ?? '').path;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new FileAccessError(code === 'forbidden' ? 403 : code === 'not_found' ? 404 : 400, (error as Error).message);
  }
}

export type FolderEntry = { path: string; name: string; kind: 'file' | 'folder'; bytes: number };

/** The entries of a workspace folder (not recursive, at most `limit`), paths relative to the workspace. */
export async function listWorkspaceFolder(root: string, path: string | null, limit = 1000): Promise<FolderEntry[]> {
  const folder = workspaceFile(root, path);
  if (!(await stat(folder)).isDirectory()) throw new FileAccessError(400, `${path} is not a folder`);
  const realRoot = realpathSync(root);
  const entries = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile() || e.isDirectory()).slice(0, limit);
  const out: FolderEntry[] = [];
  for (const e of entries) {
    const full = join(folder, e.name);
    const bytes = e.isFile() ? (await stat(full).catch(() => null))?.size ?? 0 : 0;
    out.push({ path: relative(realRoot, full).split(sep).join('/'), name: e.name, kind: e.isDirectory() ? 'folder' : 'file', bytes });
  }
  return out.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
}

/** `attachment; filename="…"; filename*=UTF-8''…` for a file name (Korean names survive, quotes cannot break out). */
export function attachmentDisposition(file: string): string {
  const name = basename(file);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
