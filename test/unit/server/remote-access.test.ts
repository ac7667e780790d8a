// Serve mode as a remote lab (#21): cross-origin access only for the desktop app's origin and the one
// --allow-origin names (preflight answered, answers readable, a 401 too), still with the token; the file
// endpoints hand out workspace files only (no `..`, no link out of the workspace, no allowed-path folder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../../main/server.ts';
import { isRemoteLabUrl, normalizeOrigin } from '../../../main/server/cors.ts';
import { attachmentDisposition } from '../../../main/server/workspace-files.ts';

test('CORS for the allowed origins only; files from inside the workspace only', { timeout: 60_000 }, async () => {
  const base = await mkdtemp(join(tmpdir(), 'saenggak-remote-access-'));
  const ws = join(base, 'ws');
  const outside = join(base, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'not yours');
  const server = await startServer({ workspace: ws, port: 0, allowPaths: [outside], allowOrigin: 'http://localhost:8700/', staticDir: base });
  const auth = { authorization: `Bearer ${server.token}` };
  try {
    await mkdir(join(ws, 'runs', 'r1', 'output'), { recursive: true });
    await writeFile(join(ws, 'runs', 'r1', 'output', '가중치.bin'), Buffer.from([0, 1, 2, 255]));
    await symlink(join(outside, 'secret.txt'), join(ws, 'runs', 'r1', 'link.txt'));

    const preflight = (origin: string) =>
      fetch(`${server.origin}/api/call/app.info`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    for (const origin of ['http://localhost:8700', 'app://saenggak']) {
      const res = await preflight(origin);
      assert.equal(res.status, 204, origin);
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/);
      assert.equal(res.headers.get('access-control-allow-credentials'), null, 'never credentials: the token is a header, not a cookie');
    }
    const refused = await preflight('http://evil.example');
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);

    // An allowed origin's call works with the token and its 401 without one is readable (CORS headers on it).
    const call = (origin: string, headers: Record<string, string>) => fetch(`${server.origin}/api/call/app.info`, { method: 'POST', headers: { origin, 'content-type': 'application/json', ...headers }, body: '{}' });
    const good = await call('http://localhost:8700', auth);
    assert.equal(good.status, 200);
    assert.equal(good.headers.get('access-control-allow-origin'), 'http://localhost:8700');
    assert.equal(((await good.json()) as { ok: boolean }).ok, true);
    const noToken = await call('http://localhost:8700', {});
    assert.equal(noToken.status, 401);
    assert.equal(noToken.headers.get('access-control-allow-origin'), 'http://localhost:8700');
    assert.equal((await call('http://evil.example', auth)).status, 403, 'another origin is still refused');

    // Files: a folder's entries, a file as an attachment, nothing outside the workspace.
    const list = (await (await fetch(`${server.origin}/api/files?path=runs/r1/output`, { headers: auth })).json()) as { ok: boolean; value: { path: string; bytes: number }[] };
    assert.deepEqual(list.value, [{ path: 'runs/r1/output/가중치.bin', name: '가중치.bin', kind: 'file', bytes: 4 }]);
    const file = await fetch(`${server.origin}/api/file?path=${encodeURIComponent('runs/r1/output/가중치.bin')}`, { headers: auth });
    assert.equal(file.status, 200);
    assert.deepEqual([...new Uint8Array(await file.arrayBuffer())], [0, 1, 2, 255]);
    assert.equal(file.headers.get('content-disposition'), attachmentDisposition('가중치.bin'));
    assert.equal((await fetch(`${server.origin}/api/file?path=runs/r1/output/x`, {})).status, 401, 'the token is required');
    for (const path of ['../outside/secret.txt', join(outside, 'secret.txt'), 'runs/r1/link.txt']) {
      const res = await fetch(`${server.origin}/api/file?path=${encodeURIComponent(path)}`, { headers: auth });
      assert.equal(res.status, 403, path);
      assert.doesNotMatch(await res.text(), /not yours/);
    }
    assert.equal((await fetch(`${server.origin}/api/file?path=runs/nope.txt`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${server.origin}/api/file?path=runs`, { headers: auth })).status, 400, 'a folder is listed, not downloaded');
  } finally {
    await server.close();
    await rm(base, { recursive: true, force: true });
  }
});

test('--allow-origin takes an origin only', () => {
  assert.equal(normalizeOrigin('http://localhost:8700/'), 'http://localhost:8700');
  assert.equal(normalizeOrigin('app://saenggak'), 'app://saenggak');
  assert.throws(() => normalizeOrigin('http://localhost:8700/path'), /scheme, host and port only/);
  assert.throws(() => normalizeOrigin('localhost:8700'), /must be an origin/);
  // What the desktop shell lets its window reach besides the app itself: a lab at the local end of a tunnel.
  for (const url of ['http://localhost:8700/api/call/app.info', 'ws://127.0.0.1:8700/api/events']) assert.equal(isRemoteLabUrl(url), true, url);
  for (const url of ['http://localhost/', 'http://localhost.evil.example:8700/', 'http://127.0.0.1.evil.example:80/', 'https://huggingface.co/', 'http://10.0.0.5:8700/', 'http://user@localhost:8700/'])
    assert.equal(isRemoteLabUrl(url), false, url);
  assert.equal(attachmentDisposition('/x/a"b.txt'), `attachment; filename="a_b.txt"; filename*=UTF-8''a%22b.txt`);
});
