// `hub pull`: a Hub model repo → a local folder. The file list comes from
// GET /api/models/{repo}/revision/{rev} (siblings), each file from GET /{repo}/resolve/{rev}/{path}
// (redirects to the CDN for LFS files are followed). Files land under a temporary name and are renamed
// when complete, so an interrupted pull never leaves a truncated weight file behind a valid name.

import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hubJson } from './http.ts';
import { redact } from './token.ts';
import { validateRepoId } from './push.ts';

export interface PullOptions {
  repo: string;
  outDir: string;
  token?: string | null;
  revision?: string;
  endpoint?: string;
  onProgress?: (line: string) => void;
}

export async function pullModel(options: PullOptions): Promise<{ repo: string; sha: string | null; files: string[] }> {
  validateRepoId(options.repo);
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const token = options.token ?? undefined;
  const say = (line: string) => options.onProgress?.(redact(line, token));
  try {
    const { json: info } = await hubJson<{ sha?: string; siblings?: { rfilename: string; size?: number }[] }>('GET', `${endpoint}/api/models/${options.repo}/revision/${encodeURIComponent(revision)}`, { token });
    const files = (info.siblings ?? []).map((s) => s.rfilename);
    if (files.length === 0) throw new Error(`${options.repo}@${revision} has no files`);
    mkdirSync(options.outDir, { recursive: true });
    for (const name of files) {
      const rel = normalize(name);
      if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`${sep}..${sep}`)) throw new Error(`refusing a file outside the folder: "${name}"`);
      const dest = join(options.outDir, rel);
      mkdirSync(dirname(dest), { recursive: true });
      const url = `${endpoint}/${options.repo}/resolve/${encodeURIComponent(revision)}/${name.split('/').map(encodeURIComponent).join('/')}`;
      const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (!res.ok || !res.body) throw new Error(`GET ${endpoint}/${options.repo}/resolve/${revision}/${name}: HTTP ${res.status}`);
      const part = `${dest}.incomplete`;
      await pipeline(Readable.fromWeb(res.body as never), createWriteStream(part));
      const expected = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(expected) && statSync(part).size !== expected) throw new Error(`${name}: got ${statSync(part).size} of ${expected} bytes`);
      renameSync(part, dest);
      say(`${name} (${(statSync(dest).size / 2 ** 20).toFixed(1)} MiB)`);
    }
    return { repo: options.repo, sha: info.sha ?? null, files: files.filter((f) => existsSync(join(options.outDir, f))) };
  } catch (err) {
    throw new Error(redact((err as Error).message, token));
  }
}
