// "Open file" links (#24): the report, run folders and outputs open from the app — through the Electron
// preload's openPath (shell.openPath in the main process) or, in serve mode, as a download from
// GET /api/file. Both ask this one check first: the path must exist inside the open workspace after
// resolving symbolic links, so neither a `..` nor a link inside the workspace can lead a page (or a script
// that got into one) to open or read anything else. The desktop app has no wider scope for this: opening
// runs programs (shell.openPath starts the file's default handler), so only what the lab wrote is offered.
import { statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { ApiFailure } from './errors.ts';
import { isInside, realPathOf } from './path-scope.ts';

export interface WorkspaceFile {
  /** The real path (links resolved), inside the workspace. */
  path: string;
  name: string;
  kind: 'file' | 'folder';
  size: number;
}

/**
 * The file or folder `path` names (absolute, or relative to the workspace) when it exists inside
 * `workspaceRoot`; otherwise an ApiFailure: `no_workspace`, `invalid_input`, `forbidden` or `not_found`.
 */
export function workspaceFile(workspaceRoot: string | null | undefined, path: unknown): WorkspaceFile {
  if (!workspaceRoot) throw new ApiFailure('no_workspace', 'No workspace is open: files open only from inside one.');
  if (typeof path !== 'string' || path.trim() === '' || path.includes('\0') || path.length > 4096) throw new ApiFailure('invalid_input', 'the path to open must be a non-empty string');
  const root = realPathOf(workspaceRoot);
  const real = realPathOf(isAbsolute(path) ? path : resolve(root, path));
  if (!isInside(root, real)) throw new ApiFailure('forbidden', `${JSON.stringify(path)} is outside the workspace (${root}): only the workspace's own files open from the app.`);
  let info;
  try {
    info = statSync(real);
  } catch {
    throw new ApiFailure('not_found', `${JSON.stringify(path)} does not exist in the workspace.`);
  }
  if (!info.isFile() && !info.isDirectory()) throw new ApiFailure('invalid_input', `${JSON.stringify(path)} is neither a file nor a folder.`);
  return { path: real, name: basename(real), kind: info.isDirectory() ? 'folder' : 'file', size: info.isFile() ? info.size : 0 };
}
