// Durable job records in the workspace: jobs/<id>/job.json (written atomically) and jobs/<id>/log.txt.
// The record on disk is the truth a restarted app reads; the runner keeps a copy in memory while a job runs.
import { mkdir, readdir, readFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { JobRecord } from './types.ts';
import { writeFileAtomic } from '../store/durable.ts';

/** What job.json holds: the contract's record plus who ran it (to tell live jobs from orphans). */
export type StoredJobRecord = JobRecord & { input?: unknown; ownerPid?: number; workerPid?: number };

const JOB_ID = /^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$/;

/** Ids sort by creation time: 20250102T030405-1a2b3c. */
export function newJobId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isJobId(id: string): boolean {
  return JOB_ID.test(id);
}

export class JobRecords {
  readonly root: string;

  constructor(workspace: string) {
    this.root = join(workspace, 'jobs');
  }

  dir(id: string): string {
    if (!isJobId(id)) throw Object.assign(new Error(`not a job id: ${JSON.stringify(id)}`), { code: 'invalid_input' });
    return join(this.root, id);
  }

  logPath(id: string): string {
    return join(this.dir(id), 'log.txt');
  }

  async create(record: StoredJobRecord): Promise<void> {
    await mkdir(this.dir(record.id), { recursive: true });
    await this.write(record);
  }

  async write(record: StoredJobRecord): Promise<void> {
    await writeFileAtomic(join(this.dir(record.id), 'job.json'), JSON.stringify(record, null, 2) + '\n');
  }

  async read(id: string): Promise<StoredJobRecord | null> {
    try {
      return JSON.parse(await readFile(join(this.dir(id), 'job.json'), 'utf8')) as StoredJobRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** All records, newest first. Unreadable folders are skipped (a record is only ever replaced whole). */
  async list(limit = Infinity): Promise<StoredJobRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const ids = names.filter(isJobId).sort().reverse().slice(0, limit);
    const records = await Promise.all(ids.map((id) => this.read(id).catch(() => null)));
    return records.filter((r): r is StoredJobRecord => r !== null);
  }

  /** The last `count` lines of the job's log (reads at most the final 1 MiB). */
  async tailLog(id: string, count: number): Promise<string[]> {
    return tailLines(this.logPath(id), count);
  }
}

export async function tailLines(path: string, count: number, maxBytes = 1 << 20): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    // The first line may be cut by the byte window; drop it unless we read the whole file.
    if (length < size) lines.shift();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}
