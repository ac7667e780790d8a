// The store's public API: workspaces (a folder with a LanceDB database) and their datasets.
// See workspace.ts (layout, openWorkspace) and datasets.ts (dataset operations, atomic writes).
export { openWorkspace, Workspace, workspacePaths, MANIFEST_FILE } from './workspace.ts';
export type { OpenWorkspaceOptions, WorkspaceManifest, WorkspacePaths } from './workspace.ts';
export { DatasetStore, DatasetWriter, validateDatasetName, MAX_PAGE_ROWS, MAX_SEARCH_LENGTH } from './datasets.ts';
export { encodeRow } from './encoded-row.ts';
export type { EncodedRow } from './encoded-row.ts';
export type { DuplicateImport, RowsPageWithIndices, RowsQuery, WriteSource } from './datasets.ts';
export { StoreError } from './errors.ts';
export type { StoreErrorCode } from './errors.ts';
export { writeFileAtomic, fsyncDirectory } from './durable.ts';
