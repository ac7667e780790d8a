// The dataset registry: one small JSON file (`registry.json` in the workspace) mapping each dataset name to
// the LanceDB table that holds its current version, plus the metadata the UI lists (rows, columns,
// provenance, the content hashes of past imports).
//
// The registry is the commit point of every dataset change. A new version is written into a fresh table
// first; only when that table is complete and fsynced is the registry replaced (write-tmp + fsync +
// rename + fsync dir). Readers therefore see the old version or the new one, never a torn one. Changes are
// read-modify-write under a cross-process lock file, because an import job runs in another process.
import { readFile, stat } from 'node:fs/promises';
import type { ColumnInfo, ImportFormat } from './types.ts';
import { writeFileAtomic } from './durable.ts';
import { StoreError } from './errors.ts';
import { withFileLock } from './lock.ts';

export const REGISTRY_VERSION = 1;

/** One import of a file into a dataset (kept for duplicate detection by content hash). */
export type ImportRecord = {
  sha256: string;
  fileName: string;
  format: ImportFormat;
  importedAt: string;
  rows: number;
  rejected: number;
};

export type DatasetEntry = {
  name: string;
  /** The LanceDB table holding the current version. Tables are written once and never modified. */
  table: string;
  rows: number;
  columns: ColumnInfo[];
  createdAt: string;
  updatedAt: string;
  /** Imports that produced this dataset, newest last (a re-import replaces the rows but keeps history). */
  imports: ImportRecord[];
};

type RegistryFile = { version: number; datasets: DatasetEntry[] };

export class Registry {
  readonly path: string;
  readonly lockPath: string;
  private cache: { key: string; datasets: Map<string, DatasetEntry> } | null = null;

  constructor(path: string, lockPath: string) {
    this.path = path;
    this.lockPath = lockPath;
  }

  /** The current datasets (re-read when another process has replaced the file). */
  async read(): Promise<Map<string, DatasetEntry>> {
    let key: string;
    try {
      const info = await stat(this.path, { bigint: true });
      key = `${info.ino}:${info.mtimeNs}:${info.size}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    if (this.cache?.key === key) return this.cache.datasets;
    const datasets = parseRegistry(await readFile(this.path, 'utf8'), this.path);
    this.cache = { key, datasets };
    return datasets;
  }

  /**
   * Read-modify-write under the lock. `change` gets a copy of the datasets and edits it in place; its
   * return value is passed through. The new registry is durable when this resolves.
   */
  async update<T>(change: (datasets: Map<string, DatasetEntry>) => T | Promise<T>): Promise<T> {
    return withFileLock(this.lockPath, async () => {
      this.cache = null;
      const datasets = new Map(await this.read());
      const result = await change(datasets);
      const file: RegistryFile = { version: REGISTRY_VERSION, datasets: [...datasets.values()] };
      await writeFileAtomic(this.path, JSON.stringify(file, null, 1) + '\n');
      this.cache = null;
      return result;
    });
  }
}

function parseRegistry(text: string, path: string): Map<string, DatasetEntry> {
  let file: RegistryFile;
  try {
    file = JSON.parse(text) as RegistryFile;
  } catch (error) {
    throw new StoreError('conflict', `the dataset registry ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof file.version !== 'number' || file.version > REGISTRY_VERSION) {
    throw new StoreError('conflict', `the dataset registry ${path} has version ${file.version}; this app reads up to ${REGISTRY_VERSION}`);
  }
  // A Map, not an object: dataset names such as "__proto__" are legal.
  return new Map((file.datasets ?? []).map((entry) => [entry.name, entry]));
}
