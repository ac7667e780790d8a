// File-system failures in words a user can act on. Node's own messages ("ENOTDIR: not a directory, open
// '/x/saenggak.json'", "EEXIST: file already exists, mkdir '/x'") name a syscall and a path the user never
// typed; at the API boundary and in the CLI they become a coded error that says what is in the way (#23).

import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const DESCRIPTIONS: Record<string, { code: string; text: (path: string) => string }> = {
  ENOENT: { code: 'not_found', text: (p) => `no such file or folder: ${p}` },
  ENOTDIR: { code: 'invalid_input', text: (p) => `${p}: part of this path is a file, not a folder` },
  EISDIR: { code: 'invalid_input', text: (p) => `${p} is a folder, not a file` },
  EEXIST: { code: 'conflict', text: (p) => `${p} already exists and is in the way (a file where a folder is needed, or the other way round)` },
  ENOTEMPTY: { code: 'conflict', text: (p) => `${p} is a folder that is not empty` },
  EACCES: { code: 'forbidden', text: (p) => `permission denied: ${p}` },
  EPERM: { code: 'forbidden', text: (p) => `operation not permitted: ${p}` },
  EROFS: { code: 'forbidden', text: (p) => `${p} is on a read-only file system` },
  ENOSPC: { code: 'no_space', text: (p) => `no space left on the device while writing ${p}` },
  ENAMETOOLONG: { code: 'invalid_input', text: (p) => `path too long: ${p.slice(0, 200)}…` },
  EMFILE: { code: 'busy', text: () => 'too many open files; try again when fewer jobs are running' },
};

/** A Node system error (has `errno`, `syscall` and an upper-case `code`) described plainly, or null. */
export function describeSystemError(error: unknown): { code: string; message: string } | null {
  if (!(error instanceof Error)) return null;
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string') return null;
  const description = DESCRIPTIONS[code];
  if (!description) return null;
  return { code: description.code, message: description.text(path ?? '(a path)') };
}

/**
 * The first part of `path` (itself or a parent folder) that exists and is a file, or null: where creating
 * `path` as a folder, or a file inside it, would fail with ENOTDIR / EEXIST.
 */
export function fileInTheWay(path: string): string | null {
  for (let current = resolve(path); ; current = dirname(current)) {
    let info;
    try {
      info = statSync(current, { throwIfNoEntry: false });
    } catch {
      info = undefined; // ENOTDIR below a file: keep walking up to that file
    }
    if (info) return info.isDirectory() ? null : current;
    if (dirname(current) === current) return null;
  }
}
