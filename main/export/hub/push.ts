// `hub push`: a model folder → a Hub model repo through the Hub's HTTP API, as huggingface_hub's
// create_commit does it (hf_api.py, _commit_api.py, lfs.py):
//   1. POST /api/repos/create {name, organization, private}            (409: it exists, fine)
//   2. POST /api/models/{repo}/preupload/{rev} {files: [{path, size, sample}]}
//        → each file's uploadMode, "lfs" or "regular", and shouldIgnore
//   3. LFS files: POST /{repo}.git/info/lfs/objects/batch {operation: upload, transfers: [basic, multipart],
//        objects: [{oid: sha256, size}], hash_algo: sha256}. An object without actions is already stored.
//        basic: PUT the file to actions.upload.href. multipart: header.chunk_size plus part URLs under
//        header "1", "2", …: PUT each chunk, collect ETags, POST {oid, parts: [{partNumber, etag}]} to the href.
//        Then POST {oid, size} to actions.verify.href when given.
//   4. POST /api/models/{repo}/commit/{rev} as NDJSON: a header line, one `file` line (base64) per regular
//        file and one `lfsFile` line (path, algo sha256, oid, size) per LFS file.
// Resumable: multipart progress (part ETags by upload) is kept in <model>/.cache/saenggak-hub/, so a push
// cut off midway re-sends only the parts the store has not acknowledged when the Hub hands back the same
// pending upload, and objects the Hub already has are skipped by step 3 on any retry.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { hubJson, HubHttpError, putFileRange, withRetries } from './http.ts';
import { redact } from './token.ts';

export interface PushOptions {
  modelDir: string;
  repo: string;
  token: string;
  private?: boolean;
  revision?: string;
  message?: string;
  endpoint?: string;
  /** Small generated files (the model card) committed as if they were in the folder; a folder file of the same path wins. */
  extraFiles?: Map<string, string>;
  onProgress?: (line: string) => void;
}

export interface PushResult {
  repo: string;
  commitUrl: string | null;
  commitOid: string | null;
  files: { path: string; size: number; mode: 'lfs' | 'regular'; uploaded: boolean }[];
}

const STATE_DIR = join('.cache', 'saenggak-hub');

export function validateRepoId(repo: string): { namespace: string; name: string } {
  const m = /^([\w.-]{1,96})\/([\w.-]{1,96})$/.exec(repo);
  if (!m || repo.includes('..')) throw new Error(`--repo must be "user/name" (letters, digits, "-", "_", "."), got "${repo}"`);
  return { namespace: m[1], name: m[2] };
}

/** Files to upload: everything under the folder except hidden files and folders (.cache, .git). */
export function listModelFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function sample(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, 0);
    return buf.subarray(0, n).toString('base64');
  } finally {
    closeSync(fd);
  }
}

interface LfsAction { href: string; header?: Record<string, string> }
interface LfsBatchObject { oid: string; size: number; actions?: { upload?: LfsAction; verify?: LfsAction }; error?: { code: number; message: string } }

/** Multipart progress for one object: the upload it belongs to (part URL without its signature) and acknowledged parts. */
interface MultipartState { upload: string; etags: Record<string, string> }

function uploadKey(partUrl: string): string {
  const u = new URL(partUrl);
  return `${u.origin}${u.pathname}?uploadId=${u.searchParams.get('uploadId') ?? ''}`;
}

