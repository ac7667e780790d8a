// The store's value types: what a workspace and its datasets look like to callers. The app contract
// (main/api/contract.ts) re-exports them; they live here so the store does not import upward.

export type WorkspaceInfo = {
  path: string;
  /** ISO timestamp of creation (from the workspace manifest). */
  createdAt: string;
  datasets: number;
};

export type ColumnInfo = { name: string; type: string };

export type DatasetInfo = {
  name: string;
  rows: number;
  columns: ColumnInfo[];
  createdAt: string;
  updatedAt: string;
  /** Provenance of the last import: file name and content hash (sha256 hex). */
  source?: { fileName: string; sha256: string; format: ImportFormat };
};

/** The file formats an import reads (recorded as a dataset's provenance). */
export type ImportFormat = 'jsonl' | 'json' | 'csv' | 'parquet';

export type Row = Record<string, unknown>;

export type RowsPage = {
  /** Total rows matching the query (whole dataset when no search text). */
  total: number;
  offset: number;
  rows: Row[];
};
