// `saenggak hub push | pull` against a local server that speaks the Hub's upload protocol (repo create,
// preupload, LFS batch with basic and multipart transfers, verify, NDJSON commit, revision info, resolve)
// and checks the token on every call. The token must never reach the CLI's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listModelFiles } from '../../../main/export/hub/push.ts';
import { createModelFolder } from '../../../main/models/init.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
const TOKEN = `hf_${randomBytes(12).toString('hex')}`;
const LFS_THRESHOLD = 100_000;
const MULTIPART_ABOVE = 2 << 20;
const CHUNK = 1 << 20;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** An in-memory Hub. */
function fakeHub() {
  const repos = new Map<string, { private: boolean; files: Map<string, { content?: Buffer; oid?: string }>; commits: number }>();
  const objects = new Map<string, Buffer>();
  const pending = new Map<string, { uploadId: string; parts: Map<number, Buffer> }>();
  const partPuts: string[] = [];
  const log: string[] = [];
  let failPart: { oid: string; part: number } | null = null;
  let base = '';

  const body = (req: IncomingMessage) => new Promise<Buffer>((res) => { const c: Buffer[] = []; req.on('data', (d) => c.push(d)); req.on('end', () => res(Buffer.concat(c))); });
  const send = (res: ServerResponse, status: number, json?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(json === undefined ? '' : JSON.stringify(json));
  };
  const authed = (req: IncomingMessage) => req.headers.authorization === `Bearer ${TOKEN}`;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, base);
    const p = url.pathname;
    const data = await body(req);
    log.push(`${req.method} ${p}`);
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && p === '/api/repos/create') {
      if (!authed(req)) return send(res, 401, { error: 'Invalid credentials' });
      const j = JSON.parse(data.toString());
      const id = `${j.organization}/${j.name}`;
      if (repos.has(id)) return send(res, 409, { error: 'You already created this model repo' });
      repos.set(id, { private: j.private, files: new Map(), commits: 0 });
      return send(res, 200, { url: `${base}/${id}` });
    }
    if (req.method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/preupload\/([^/]+)$/.exec(p))) {
      if (!authed(req)) return send(res, 401, { error: 'Invalid credentials' });
      const j = JSON.parse(data.toString()) as { files: { path: string; size: number; sample: string }[] };
      for (const f of j.files) assert.ok(Buffer.from(f.sample, 'base64').length === Math.min(512, f.size), `sample of ${f.path}`);
      return send(res, 200, { files: j.files.map((f) => ({ path: f.path, uploadMode: f.size > LFS_THRESHOLD ? 'lfs' : 'regular', shouldIgnore: false })) });
    }
    if (req.method === 'POST' && (m = /^\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(p))) {
      if (!authed(req)) return send(res, 401, { message: 'unauthorized' });
      assert.equal(req.headers.accept, 'application/vnd.git-lfs+json');
      const j = JSON.parse(data.toString());
      assert.equal(j.operation, 'upload');
      assert.deepEqual(j.transfers, ['basic', 'multipart']);
      const objs = (j.objects as { oid: string; size: number }[]).map((o) => {
        if (objects.has(o.oid)) return { oid: o.oid, size: o.size };
        const verify = { href: `${base}/lfs-verify`, header: {} };
        if (o.size <= MULTIPART_ABOVE) return { oid: o.oid, size: o.size, actions: { upload: { href: `${base}/s3/${o.oid}/basic` }, verify } };
        // A pending multipart upload keeps its id across batch calls (fresh signatures each time), so a push can resume it.
        const up = pending.get(o.oid) ?? { uploadId: randomBytes(4).toString('hex'), parts: new Map() };
        pending.set(o.oid, up);
        const header: Record<string, string> = { chunk_size: String(CHUNK) };
        for (let n = 1; n <= Math.ceil(o.size / CHUNK); n++) header[n] = `${base}/s3/${o.oid}/part/${n}?uploadId=${up.uploadId}&X-Amz-Signature=${randomBytes(6).toString('hex')}`;
        return { oid: o.oid, size: o.size, actions: { upload: { href: `${base}/lfs-complete/${o.oid}`, header }, verify } };
      });
      return send(res, 200, { transfer: 'basic', objects: objs });
    }
    if (req.method === 'PUT' && (m = /^\/s3\/(\w+)\/basic$/.exec(p))) {
      assert.equal(req.headers.authorization, undefined, 'no token sent to the object store');
      if (sha256(data) !== m[1]) return send(res, 400, { error: 'sha mismatch' });
      objects.set(m[1], data);
      return send(res, 200);
    }
    if (req.method === 'PUT' && (m = /^\/s3\/(\w+)\/part\/(\d+)$/.exec(p))) {
      assert.equal(req.headers.authorization, undefined, 'no token sent to the object store');
      assert.equal(Number(req.headers['content-length']), data.length);
      const up = pending.get(m[1]);
      if (!up || up.uploadId !== url.searchParams.get('uploadId')) return send(res, 404, { error: 'NoSuchUpload' });
      partPuts.push(`${m[1]}#${m[2]}`);
      if (failPart && failPart.oid === m[1] && failPart.part === Number(m[2])) {
        failPart = null;
        return send(res, 403, { error: 'connection dropped (simulated)' });
      }
      up.parts.set(Number(m[2]), data);
      return send(res, 200, undefined, { etag: `"${sha256(data).slice(0, 16)}"` });
    }
    if (req.method === 'POST' && (m = /^\/lfs-complete\/(\w+)$/.exec(p))) {
      const j = JSON.parse(data.toString()) as { oid: string; parts: { partNumber: number; etag: string }[] };
      const up = pending.get(m[1])!;
      const chunks = j.parts.map((pt) => {
        const chunk = up.parts.get(pt.partNumber)!;
        assert.equal(pt.etag, `"${sha256(chunk).slice(0, 16)}"`, `etag of part ${pt.partNumber}`);
        return chunk;
      });
      const whole = Buffer.concat(chunks);
      if (sha256(whole) !== j.oid) return send(res, 400, { error: 'assembled object does not match its oid' });
      objects.set(j.oid, whole);
      pending.delete(j.oid);
      return send(res, 200, {});
    }
    if (req.method === 'POST' && p === '/lfs-verify') {
      assert.equal(req.headers.authorization, `Basic ${Buffer.from(`USER:${TOKEN}`).toString('base64')}`);
      const j = JSON.parse(data.toString());
      return objects.get(j.oid)?.length === j.size ? send(res, 200, {}) : send(res, 404, { error: 'object missing' });
    }
    if (req.method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/commit\/([^/]+)$/.exec(p))) {
      if (!authed(req)) return send(res, 401, { error: 'Invalid credentials' });
      assert.equal(req.headers['content-type'], 'application/x-ndjson');
      const lines = data.toString().trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines[0].key, 'header');
      const repo = repos.get(m[1])!;
      for (const l of lines.slice(1)) {
        if (l.key === 'file') {
          assert.equal(l.value.encoding, 'base64');
          repo.files.set(l.value.path, { content: Buffer.from(l.value.content, 'base64') });
        } else if (l.key === 'lfsFile') {
          assert.equal(l.value.algo, 'sha256');
          if (objects.get(l.value.oid)?.length !== l.value.size) return send(res, 422, { error: `LFS object of ${l.value.path} missing` });
          repo.files.set(l.value.path, { oid: l.value.oid });
        } else return send(res, 400, { error: `unknown key ${l.key}` });
      }
      repo.commits++;
      return send(res, 200, { commitUrl: `${base}/${m[1]}/commit/c${repo.commits}`, commitOid: `c${repo.commits}` });
    }
    if (req.method === 'GET' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(p))) {
      const repo = repos.get(m[1]);
      if (!repo || (repo.private && !authed(req))) return send(res, 404, { error: 'Repository not found' });
      return send(res, 200, { id: m[1], sha: `c${repo.commits}`, siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) });
    }
    if (req.method === 'GET' && (m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p))) {
      const repo = repos.get(m[1]);
      if (!repo || (repo.private && !authed(req))) return send(res, 404, { error: 'Repository not found' });
      const f = repo.files.get(decodeURIComponent(m[3]));
      if (!f) return send(res, 404, { error: 'Entry not found' });
      if (f.oid) return send(res, 302, undefined, { location: `${base}/cdn/${f.oid}` });
      res.writeHead(200, { 'content-length': String(f.content!.length) });
      return res.end(f.content);
    }
    if (req.method === 'GET' && (m = /^\/cdn\/(\w+)$/.exec(p))) {
      const o = objects.get(m[1])!;
      res.writeHead(200, { 'content-length': String(o.length) });
      return res.end(o);
    }
    send(res, 404, { error: `no route ${req.method} ${p}` });
  });
  return {
    repos, objects, partPuts, log,
    failOnce: (oid: string, part: number) => { failPart = { oid, part }; },
    start: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => { base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; r(base); })),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('hub push: create, preupload, LFS basic + multipart (resumed after a dropped part), NDJSON commit, model card; hub pull gets the same bytes; the token never printed', async () => {
  const hub = fakeHub();
  const endpoint = await hub.start();
  try {
    // A finished run: runs/demo/{run.json, config.yaml, metrics.jsonl, output/}.
    const runDir = join(tempDir('hub-'), 'runs', 'demo');
    const out = join(runDir, 'output');
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: out, seed: 1 });
    writeFileSync(join(out, 'extra.bin'), randomBytes(300_000)); // LFS, single PUT
    mkdirSync(join(out, '.cache'), { recursive: true });
    writeFileSync(join(out, '.cache', 'scratch'), 'not uploaded');
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ format: 'saenggak-run/1', name: 'demo', kind: 'sft', status: 'finished', baseModel: 'Qwen/Qwen2.5-1.5B-Instruct', data: 'ko-math-traces', summary: { loss: 0.4321, evalLoss: 0.5 } }));
    writeFileSync(join(runDir, 'config.yaml'), 'name: demo\nmodel: Qwen/Qwen2.5-1.5B-Instruct\nsteps: 100\n');
    writeFileSync(join(runDir, 'metrics.jsonl'), JSON.stringify({ step: 100, split: 'eval', accuracy: 0.25, time: 'x' }) + '\n');

    const weights = readFileSync(join(out, 'model.safetensors'));
    const weightsOid = sha256(weights);
    assert.ok(weights.length > 3 * CHUNK, 'the weights need several parts');
    hub.failOnce(weightsOid, 3);
    const home = tempDir('hub-home-');
    const env = { ...process.env, HF_TOKEN: TOKEN, HF_ENDPOINT: endpoint, HF_HOME: home };
    const push = () => run(process.execPath, [bin, 'hub', 'push', '--model', out, '--repo', 'alice/tiny-ko', '--private', '--json'], { env, maxBuffer: 16 << 20 });

    const first = await push().then(() => null, (err: { stdout: string; stderr: string; message: string }) => err);
    assert.ok(first, 'the first push fails on the dropped part');
    assert.match(first!.stderr, /model\.safetensors: part 2\/\d+\n.*part\/3: HTTP 403/);
    for (const text of [first!.stdout, first!.stderr, first!.message]) assert.ok(!text.includes(TOKEN), 'token in the output');
    assert.equal(hub.repos.get('alice/tiny-ko')!.commits, 0, 'nothing committed');

    const { stdout, stderr } = await push();
    assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), 'token in the output');
    const result = JSON.parse(stdout);
    assert.equal(result.commitOid, 'c1');
    const parts = (oid: string) => hub.partPuts.filter((x) => x.startsWith(`${oid}#`)).map((x) => Number(x.split('#')[1]));
    const n = Math.ceil(weights.length / CHUNK);
    // Parts 1 and 2 went up once; 3 was tried twice; the rest once, in the second push.
    assert.deepEqual(parts(weightsOid).sort((a, b) => a - b), [1, 2, 3, 3, ...Array.from({ length: n - 3 }, (_, i) => i + 4)]);
    assert.match(stderr, /model\.safetensors: \d+ parts of 1 MiB, 2 already uploaded/);
    assert.match(stderr, /extra\.bin: already on the Hub/, 'objects stored by the first push are not sent again');

    const repo = hub.repos.get('alice/tiny-ko')!;
    assert.equal(repo.private, true);
    const local = listModelFiles(out);
    assert.ok(!local.some((f) => f.startsWith('.cache')));
    assert.deepEqual([...repo.files.keys()].sort(), [...local, 'README.md'].sort());
    assert.equal(repo.files.get('model.safetensors')!.oid, weightsOid);
    assert.equal(repo.files.get('extra.bin')!.oid, sha256(readFileSync(join(out, 'extra.bin'))));
    assert.deepEqual(repo.files.get('config.json')!.content, readFileSync(join(out, 'config.json')));
    const card = repo.files.get('README.md')!.content!.toString();
    assert.match(card, /^---\n[\s\S]*base_model: Qwen\/Qwen2\.5-1\.5B-Instruct[\s\S]*\n---\n/);
    assert.match(card, /## Data\n\n`ko-math-traces`/);
    assert.match(card, /## Method\n\nSupervised fine-tuning/);
    assert.match(card, /\| loss \| 0\.4321 \|/);
    assert.match(card, /\| eval\/accuracy \| 0\.25 \|/);
    assert.match(card, /```yaml\nname: demo\nmodel: Qwen\/Qwen2\.5-1\.5B-Instruct\nsteps: 100\n```/);

    // Pull with the token from the standard token file ($HF_HOME/token) instead of the environment.
    writeFileSync(join(home, 'token'), `${TOKEN}\n`);
    const dest = join(tempDir('hub-pull-'), 'tiny');
    const pullEnv = { ...process.env, HF_ENDPOINT: endpoint, HF_HOME: home, HF_TOKEN: '' };
    const pulled = await run(process.execPath, [bin, 'hub', 'pull', '--repo', 'alice/tiny-ko', '--out', dest, '--json'], { env: pullEnv, maxBuffer: 16 << 20 });
    assert.ok(!pulled.stdout.includes(TOKEN) && !pulled.stderr.includes(TOKEN));
    for (const f of local) assert.ok(readFileSync(join(dest, f)).equals(readFileSync(join(out, f))), `${f} round trip`);
    assert.ok(readFileSync(join(dest, 'README.md'), 'utf8').startsWith('---\n'));

    // Without a token: a clear error, nothing sent.
    const before = hub.log.length;
    await assert.rejects(run(process.execPath, [bin, 'hub', 'push', '--model', out, '--repo', 'alice/x'], { env: { ...process.env, HF_ENDPOINT: endpoint, HF_HOME: tempDir('hub-empty-'), HF_TOKEN: '' } }), /no Hugging Face token: set HF_TOKEN or write one to .*token/);
    assert.equal(hub.log.length, before);
    // A wrong token is refused by the server and not echoed.
    const wrong = `hf_wrong${randomBytes(8).toString('hex')}`;
    const refused = await run(process.execPath, [bin, 'hub', 'push', '--model', out, '--repo', 'alice/y'], { env: { ...env, HF_TOKEN: wrong } }).then(() => null, (e: { stderr: string }) => e);
    assert.ok(refused && /HTTP 401/.test(refused.stderr) && !refused.stderr.includes(wrong));
  } finally {
    await hub.stop();
  }
});