export async function pushModel(options: PushOptions): Promise<PushResult> {
  const { namespace, name } = validateRepoId(options.repo);
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const token = options.token;
  const say = (line: string) => options.onProgress?.(redact(line, token));
  const rev = encodeURIComponent(revision);
  try {
    // 1. the repo
    try {
      await hubJson('POST', `${endpoint}/api/repos/create`, { token, body: { name, organization: namespace, private: options.private ?? false, type: 'model' } });
      say(`created ${options.repo}${options.private ? ' (private)' : ''}`);
    } catch (err) {
      if (!(err instanceof HubHttpError && err.status === 409)) throw err;
      say(`${options.repo} exists`);
    }

    // 2. preupload: which files go through LFS
    const paths = listModelFiles(options.modelDir);
    if (paths.length === 0) throw new Error(`${options.modelDir} has no files to push`);
    const files: { path: string; abs: string; size: number; content?: Buffer }[] = paths.map((path) => ({ path, abs: join(options.modelDir, path), size: statSync(join(options.modelDir, path)).size }));
    for (const [path, text] of options.extraFiles ?? []) {
      if (paths.includes(path)) continue;
      const content = Buffer.from(text, 'utf8');
      files.push({ path, abs: '', size: content.length, content });
    }
    const modes = new Map<string, 'lfs' | 'regular'>();
    for (let i = 0; i < files.length; i += 100) {
      const batch = files.slice(i, i + 100);
      const { json } = await withRetries('preupload', () => hubJson<{ files: { path: string; uploadMode: 'lfs' | 'regular'; shouldIgnore?: boolean }[] }>('POST', `${endpoint}/api/models/${options.repo}/preupload/${rev}`, {
        token, body: { files: batch.map((f) => ({ path: f.path, size: f.size, sample: f.content ? f.content.subarray(0, 512).toString('base64') : sample(f.abs) })) },
      }));
      for (const f of json.files) if (!f.shouldIgnore) modes.set(f.path, f.uploadMode);
    }

    // 3. LFS uploads
    const result: PushResult['files'] = [];
    const generatedLfs = files.find((f) => f.content && modes.get(f.path) === 'lfs');
    if (generatedLfs) throw new Error(`the Hub wants ${generatedLfs.path} through LFS; write it into the folder instead`);
    const lfs = files.filter((f) => modes.get(f.path) === 'lfs').map((f) => ({ ...f, oid: '' }));
    for (const f of lfs) {
      say(`hashing ${f.path} (${(f.size / 2 ** 20).toFixed(1)} MiB)`);
      f.oid = sha256File(f.abs);
    }
    if (lfs.length) {
      const lfsBase = `${endpoint}/${options.repo}.git/info/lfs/objects`;
      const { json } = await withRetries('LFS batch', () => hubJson<{ objects: LfsBatchObject[] }>('POST', `${lfsBase}/batch`, {
        token, accept: 'application/vnd.git-lfs+json', contentType: 'application/vnd.git-lfs+json',
        body: { operation: 'upload', transfers: ['basic', 'multipart'], objects: lfs.map((f) => ({ oid: f.oid, size: f.size })), hash_algo: 'sha256', ref: { name: revision } },
      }));
      for (const f of lfs) {
        const obj = json.objects.find((o) => o.oid === f.oid);
        if (!obj) throw new Error(`LFS batch: the Hub did not answer for ${f.path}`);
        if (obj.error) throw new Error(`LFS batch: ${f.path}: ${obj.error.code} ${obj.error.message}`);
        const upload = obj.actions?.upload;
        if (!upload) {
          say(`${f.path}: already on the Hub`);
          result.push({ path: f.path, size: f.size, mode: 'lfs', uploaded: false });
          continue;
        }
        if (upload.header?.chunk_size) await uploadMultipart(options.modelDir, f, upload, say);
        else {
          say(`${f.path}: uploading ${(f.size / 2 ** 20).toFixed(1)} MiB`);
          await withRetries(`upload ${f.path}`, () => putFileRange(upload.href, f.abs, 0, f.size, upload.header ?? {}));
        }
        const verify = obj.actions?.verify;
        if (verify) {
          await withRetries(`verify ${f.path}`, () => hubJson('POST', verify.href, { basicAuthToken: token, accept: 'application/vnd.git-lfs+json', contentType: 'application/vnd.git-lfs+json', body: { oid: f.oid, size: f.size } }));
        }
        result.push({ path: f.path, size: f.size, mode: 'lfs', uploaded: true });
      }
    }

    // 4. the commit
    const lines: unknown[] = [{ key: 'header', value: { summary: options.message ?? 'Upload model from Saenggak Lab', description: '' } }];
    for (const f of files) {
      const mode = modes.get(f.path);
      if (mode === 'regular') {
        lines.push({ key: 'file', value: { content: (f.content ?? readFileSync(f.abs)).toString('base64'), path: f.path, encoding: 'base64' } });
        result.push({ path: f.path, size: f.size, mode: 'regular', uploaded: true });
      } else if (mode === 'lfs') {
        const l = lfs.find((x) => x.path === f.path)!;
        lines.push({ key: 'lfsFile', value: { path: f.path, algo: 'sha256', oid: l.oid, size: f.size } });
      }
    }
    const { json: commit } = await withRetries('commit', () => hubJson<{ commitUrl?: string; commitOid?: string }>('POST', `${endpoint}/api/models/${options.repo}/commit/${rev}`, {
      token, contentType: 'application/x-ndjson', rawBody: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
    }));
    say(`committed ${files.length} files${commit.commitUrl ? `: ${commit.commitUrl}` : ''}`);
    return { repo: options.repo, commitUrl: commit.commitUrl ?? null, commitOid: commit.commitOid ?? null, files: result.sort((a, b) => a.path.localeCompare(b.path)) };
  } catch (err) {
    throw new Error(redact((err as Error).message, token));
  }
}

