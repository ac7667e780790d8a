// Downloading a run's artifacts from serve mode (#21: a remote GPU box's runs, checkpoints, adapters and
// reports, fetched to this machine). GET /api/files?path=REL lists a folder, GET /api/file?path=REL sends
// one file as an attachment. The path check is the one the desktop app's "open file" uses
// (api/workspace-file.ts): inside the open workspace after resolving links; the `--allow-path` folders are
// for reading inputs, not for handing files out.
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { ApiFailure } from '../api/errors.ts';
import { realPathOf } from '../api/path-scope.ts';
import { workspaceFile, type WorkspaceFile } from '../api/workspace-file.ts';

/** The HTTP status of a refused file request. */
export function fileFailureStatus(error: ApiFailure): 400 | 403 | 404 | 409 {
  return error.code === 'not_found' ? 404 : error.code === 'forbidden' ? 403 : error.code === 'no_workspace' ? 409 : 400;
}

/** The file `path` names inside the workspace (a folder is refused: it is listed, not downloaded). */
export function downloadableFile(root: string | null | undefined, path: string | null): WorkspaceFile {
  const file = workspaceFile(root, path ?? '');
  if (file.kind !== 'file') throw new ApiFailure('invalid_input', `${path} is a folder: list it with /api/files`);
  return file;
}

export type FolderEntry = { path: string; name: string; kind: 'file' | 'folder'; bytes: number };

/** The entries of a workspace folder (not recursive, at most `limit`), paths relative to the workspace. */
export async function listWorkspaceFolder(root: string | null | undefined, path: string | null, limit = 1000): Promise<FolderEntry[]> {
  const folder = workspaceFile(root, path ?? '');
  if (folder.kind !== 'folder') throw new ApiFailure('invalid_input', `${path} is not a folder`);
  const realRoot = realPathOf(root!);
  const entries = (await readdir(folder.path, { withFileTypes: true })).filter((e) => e.isFile() || e.isDirectory()).slice(0, limit);
  const out: FolderEntry[] = [];
  for (const e of entries) {
    const full = join(folder.path, e.name);
    const bytes = e.isFile() ? ((await stat(full).catch(() => null))?.size ?? 0) : 0;
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
