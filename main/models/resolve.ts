// One model resolver for every `--model`: a folder, or a Hugging Face Hub id found offline in the
// local Hub cache exactly as huggingface_hub lays it out:
//
//   <cache>/models--<owner>--<name>/
//     blobs/<sha>                      file contents
//     refs/<revision>                  a text file holding the commit hash a branch or tag points at
//     snapshots/<commit>/<file>        symlinks into ../../blobs (copies on Windows)
//
// <cache> is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (huggingface_hub's order).
// The snapshot is the one `refs/<revision>` names (default "main"), or the commit itself when the
// revision is a 40-hex hash; never "the first folder in snapshots/", which may be an older commit.
// Nothing here touches the network: when the model is missing the error names the folder looked in and
// the `huggingface-cli download` line that fetches it.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';

/** Hub ids as huggingface_hub validates them: `name` or `owner/name`, no `..`, no leading/trailing `-` or `.`. */
const HUB_ID = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const COMMIT = /^[0-9a-f]{40}$/;

export interface ResolveOptions {
  /** Branch, tag or commit hash (default "main"). */
  revision?: string;
  /** Environment to read HF_HUB_CACHE / HF_HOME from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The Hub cache folder huggingface_hub uses for this environment. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

export function isHubId(spec: string): boolean {
  return HUB_ID.test(spec) && !spec.includes('..') && !/[-.]$/.test(spec);
}

/** `models--owner--name` under the cache. */
export function hubRepoFolder(id: string, env?: NodeJS.ProcessEnv): string {
  return join(hubCacheDir(env), `models--${id.replace(/\//g, '--')}`);
}

/** The command that puts the model into the cache the resolver reads. */
export function hubDownloadHint(id: string, revision = 'main'): string {
  return `huggingface-cli download ${id}${revision !== 'main' ? ` --revision ${revision}` : ''}`;
}

/**
 * The snapshot folder of a cached Hub model at `revision`, or null when the cache lacks it. Throws when
 * the cache is inconsistent (a ref naming a snapshot that is not there), saying which file says what.
 */
export function findHubSnapshot(id: string, options: ResolveOptions = {}): string | null {
  const revision = options.revision ?? 'main';
  if (revision.includes('..') || revision.startsWith('/')) throw new Error(`--revision ${JSON.stringify(revision)} is not a branch, tag or commit`);
  const repo = hubRepoFolder(id, options.env);
  if (!existsSync(repo)) return null;
  let commit: string;
  if (COMMIT.test(revision)) commit = revision;
  else {
    const ref = join(repo, 'refs', revision);
    if (!existsSync(ref)) return null;
    commit = readFileSync(ref, 'utf8').trim();
    if (!COMMIT.test(commit)) throw new Error(`${ref} should hold a commit hash, holds ${JSON.stringify(commit.slice(0, 80))}`);
  }
  const snapshot = join(repo, 'snapshots', commit);
  if (!existsSync(snapshot)) {
    if (COMMIT.test(revision)) return null;
    throw new Error(`${join(repo, 'refs', revision)} points at commit ${commit} but ${snapshot} is missing (an interrupted download? rerun: ${hubDownloadHint(id, revision)})`);
  }
  return snapshot;
}

/**
 * A model folder from a CLI `--model` value: an existing folder as given, else a Hub id from the cache.
 * The error says what was tried and how to get the model.
 */
export function resolveModelPath(spec: string, options: ResolveOptions = {}): string {
  if (!spec) throw new Error('no model given (pass a folder or a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct)');
  if (existsSync(spec)) {
    if (!statSync(spec).isDirectory()) throw new Error(`${spec} is a file; --model takes a model folder (the one holding config.json)`);
    return spec;
  }
  if (!isHubId(spec)) throw new Error(`model folder ${resolvePath(spec)} does not exist (and "${spec}" is not a Hugging Face id)`);
  const snapshot = findHubSnapshot(spec, options);
  if (snapshot) return snapshot;
  const revision = options.revision ?? 'main';
  const env = options.env ?? process.env;
  const repo = hubRepoFolder(spec, env);
  const source = env.HF_HUB_CACHE ? 'HF_HUB_CACHE' : env.HF_HOME ? 'HF_HOME/hub' : 'the default location';
  const where = existsSync(repo) ? `${repo} has no ${COMMIT.test(revision) ? `snapshots/${revision}` : `refs/${revision}`}` : `${repo} does not exist`;
  throw new Error(
    `model "${spec}" is neither a folder nor in the Hugging Face cache (${where}; cache ${hubCacheDir(env)} from ${source}). ` +
      `Download it on a machine with internet: ${hubDownloadHint(spec, revision)}`,
  );
}