async function uploadMultipart(modelDir: string, f: { path: string; abs: string; size: number; oid: string }, upload: LfsAction, say: (l: string) => void): Promise<void> {
  const header = upload.header!;
  const chunkSize = Number(header.chunk_size);
  const partNumbers = Object.keys(header).filter((k) => /^\d+$/.test(k)).map(Number).sort((a, b) => a - b);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0 || partNumbers.length !== Math.ceil(f.size / chunkSize)) {
    throw new Error(`LFS multipart for ${f.path}: chunk_size ${header.chunk_size} and ${partNumbers.length} part URLs do not cover ${f.size} bytes`);
  }
  const stateDir = join(modelDir, STATE_DIR);
  const statePath = join(stateDir, `${f.oid}.json`);
  const key = uploadKey(header[String(partNumbers[0])]);
  let state: MultipartState = { upload: key, etags: {} };
  if (existsSync(statePath)) {
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as MultipartState;
    if (saved.upload === key) state = saved; // the same pending upload: its acknowledged parts stand
  }
  mkdirSync(stateDir, { recursive: true });
  const done = partNumbers.filter((n) => state.etags[n]).length;
  say(`${f.path}: ${partNumbers.length} parts of ${(chunkSize / 2 ** 20).toFixed(0)} MiB${done ? `, ${done} already uploaded` : ''}`);
  for (const n of partNumbers) {
    if (state.etags[n]) continue;
    const start = (n - 1) * chunkSize;
    const end = Math.min(f.size, start + chunkSize);
    const etag = await withRetries(`${f.path} part ${n}`, () => putFileRange(header[String(n)], f.abs, start, end));
    if (!etag) throw new Error(`${f.path} part ${n}: the store returned no ETag`);
    state.etags[n] = etag;
    writeFileSync(statePath, JSON.stringify(state));
    say(`${f.path}: part ${n}/${partNumbers.length}`);
  }
  // The completion URL carries its own authorization; like huggingface_hub we send no token with it.
  await withRetries(`complete ${f.path}`, () => hubJson('POST', upload.href, {
    accept: 'application/vnd.git-lfs+json', contentType: 'application/vnd.git-lfs+json',
    body: { oid: f.oid, parts: partNumbers.map((n) => ({ partNumber: n, etag: state.etags[n] })) },
  }));
  writeFileSync(statePath, JSON.stringify({ ...state, completed: true }));
}
