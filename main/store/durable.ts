// Durable file writes: data that is acknowledged must survive a crash or power loss.
//
// The pattern is the classic one: write a temporary file in the same directory, fsync it, rename it
// over the target (atomic on POSIX and on NTFS), then fsync the directory so the rename itself is on
// disk. A reader sees either the old file or the new one, never a partial write.
import { open, rename, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsyncs a directory so renames and new entries inside it are durable (a no-op where unsupported). */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open or fsync directories; its renames are journaled by NTFS.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/** A temporary name next to `path` (same directory, so the final rename never crosses filesystems). */
export function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Atomically replaces `path` with `data`: write tmp + fsync + rename + fsync directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = temporarySibling(path);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(path));
}

/**
 * fsyncs every file and directory under `root` (depth first, directories after their contents).
 * LanceDB writes through its object store without fsync; this makes a finished table durable before
 * the registry is switched to point at it.
 */
export async function fsyncTree(root: string): Promise<void> {
  const info = await stat(root);
  if (!info.isDirectory()) {
    const handle = await open(root, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  }
  const entries = await readdir(root, { withFileTypes: true });
  // A handful at a time: enough to overlap the syscalls without exhausting file descriptors.
  const width = 16;
  for (let i = 0; i < entries.length; i += width) {
    await Promise.all(entries.slice(i, i + width).map((entry) => fsyncTree(join(root, entry.name))));
  }
  await fsyncDirectory(root);
}
