// Datasets of a workspace: list, read pages, search, delete, and write new versions atomically.
//
// Public surface (reached as `workspace.datasets`):
//   list(): Promise<DatasetInfo[]>
//   get(name): Promise<DatasetInfo>                       throws StoreError 'not_found'
//   has(name): Promise<boolean>
//   rows(name, {offset?, limit?, search?}): Promise<RowsPageWithIndices>
//   delete(name): Promise<boolean>                        false when there was no such dataset
//   findImportByHash(sha256): Promise<DuplicateImport | null>
//   beginWrite(name): Promise<DatasetWriter>              then writer.append(...) / commit(...) / abort()
//   jsonBatches(name, batchSize?): AsyncGenerator<string[]>   row JSON texts in order (for export)
//
// Storage: one LanceDB table per dataset version (layout in table-schema.ts), named `ds_<random hex>`;
// the registry (registry.ts) maps dataset names to tables. A version is never modified after commit.
//
// Atomicity of a write: the pending table is announced in `tmp/pending-tables/<table>` (holding the
// writer's pid), filled batch by batch, fsynced, then the registry is switched to it in one atomic
// rename; the previous table is dropped afterwards. A crash before the switch leaves the previous
// version in place and an unreferenced table, which `collectGarbage` (run on workspace open) drops once
// its writer is dead. A crash after the switch leaves the new version and a stale old table, ditto.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Connection, Table as LanceTable } from '@lancedb/lancedb';
import type { DatasetInfo, ImportFormat, Row, RowsPage } from './types.ts';
import { ColumnTracker } from './columns.ts';
import { fsyncTree, writeFileAtomic } from './durable.ts';
import { StoreError, throwIfAborted } from './errors.ts';
import { isProcessAlive } from './lock.ts';
import type { DatasetEntry, ImportRecord, Registry } from './registry.ts';
import { encodeRow, type EncodedRow } from './encoded-row.ts';
import { parseRowForDisplay } from './shallow-row.ts';
import { canonicalizeEscapes } from './json-escapes.ts';
import { legacySearchFilter, searchFilter } from './search-text.ts';
import { datasetBatch, datasetSchema, int64ColumnToNumbers, LEGACY_SEARCH_TEXT, ROW_INDEX, ROW_JSON } from './table-schema.ts';

/** The same rule as the API contract's dataset names. */
export const DATASET_NAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
export const MAX_PAGE_ROWS = 1000;
/** Longest search text (the search compiles it into a regular expression, see search-text.ts). */
export const MAX_SEARCH_LENGTH = 1000;

export function validateDatasetName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128 || !DATASET_NAME_PATTERN.test(name)) {
    throw new StoreError(
      'invalid_input',
      `invalid dataset name ${JSON.stringify(name)}: use 1-128 letters, digits, "_", "-" and "." only`,
    );
  }
}

export type RowsQuery = { offset?: number; limit?: number; search?: string };

/** A page of rows plus each row's 0-based index in the dataset (useful when searching). */
export type RowsPageWithIndices = RowsPage & { indices: number[] };

/** Where a file with the same content hash was imported before. */
export type DuplicateImport = { dataset: string; fileName: string; importedAt: string; format: ImportFormat };

/** Provenance of a write, recorded in the registry for display and duplicate detection. */
export type WriteSource = { fileName: string; sha256: string; format: ImportFormat; rejected: number };

function toInfo(entry: DatasetEntry): DatasetInfo {
  const last = entry.imports.at(-1);
  const info: DatasetInfo = {
    name: entry.name,
    rows: entry.rows,
    columns: entry.columns,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
  };
  if (last) info.source = { fileName: last.fileName, sha256: last.sha256, format: last.format };
  return info;
}

type Context = {
  connection: () => Promise<Connection>;
  registry: Registry;
  dbDir: string;
  pendingDir: string;
};

export class DatasetStore {
  private readonly context: Context;
  private readonly tables = new Map<string, LanceTable>();
  /** Recent searches: `${table}\0${needle}` → sorted matching row indices (tables are immutable). */
  private readonly searchCache = new Map<string, number[]>();

  constructor(context: Context) {
    this.context = context;
  }

  async list(): Promise<DatasetInfo[]> {
    const datasets = await this.context.registry.read();
    return [...datasets.values()].map(toInfo).sort((a, b) => a.name.localeCompare(b.name));
  }

