// Serve mode's file-system scope (#23): a browser that holds the token may read and write only inside the
// open workspace and the folders the user allowed (`saenggak serve --allow-path DIR`, repeatable). Paths are
// compared after resolving symbolic links, so a link inside an allowed folder cannot lead out of it; a path
// that does not exist yet (an export target, a new workspace) is judged by its nearest existing parent.
// The desktop app has no scope: its user picks files with the system's own dialogs.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ApiFailure } from './errors.ts';

/** The real path of `path`, or of its nearest existing ancestor joined with the rest when it does not exist. */
export function realPathOf(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync.native(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(realPathOf(parent), basename(absolute));
  }
}

/** True when `path` is `root` or lies inside it (both real paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export class PathScope {
  /** The allowed folders as real paths (the workspace is added per check: it can change). */
  readonly roots: readonly string[];

  constructor(roots: readonly string[]) {
    this.roots = [...new Set(roots.map(realPathOf))];
  }

  /**
   * The resolved path when it lies inside an allowed folder or `workspaceRoot`; otherwise a `forbidden`
   * failure that names the allowed folders and the flag that adds one. `what` says what the path is for.
   */
  check(path: string, what: string, workspaceRoot?: string | null): string {
    const real = realPathOf(path);
    const roots = workspaceRoot ? [...this.roots, realPathOf(workspaceRoot)] : [...this.roots];
    if (roots.some((root) => isInside(root, real))) return resolve(path);
    throw new ApiFailure(
      'forbidden',
      `${what} ${JSON.stringify(path)} is outside the folders this server may use (${roots.join(', ') || 'none'}). ` +
        'Restart `saenggak serve` with `--allow-path DIR` to add a folder, or upload the file.',
    );
  }
}
