// Where a recipe's named downloads are looked for, offline. The pipeline never downloads: `pipeline check`
// names each missing model or dataset and the folder to put it in.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findHubSnapshot } from '../models/resolve.ts';
import { workspacePaths } from '../store/index.ts';

/**
 * Folders a Hugging Face model id may be in: the workspace's models/, then the Hugging Face cache's
 * snapshot that refs/main names (the shared resolver; not whichever snapshot sorts first).
 */
export function modelCandidates(workspace: string, id: string, revision = 'main'): string[] {
  const models = workspacePaths(workspace).models;
  let snapshot: string | null = null;
  try {
    snapshot = findHubSnapshot(id, { revision });
  } catch {
    snapshot = null; // an inconsistent cache counts as absent here; `saenggak model info --model ID` explains it
  }
  return [join(models, id.replace(/\//g, '__')), join(models, id.split('/').pop() ?? id), ...(snapshot ? [snapshot] : [])];
}

/** The first candidate folder holding a config.json, or null. */
export function locateModel(workspace: string, id: string, revision = 'main'): string | null {
  return modelCandidates(workspace, id, revision).find((dir) => existsSync(join(dir, 'config.json'))) ?? null;
}

/** Where a Hugging Face dataset id is expected: <workspace>/artifacts/datasets/<owner>__<name>. */
export function datasetFolder(workspace: string, id: string): string {
  return join(workspacePaths(workspace).artifacts, 'datasets', id.replace(/\//g, '__'));
}

export function locateDataset(workspace: string, id: string): string | null {
  const dir = datasetFolder(workspace, id);
  return existsSync(dir) && readdirSync(dir).length > 0 ? dir : null;
}

/** The command a user runs on a machine with internet to fetch a model into the expected folder. */
export function modelDownloadHint(workspace: string, id: string, revision = 'main'): string {
  return `huggingface-cli download ${id}${revision !== 'main' ? ` --revision ${revision}` : ''} --local-dir ${modelCandidates(workspace, id, revision)[0]}`;
}

export function datasetDownloadHint(workspace: string, id: string): string {
  return `huggingface-cli download ${id} --repo-type dataset --local-dir ${datasetFolder(workspace, id)}`;
}