  async has(name: string): Promise<boolean> {
    return (await this.context.registry.read()).has(name);
  }

  async get(name: string): Promise<DatasetInfo> {
    return toInfo(await this.entry(name));
  }

  async findImportByHash(sha256: string): Promise<DuplicateImport | null> {
    const wanted = sha256.toLowerCase();
    let best: DuplicateImport | null = null;
    for (const entry of (await this.context.registry.read()).values()) {
      for (const record of entry.imports) {
        if (record.sha256 !== wanted) continue;
        if (!best || record.importedAt > best.importedAt) {
          best = { dataset: entry.name, fileName: record.fileName, importedAt: record.importedAt, format: record.format };
        }
      }
    }
    return best;
  }

  async rows(name: string, query: RowsQuery = {}): Promise<RowsPageWithIndices> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    if (!Number.isInteger(offset) || offset < 0) throw new StoreError('invalid_input', `offset must be an integer ≥ 0, got ${offset}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_ROWS) {
      throw new StoreError('invalid_input', `limit must be an integer in 1..${MAX_PAGE_ROWS}, got ${limit}`);
    }
    if (query.search !== undefined && (typeof query.search !== 'string' || query.search.length > MAX_SEARCH_LENGTH)) {
      throw new StoreError('invalid_input', `search must be a string of at most ${MAX_SEARCH_LENGTH} characters`);
    }
    const entry = await this.entry(name);
    const table = await this.table(entry.table);
    if (query.search === undefined || query.search === '') {
      const end = Math.min(offset + limit, entry.rows);
      const indices: number[] = [];
      for (let i = offset; i < end; i++) indices.push(i);
      return { total: entry.rows, offset, rows: await this.take(table, indices), indices };
    }
    const matches = await this.matches(entry.table, table, query.search);
    const indices = matches.slice(offset, offset + limit);
    return { total: matches.length, offset, rows: await this.take(table, indices), indices };
  }

  async delete(name: string): Promise<boolean> {
    validateDatasetName(name);
    const removed = await this.context.registry.update((datasets) => {
      const entry = datasets.get(name);
      datasets.delete(name);
      return entry;
    });
    if (!removed) return false;
    await this.dropTable(removed.table);
    return true;
  }

  /** Row JSON texts in dataset order, `batchSize` at a time. */
  async *jsonBatches(name: string, batchSize = 4096): AsyncGenerator<string[]> {
    const entry = await this.entry(name);
    const table = await this.table(entry.table);
    for (let start = 0; start < entry.rows; start += batchSize) {
      const offsets: number[] = [];
      for (let i = start; i < Math.min(start + batchSize, entry.rows); i++) offsets.push(i);
      const result = await table.takeOffsets(offsets).select([ROW_INDEX, ROW_JSON]).toArrow();
      yield orderedJson(result, start, offsets.length);
    }
  }

  /** Starts writing a new version of dataset `name` (a new dataset or a replacement). */
  async beginWrite(name: string): Promise<DatasetWriter> {
    validateDatasetName(name);
    const tableName = `ds_${randomBytes(8).toString('hex')}`;
    await mkdir(this.context.pendingDir, { recursive: true });
    // Atomically (temp file + rename): a concurrent collectGarbage must never see an empty marker, take
    // its writer for dead, delete it, and later drop the table this writer is filling.
    await writeFileAtomic(join(this.context.pendingDir, tableName), String(process.pid));
    const connection = await this.context.connection();
    const table = await connection.createEmptyTable(tableName, datasetSchema);
    return new DatasetWriter(this, name, tableName, table);
  }

  /**
   * Drops tables that no dataset references and whose writer is no longer running: leftovers of crashed
   * or killed imports, and old versions whose drop was interrupted. Returns the dropped table names.
   */
  async collectGarbage(): Promise<string[]> {
    const connection = await this.context.connection();
    const referenced = async () => new Set([...(await this.context.registry.read()).values()].map((entry) => entry.table));
    const before = await referenced();
    const dropped: string[] = [];
    for (const table of await connection.tableNames()) {
      if (before.has(table) || (await this.writerAlive(table))) continue;
      // A writer switches the registry before it removes its marker, so a table whose marker just
      // vanished may have been committed a moment ago: look at the registry again before dropping.
      if ((await referenced()).has(table)) continue;
      await this.dropTable(table);
      dropped.push(table);
    }
    // Markers whose table never got created (a crash between the two steps).
    let markers: string[] = [];
    try {
      markers = await readdir(this.context.pendingDir);
    } catch {
      // no pending directory: nothing to clean
    }
    for (const marker of markers) {
      // A marker being written is a temp file named `.<table>.<pid>.<random>.tmp` (durable.ts).
      const temp = /^\..*\.(\d+)\.[0-9a-f]+\.tmp$/.exec(marker);
      const alive = temp ? isProcessAlive(Number(temp[1])) : await this.writerAlive(marker);
      if (!alive) await rm(join(this.context.pendingDir, marker), { force: true });
    }
    return dropped;
  }

  close(): void {
    for (const table of this.tables.values()) table.close();
    this.tables.clear();
    this.searchCache.clear();
  }

  // -- used by DatasetWriter ------------------------------------------------------------------------

  /** Switches dataset `name` to `tableName` in the registry (the commit point), then drops the old table. */
  async commitTable(name: string, tableName: string, rows: number, columns: ColumnTracker, source?: WriteSource): Promise<DatasetInfo> {
    await fsyncTree(join(this.context.dbDir, `${tableName}.lance`));
    const now = new Date().toISOString();
    const { entry, previous } = await this.context.registry.update((datasets) => {
      const previous = datasets.get(name);
      const imports: ImportRecord[] = [...(previous?.imports ?? [])];
      if (source) {
        imports.push({ sha256: source.sha256.toLowerCase(), fileName: source.fileName, format: source.format, importedAt: now, rows, rejected: source.rejected });
      }
      const entry: DatasetEntry = {
        name,
        table: tableName,
        rows,
        columns: columns.columns(),
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
        imports,
      };
      datasets.set(name, entry);
      return { entry, previous };
    });
    await rm(join(this.context.pendingDir, tableName), { force: true });
    if (previous && previous.table !== tableName) await this.dropTable(previous.table);
    return toInfo(entry);
  }

  async abortTable(tableName: string): Promise<void> {
    await this.dropTable(tableName);
    await rm(join(this.context.pendingDir, tableName), { force: true });
  }

  // -- internals ------------------------------------------------------------------------------------

  private async entry(name: string): Promise<DatasetEntry> {
    validateDatasetName(name);
    const entry = (await this.context.registry.read()).get(name);
    if (!entry) throw new StoreError('not_found', `no dataset named ${JSON.stringify(name)}`);
    return entry;
  }

  private async table(tableName: string): Promise<LanceTable> {
    let table = this.tables.get(tableName);
    if (!table) {
      table = await (await this.context.connection()).openTable(tableName);
      this.tables.set(tableName, table);
    }
    return table;
  }

  private async take(table: LanceTable, indices: number[]): Promise<Row[]> {
    if (indices.length === 0) return [];
    const result = await table.takeOffsets(indices).select([ROW_INDEX, ROW_JSON]).toArrow();
    const byIndex = new Map<number, string>();
    const rowIndex = int64ColumnToNumbers(result, ROW_INDEX);
    const json = result.getChild(ROW_JSON)!;
    for (let i = 0; i < rowIndex.length; i++) byIndex.set(rowIndex[i], json.get(i) as string);
    return indices.map((index) => parseRowForDisplay<Row>(byIndex.get(index)!));
  }

  private async matches(tableName: string, table: LanceTable, needle: string): Promise<number[]> {
    const key = `${tableName}\0${needle}`;
    const cached = this.searchCache.get(key);
    if (cached) {
      // Refresh its position: the Map's insertion order is the LRU order.
      this.searchCache.delete(key);
      this.searchCache.set(key, cached);
      return cached;
    }
    const legacy = (await table.schema()).fields.some((field) => field.name === LEGACY_SEARCH_TEXT);
    const filter = legacy ? legacySearchFilter(needle, LEGACY_SEARCH_TEXT) : searchFilter(needle, ROW_JSON);
    const result = await table.query().where(filter).select([ROW_INDEX]).toArrow();
    const matches = int64ColumnToNumbers(result, ROW_INDEX).sort((a, b) => a - b);
    this.searchCache.set(key, matches);
    while (this.searchCache.size > 16) this.searchCache.delete(this.searchCache.keys().next().value!);
    return matches;
  }

  private async dropTable(tableName: string): Promise<void> {
    this.tables.get(tableName)?.close();
    this.tables.delete(tableName);
    for (const key of [...this.searchCache.keys()]) if (key.startsWith(`${tableName}\0`)) this.searchCache.delete(key);
    try {
      await (await this.context.connection()).dropTable(tableName);
    } catch {
      // A half-created table may not open as a table; remove its folder directly.
    }
    await rm(join(this.context.dbDir, `${tableName}.lance`), { recursive: true, force: true });
  }

  private async writerAlive(tableName: string): Promise<boolean> {
    try {
      const pid = Number.parseInt(await readFile(join(this.context.pendingDir, tableName), 'utf8'), 10);
      return isProcessAlive(pid);
    } catch {
      return false;
    }
  }
}

function orderedJson(result: import('apache-arrow').Table, start: number, count: number): string[] {
  const out = new Array<string>(count);
  const rowIndex = int64ColumnToNumbers(result, ROW_INDEX);
  const json = result.getChild(ROW_JSON)!;
  for (let i = 0; i < rowIndex.length; i++) out[rowIndex[i] - start] = json.get(i) as string;
  return out;
}

/**
 * Writes one new version of a dataset. Append rows in batches (each `append` is one LanceDB write; 5-10k
 * rows per call is a good size), then `commit` to make it the dataset's current version atomically, or
 * `abort` to discard it. Nothing is visible to readers before `commit` resolves.
 */
export class DatasetWriter {
  readonly dataset: string;
  readonly tableName: string;
  private readonly store: DatasetStore;
  private readonly table: LanceTable;
  private readonly columns = new ColumnTracker();
  private written = 0;
  private finished = false;
  private tail: Promise<void> = Promise.resolve();

  constructor(store: DatasetStore, dataset: string, tableName: string, table: LanceTable) {
    this.store = store;
    this.dataset = dataset;
    this.tableName = tableName;
    this.table = table;
  }

  get rowsWritten(): number {
    return this.written;
  }

  /**
   * Appends rows (one LanceDB write per call, queued behind earlier ones; the returned promise settles
   * when this write is done). `jsonTexts[i]`, when given, must be the JSON text of `rows[i]` as a string or
   * as UTF-8 bytes (e.g. the original JSONL line); it saves re-serializing. Rows must be JSON objects.
   */
  append(rows: readonly Row[], jsonTexts?: readonly (string | Uint8Array | undefined)[], signal?: AbortSignal): Promise<void> {
    return this.appendEncoded(
      rows.map((row, i) => encodeRow(row, jsonTexts?.[i])),
      signal,
    );
  }

  /** Appends rows already in stored form (see encoded-row.ts); otherwise the same as `append`. */
  async appendEncoded(rows: readonly EncodedRow[], signal?: AbortSignal): Promise<void> {
    if (this.finished) throw new Error('DatasetWriter: append after commit or abort');
    if (rows.length === 0) return this.tail;
    throwIfAborted(signal);
    // The batch is built now (synchronously), so the caller can parse the next batch while LanceDB
    // writes this one. Writes are chained: `_row` must equal the physical offset, so order matters.
    const json = new Array<Uint8Array>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      this.columns.observeShape(row.keys, row.kinds);
      json[i] = row.escapes ? canonicalizeEscapes(row.json) : row.json;
    }
    const batch = datasetBatch(this.written, json);
    this.written += rows.length;
    this.tail = this.tail.then(async () => {
      await this.table.add(batch);
    });
    return this.tail;
  }

  /** Makes the written rows the dataset's current version (durably) and returns its info. */
  async commit(source?: WriteSource): Promise<DatasetInfo> {
    if (this.finished) throw new Error('DatasetWriter: commit after commit or abort');
    this.finished = true;
    await this.tail;
    this.table.close();
    return this.store.commitTable(this.dataset, this.tableName, this.written, this.columns, source);
  }

  /** Discards everything written; the dataset keeps its previous version. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.tail.catch(() => undefined);
    this.table.close();
    await this.store.abortTable(this.tableName);
  }
}
