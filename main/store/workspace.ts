// A workspace is a folder that holds all of a user's state:
//
//   saenggak.json   manifest {format: "saenggak-workspace", version, createdAt}; marks the folder
//   registry.json   dataset name → LanceDB table + metadata (registry.ts); the commit point of changes
//   db/             the LanceDB database (one table per dataset version, see table-schema.ts)
//   artifacts/      run outputs (checkpoints, reports, exports)
//   tmp/            scratch space; tmp/pending-tables/ marks tables being written (datasets.ts)
//   jobs/           job records and logs (owned by main/jobs/)
//
// Public surface:
//   openWorkspace(path, {create?}): Promise<Workspace>   throws StoreError 'no_workspace' for a folder that
//                                                       is not a workspace (or, with create, not empty)
//   workspace.root / .manifest / .paths
//   workspace.info(): Promise<WorkspaceInfo>
//   workspace.datasets: DatasetStore                   (datasets.ts)
//   workspace.close()
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { connect, type Connection } from '@lancedb/lancedb';
import type { WorkspaceInfo } from './types.ts';
import { DatasetStore } from './datasets.ts';
import { fsyncDirectory, writeFileAtomic } from './durable.ts';
import { StoreError } from './errors.ts';
import { fileInTheWay } from './system-errors.ts';
import { isProcessAlive } from './lock.ts';
import { Registry } from './registry.ts';

export const MANIFEST_FILE = 'saenggak.json';
export const MANIFEST_FORMAT = 'saenggak-workspace';
export const WORKSPACE_VERSION = 1;

export type WorkspaceManifest = { format: typeof MANIFEST_FORMAT; version: number; createdAt: string };

export type WorkspacePaths = {
  root: string;
  manifest: string;
  registry: string;
  db: string;
  artifacts: string;
  tmp: string;
  jobs: string;
  /** Training runs (SFT, reward model, GRPO): runs/<name>/ as main/train/run/ lays it out. */
  runs: string;
  /** Model folders (Hugging Face layout) made, imported or registered in the workspace: models/<name>/. */
  models: string;
  /** Evaluations: evals/<name>/ with per-sample rows and reports. */
  evals: string;
  /** Preference-pair collections, scores, sets and human labels: pairs/<name>/. */
  pairs: string;
  /** One-click recipe runs: pipelines/<name>/. */
  pipelines: string;
};

export type OpenWorkspaceOptions = {
  /** Create the workspace when the folder is missing or empty (default false). */
  create?: boolean;
};

export function workspacePaths(root: string): WorkspacePaths {
  return {
    root,
    manifest: join(root, MANIFEST_FILE),
    registry: join(root, 'registry.json'),
    db: join(root, 'db'),
    artifacts: join(root, 'artifacts'),
    tmp: join(root, 'tmp'),
    jobs: join(root, 'jobs'),
    runs: join(root, 'runs'),
    models: join(root, 'models'),
    evals: join(root, 'evals'),
    pairs: join(root, 'pairs'),
    pipelines: join(root, 'pipelines'),
  };
}

export class Workspace {
  readonly root: string;
  readonly manifest: WorkspaceManifest;
  readonly paths: WorkspacePaths;
  readonly datasets: DatasetStore;
  private connectionPromise: Promise<Connection> | null = null;

  constructor(root: string, manifest: WorkspaceManifest) {
    this.root = root;
    this.manifest = manifest;
    this.paths = workspacePaths(root);
    const registry = new Registry(this.paths.registry, join(root, 'registry.lock'));
    this.datasets = new DatasetStore({
      connection: () => this.connection(),
      registry,
      dbDir: this.paths.db,
      pendingDir: join(this.paths.tmp, 'pending-tables'),
    });
  }

  /** The LanceDB connection (opened on first use). */
  connection(): Promise<Connection> {
    this.connectionPromise ??= connect(this.paths.db);
    return this.connectionPromise;
  }

  async info(): Promise<WorkspaceInfo> {
    return { path: this.root, createdAt: this.manifest.createdAt, datasets: (await this.datasets.list()).length };
  }

  async close(): Promise<void> {
    this.datasets.close();
    const connection = this.connectionPromise;
    this.connectionPromise = null;
    if (connection) (await connection).close();
  }
}

async function readManifest(path: string): Promise<WorkspaceManifest | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let manifest: WorkspaceManifest;
  try {
    manifest = JSON.parse(text) as WorkspaceManifest;
  } catch {
    throw new StoreError('no_workspace', `${path} is not valid JSON, so this folder is not a usable workspace`);
  }
  if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.version !== 'number') {
    throw new StoreError('no_workspace', `${path} is not a Saenggak Lab workspace manifest`);
  }
  if (manifest.version > WORKSPACE_VERSION) {
    throw new StoreError(
      'conflict',
      `this workspace has version ${manifest.version}, newer than this app understands (${WORKSPACE_VERSION}); update the app`,
    );
  }
  return manifest;
}

async function createManifest(root: string): Promise<WorkspaceManifest> {
  let entries: string[] = [];
  try {
    const info = await stat(root);
    if (!info.isDirectory()) throw new StoreError('no_workspace', `${root} exists and is not a folder`);
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Hidden files (.DS_Store, .git) do not count: an otherwise empty folder is fine.
  const visible = entries.filter((name) => !name.startsWith('.'));
  if (visible.length > 0) {
    throw new StoreError(
      'no_workspace',
      `${root} is not empty and is not a workspace (no ${MANIFEST_FILE}); choose an empty or new folder to create one`,
    );
  }
  await mkdir(root, { recursive: true });
  const manifest: WorkspaceManifest = { format: MANIFEST_FORMAT, version: WORKSPACE_VERSION, createdAt: new Date().toISOString() };
  await writeFileAtomic(join(root, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Removes registry and lock temp files left by writers that died between write and rename (or link). */
async function removeStaleTempFiles(root: string): Promise<void> {
  for (const name of await readdir(root)) {
    const match = /^(?:\.registry\.json|registry\.lock)\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (match && !isProcessAlive(Number(match[1]))) await rm(join(root, name), { force: true });
  }
}

/**
 * Opens the workspace in folder `path`. With `create`, a missing or empty folder becomes a new workspace.
 * Opening also removes leftovers of crashed writers (unreferenced tables, temp files).
 */
export async function openWorkspace(path: string, options: OpenWorkspaceOptions = {}): Promise<Workspace> {
  const root = resolve(path);
  const paths = workspacePaths(root);
  const blocker = fileInTheWay(root);
  if (blocker) {
    throw new StoreError('no_workspace', blocker === root ? `${root} is a file, not a folder: a workspace is a folder` : `${root}: ${blocker} is a file, not a folder`);
  }
  let manifest = await readManifest(paths.manifest);
  if (!manifest) {
    if (!options.create) {
      throw new StoreError(
        'no_workspace',
        `${root} is not a Saenggak Lab workspace (no ${MANIFEST_FILE}); create one with \`saenggak workspace init ${root}\``,
      );
    }
    manifest = await createManifest(root);
  }
  for (const dir of [paths.db, paths.artifacts, paths.tmp, paths.jobs]) await mkdir(dir, { recursive: true });
  await fsyncDirectory(root);
  const workspace = new Workspace(root, manifest);
  await removeStaleTempFiles(root);
  await workspace.datasets.collectGarbage();
  return workspace;
}
