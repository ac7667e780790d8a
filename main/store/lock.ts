// A small cross-process mutex on a lock file, for read-modify-write of the registry. Several processes
// share a workspace (the app, an import job, the CLI), so an in-memory mutex is not enough.
//
// The lock file is created with O_EXCL and holds the owner's pid. A lock whose owner is dead (a crashed
// job) is stale and is broken; a live owner is waited for, up to a timeout.
import { open, readFile, rm } from 'node:fs/promises';
import { StoreError } from './errors.ts';

export type LockOptions = { timeoutMs?: number; pollMs?: number };

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx');
    try {
      await handle.writeFile(String(process.pid));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function breakIfStale(lockPath: string): Promise<void> {
  let owner: number;
  try {
    owner = Number.parseInt(await readFile(lockPath, 'utf8'), 10);
  } catch {
    return; // released meanwhile
  }
  // An empty file means the owner is between create and write: not stale.
  if (Number.isNaN(owner)) return;
  if (!isProcessAlive(owner)) await rm(lockPath, { force: true });
}

/** Runs `fn` while holding the lock file at `lockPath`. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pollMs = options.pollMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  while (!(await tryAcquire(lockPath))) {
    await breakIfStale(lockPath);
    if (Date.now() > deadline) {
      throw new StoreError('conflict', `could not take the workspace lock ${lockPath} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
