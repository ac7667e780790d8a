// A small cross-process mutex on a lock file, for read-modify-write of the registry. Several processes
// share a workspace (the app, an import job, the CLI), so an in-memory mutex is not enough.
//
// The lock file names its owner: pid, the process's start time and boot (so a reused pid is not mistaken for
// the owner) and the host. It is written whole to a temporary file and then linked into place, so it is never
// seen empty. A lock is stale, and is replaced, when its owner on this host is gone (dead pid, or a pid now
// held by a younger process) or when it is empty or unreadable (left by a crash of an older version). A live
// owner is waited for up to a timeout; the error then names it and says what to do (#23).
import { link, open, readFile, rm, stat, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { StoreError } from './errors.ts';

export type LockOptions = { timeoutMs?: number; pollMs?: number };

/** Who holds a lock. `start` and `boot` are null where the system does not tell (not Linux). */
export type LockOwner = { pid: number; start: string | null; boot: string | null; host: string };

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

/** A process's start time in clock ticks since boot (Linux /proc/PID/stat field 22), or null. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export function currentOwner(): LockOwner {
  return { pid: process.pid, start: processStartTime(process.pid), boot: bootId(), host: hostname() };
}

/** The owner a lock file names; null when it is empty or unreadable. A bare pid is the older format. */
export function parseOwner(text: string): LockOwner | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), start: null, boot: null, host: hostname() };
  try {
    const value = JSON.parse(trimmed) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    return { pid: value.pid, start: value.start ?? null, boot: value.boot ?? null, host: value.host };
  } catch {
    return null;
  }
}

/**
 * Whether the named owner still runs. On another host it cannot be checked and counts as alive. On this one:
 * the pid must be alive, and when the lock recorded a start time and boot, they must match that pid's now.
 */
export function isOwnerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (!isProcessAlive(owner.pid)) return false;
  if (owner.boot && bootId() && owner.boot !== bootId()) return false;
  if (owner.start) {
    const start = processStartTime(owner.pid);
    if (start !== null && start !== owner.start) return false; // the pid was reused by another process
  }
  return true;
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  // Written whole beside the lock, then linked into place: link fails if the lock exists, and a reader never
  // sees a half-written owner.
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(JSON.stringify({ ...currentOwner(), at: new Date().toISOString() }));
  } finally {
    await handle.close();
  }
  try {
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Grace for an empty lock file: an older version writes its pid just after creating the file. */
const EMPTY_LOCK_GRACE_MS = 2_000;

/** Removes the lock when its owner is gone; returns the owner when it is (or may be) alive. */
async function breakIfStale(lockPath: string): Promise<LockOwner | null> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch {
    return null; // released meanwhile
  }
  const owner = parseOwner(text);
  if (owner && isOwnerAlive(owner)) return owner;
  if (!owner) {
    const age = Date.now() - ((await stat(lockPath).catch(() => null))?.mtimeMs ?? 0);
    if (age < EMPTY_LOCK_GRACE_MS) return null;
  }
  // Only remove what we judged: if the file changed since (a new owner took it), leave it.
  const again = await readFile(lockPath, 'utf8').catch(() => null);
  if (again === text) await rm(lockPath, { force: true });
  return null;
}

function describeOwner(owner: LockOwner): string {
  return `process ${owner.pid} on ${owner.host === hostname() ? 'this machine' : `host ${owner.host}`}`;
}

/** Runs `fn` while holding the lock file at `lockPath`. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pollMs = options.pollMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  while (!(await tryAcquire(lockPath))) {
    const owner = await breakIfStale(lockPath);
    if (Date.now() > deadline) {
      const who = owner ? ` It is held by ${describeOwner(owner)}, which is still running.` : '';
      throw new StoreError(
        'conflict',
        `could not take the workspace lock ${lockPath} within ${timeoutMs} ms.${who} Another Saenggak process (the app, ` +
          '`saenggak serve`, a CLI command or one of their jobs) is writing to this workspace: wait for it to finish or stop it. ' +
          `If none is running, delete ${lockPath}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
